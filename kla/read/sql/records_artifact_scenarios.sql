-- The scenarios an old-style artifact kept in its own kla_scenario table, one row per indicator.
SELECT name, year, area_code, indicator_code, points, base_points, created_at FROM kla_scenario
ORDER BY created_at, name, year, area_code, indicator_code
