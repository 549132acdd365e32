-- Stored non-sample scores that do not fit the rulebook being imported (its id, then its key): another
-- rulebook key, an unknown indicator, or points outside 0..max.
SELECT s.year, s.area_code, s.indicator_code, s.points, s.rulebook_key, p.path, i.max_points
FROM kla_score s JOIN provenance p USING (source_id)
LEFT JOIN kla_indicator i ON i.code = s.indicator_code AND i.rulebook_id = ?
WHERE p.kind <> 'sample'
  AND (s.rulebook_key <> ? OR i.code IS NULL OR s.points < 0 OR s.points > i.max_points + 1e-9)
ORDER BY s.year, s.area_code, s.indicator_code
