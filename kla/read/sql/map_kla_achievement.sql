-- KLA achievement per area and year (points earned / maximum points of the scored indicators).
SELECT s.area_code, w.level AS area_level, s.year,
       sum(s.points) AS points, sum(i.max_points) AS max_points, count(*) AS n_indicators,
       bool_or(p.kind = 'sample') AS sample
FROM kla_score s
JOIN kla_indicator i ON i.code = s.indicator_code
JOIN wilayah w ON w.code = s.area_code
JOIN provenance p ON p.source_id = s.source_id
GROUP BY s.area_code, w.level, s.year
ORDER BY s.year, s.area_code
