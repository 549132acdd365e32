-- Crosswalk rules of the stored rulebook, in file order.
SELECT indicator_code, measure, thresholds, points, otherwise, illustrative, source
FROM kla_crosswalk
WHERE rulebook_id = (SELECT rulebook_id FROM rulebook LIMIT 1)
ORDER BY ord
