-- The parsed e-PPGBM measurements of the registered frame m_src, with their source_id.
INSERT INTO measurement
SELECT ?, row_no, child_key, sex, measure_date, period, age_days, weight_kg, height_cm, position,
       height_adj_cm, muac_cm, kecamatan_code, kelurahan_code, puskesmas, posyandu,
       haz, waz, whz, baz, flag_haz, flag_waz, flag_whz, flag_baz, class_haz, class_waz, class_whz
FROM m_src
