-- Every published figure with its source, for the Sumber Data page.
SELECT indicator, area_code, area_name, period, value, unit, denominator, source_kind, status, source_url, note
FROM published_figure
ORDER BY indicator, area_code, period
