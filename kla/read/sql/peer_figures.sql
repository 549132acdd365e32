-- Published figures of the indicators the "among its peers" section reads (kla/peers.py INDICATORS),
-- every area: kla/peers.py picks the province's kabupaten/kota from the codes (data, not code).
SELECT indicator, area_code, area_name, period, value AS value_text, value_num AS value, unit, denominator,
       source_kind, status, source_url, note
FROM published_figure
WHERE indicator IN (SELECT unnest($indicators::VARCHAR[]))
ORDER BY indicator, area_code, period
