-- Published figures with a numeric value, for the map's "angka terbitan" measures.
SELECT indicator, area_code, area_name, period, value_num AS value, unit, denominator,
       source_kind, status, source_url, note
FROM published_figure
WHERE value_num IS NOT NULL
ORDER BY indicator, period, area_code
