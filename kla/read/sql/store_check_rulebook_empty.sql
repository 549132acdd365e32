-- Validation before a swap: a row when the rulebook has no indicator.
SELECT count(*) FROM kla_indicator HAVING count(*) = 0
