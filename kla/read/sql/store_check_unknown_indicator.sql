-- Validation before a swap: scores for an indicator the rulebook does not have.
SELECT DISTINCT s.indicator_code FROM kla_score s ANTI JOIN kla_indicator i ON s.indicator_code = i.code
