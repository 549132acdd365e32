-- Published child-nutrition figures (survey and routine, kept apart by `indicator`), with sources.
SELECT indicator, area_code, area_name, period, value, value_num, unit, denominator, source_kind, status,
       source_url, note
FROM published_figure
WHERE indicator LIKE 'stunting%' OR indicator LIKE '%wasting%' OR indicator LIKE 'eppgbm%'
ORDER BY indicator, area_code, period
