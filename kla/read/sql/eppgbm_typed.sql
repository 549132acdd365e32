-- The rows of an e-PPGBM export as typed columns, inside the scratch engine of the e-PPGBM reader
-- (kla/ingest/eppgbm_typed.py), after eppgbm_macros, eppgbm_area_map and eppgbm_nik_keys.
--
-- raw holds row_no and the columns the reader reads under their canonical names
-- (kla.ingest.eppgbm_columns.READ_COLUMNS; NULL where the export lacks one): identifying columns
-- other than the NIK are never in it, and the NIK only leaves as the HMAC from nik_keys. Text
-- columns (sex code, area names) only leave for rows that need a message. dup_group numbers the
-- candidate duplicates (same child key and measurement date, or, without a key, the same row
-- content); which of them is a duplicate is decided among the valid rows only
-- (kla.ingest.eppgbm_validate).
--
-- Bound: $boy_codes, $girl_codes, $lying_codes, $standing_codes (lists of lower-case codes) and
-- $days_per_month (kla.core.anthro). Usia Saat Ukur units: "2 Tahun - 3 Bulan - 5 Hari",
-- "2 thn 4 bln 5 hr", "2 Th 4 Bl", "28 bulan".
WITH t AS MATERIALIZED (
  SELECT r.row_no,
    k.k AS child_key,
    CASE WHEN r.nik IS NULL OR trim(r.nik) = '' THEN 0 WHEN k.k IS NOT NULL THEN 1 ELSE 2 END
      AS nik_state,
    CASE WHEN list_contains($boy_codes, lower(trim(r.jk))) THEN 1
         WHEN list_contains($girl_codes, lower(trim(r.jk))) THEN 2 ELSE 0 END AS sex,
    left(trim(coalesce(r.jk, '')), 10) AS jk,
    kla_date(r.tgl_lahir) AS birth_date,
    nullif(trim(r.tgl_lahir), '') IS NOT NULL AS has_birth,
    kla_date(r.tgl_ukur) AS measure_date,
    CASE WHEN nullif(trim(r.tgl_lahir), '') IS NULL
              AND regexp_matches(lower(coalesce(r.usia, '')), '\d+\s*(?:tahun|thn|th|tah|bulan|bln|bl|bul|hari|hr|h)\b')
         THEN floor(
           coalesce(TRY_CAST(regexp_extract(lower(coalesce(r.usia, '')), '(\d+)\s*(?:tahun|thn|th|tah)\b', 1) AS DOUBLE), 0)
             * 365.25
           + coalesce(TRY_CAST(regexp_extract(lower(coalesce(r.usia, '')), '(\d+)\s*(?:bulan|bln|bl|bul)\b', 1) AS DOUBLE), 0)
             * $days_per_month
           + coalesce(TRY_CAST(regexp_extract(lower(coalesce(r.usia, '')), '(\d+)\s*(?:hari|hr|h)\b', 1) AS DOUBLE), 0))
    END AS age_text,
    kla_num(r.berat) AS weight_kg,
    kla_num(r.tinggi) AS height_cm,
    CASE WHEN list_contains($lying_codes, lower(trim(r.cara_ukur))) THEN 'L'
         WHEN list_contains($standing_codes, lower(trim(r.cara_ukur))) THEN 'H' END AS position,
    kla_num(r.lila) AS muac_cm,
    a.kec_code, a.kel_code, a.kec, a.kel,
    nullif(trim(r.puskesmas), '') AS puskesmas,
    nullif(trim(r.posyandu), '') AS posyandu,
    kla_num(r.zs_tbu) AS export_haz,
    kla_num(r.zs_bbu) AS export_waz,
    kla_num(r.zs_bbtb) AS export_whz
  FROM raw r
  LEFT JOIN nik_keys k ON k.d = regexp_replace(coalesce(r.nik, ''), '[^0-9]', '', 'g')
  LEFT JOIN area_map a ON a.kec = coalesce(trim(r.kec), '') AND a.kel = coalesce(trim(r.kel), '')
)
SELECT row_no, child_key, nik_state::TINYINT AS nik_state, sex::TINYINT AS sex,
  CASE WHEN sex = 0 THEN jk END AS jk,
  has_birth, birth_date IS NOT NULL AS birth_ok, measure_date::TIMESTAMP AS measure_date,
  CASE WHEN birth_date IS NOT NULL THEN date_diff('day', birth_date, measure_date)::DOUBLE
       WHEN NOT has_birth THEN age_text END AS age_days,
  weight_kg, height_cm, position, muac_cm, kec_code, kel_code,
  CASE WHEN kel_code IS NULL THEN kec END AS kec, CASE WHEN kel_code IS NULL THEN kel END AS kel,
  puskesmas, posyandu, export_haz, export_waz, export_whz,
  dense_rank() OVER (ORDER BY measure_date, coalesce(child_key, hash(sex, birth_date, age_text, weight_kg,
                     height_cm, position, kec_code, kel_code, kec, kel, posyandu)::VARCHAR)) AS dup_group
FROM t ORDER BY row_no
