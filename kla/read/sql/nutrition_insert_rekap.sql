-- The rows of a monthly recap sheet (registered frame r_src), with their source_id.
INSERT INTO rekap SELECT ?, row_no, period, kecamatan_code, kelurahan_code, puskesmas, sasaran, diukur,
pendek, sangat_pendek, gizi_kurang, gizi_buruk, bb_kurang, bb_sangat_kurang FROM r_src
