-- Points of one saved scenario.
SELECT indicator_code AS code, points, base_points
FROM kla_scenario
WHERE name = $scenario AND year = $year AND area_code = $area
ORDER BY indicator_code
