-- Total points per year for one area, with the kind of data behind them.
SELECT s.year, sum(s.points) AS total, count(*) AS n_indicators,
       bool_or(p.kind = 'sample') AS sample, string_agg(DISTINCT p.path, ', ') AS source_path
FROM kla_score s JOIN provenance p ON p.source_id = s.source_id
WHERE s.area_code = $area
GROUP BY s.year
ORDER BY s.year
