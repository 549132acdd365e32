-- Published figures that are crosswalk measures (indicator names listed in kla/catalog.py), every area.
SELECT f.indicator, f.area_code, coalesce(w.name, f.area_name) AS area_name, w.level AS area_level,
       f.period, f.value_num AS value, f.denominator AS n, f.source_kind, f.status, f.source_url
FROM published_figure f LEFT JOIN wilayah w ON w.code = f.area_code
WHERE f.indicator IN (SELECT unnest($indicators::VARCHAR[])) AND f.value_num IS NOT NULL
ORDER BY f.indicator, f.area_code, f.period
