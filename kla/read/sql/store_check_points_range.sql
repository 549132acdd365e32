-- Validation before a swap: points outside 0..max of their indicator.
SELECT s.indicator_code, s.points, i.max_points FROM kla_score s JOIN kla_indicator i
ON s.indicator_code = i.code WHERE s.points < 0 OR s.points > i.max_points + 1e-9
