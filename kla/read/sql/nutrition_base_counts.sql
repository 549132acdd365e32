-- Per-month counts at kelurahan and puskesmas level from a relation of measurements with the
-- columns of the measurement table plus puskesmas_key. <rel> is a fixed identifier chosen by the
-- caller (kla.ingest.nutrition.base_counts); <counts> is nutrition_counts.sql. A child measured more
-- than once in a month counts once (the latest measurement). A puskesmas's catchment may cross
-- kecamatan borders; its row carries the kecamatan where most of its children were measured.
WITH m AS (
    SELECT * FROM {rel}
    QUALIFY child_key IS NULL
         OR row_number() OVER (PARTITION BY child_key, period ORDER BY measure_date DESC, row_no DESC) = 1
)
SELECT 'kelurahan' AS level, m.kelurahan_code AS area_key, w.name AS area_name, m.kecamatan_code, period,
{counts}
FROM m LEFT JOIN wilayah w ON w.code = m.kelurahan_code
GROUP BY m.kelurahan_code, w.name, m.kecamatan_code, period
UNION ALL
SELECT 'puskesmas', puskesmas_key, any_value(puskesmas), mode(kecamatan_code), period,
{counts}
FROM m WHERE puskesmas_key IS NOT NULL
GROUP BY puskesmas_key, period
