-- Validation before a swap: scores written for another rulebook than the active one.
SELECT s.year, s.area_code, p.path, s.rulebook_key, m.value, count(*)
FROM kla_score s JOIN provenance p USING (source_id) JOIN meta m ON m.key = 'rulebook_key'
WHERE s.rulebook_key <> m.value
GROUP BY ALL ORDER BY 1, 2
