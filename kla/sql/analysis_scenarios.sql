-- Saved what-if scenarios (never real scores), newest first, with their totals.
SELECT name, year, area_code, min(created_at) AS created_at, sum(points) AS total, sum(base_points) AS base_total,
       count(*) FILTER (WHERE points <> coalesce(base_points, -1)) AS n_changed
FROM kla_scenario
GROUP BY name, year, area_code
ORDER BY created_at DESC, name
