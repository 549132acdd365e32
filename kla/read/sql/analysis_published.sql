-- Every published figure for one area (history timeline, crosswalk measures), oldest first.
SELECT indicator, area_code, area_name, period, value AS value_text, value_num AS value, unit, denominator,
       source_kind, status, source_url, note
FROM published_figure
WHERE area_code = $area
ORDER BY indicator, period
