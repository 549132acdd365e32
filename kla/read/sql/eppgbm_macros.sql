-- Text to values as e-PPGBM exports write them, inside the scratch engine of the e-PPGBM reader
-- (kla/ingest/eppgbm_typed.py). Run once per engine, before eppgbm_typed.

-- kla_num('12,5') = 12.5: a decimal comma or point, spaces ignored; NULL when not a number.
CREATE OR REPLACE TEMP MACRO kla_num(x) AS
  TRY_CAST(replace(replace(trim(x), ' ', ''), ',', '.') AS DOUBLE);

-- kla_date_text('10 Juni 2024 08:30') = '10-06-2024': lower case, a time part dropped, month names
-- as numbers, runs of ' ', '/' and '.' as one '-'. The month names are kla.core.periods.MONTH_NAMES
-- in the same order, longer names first (tests/test_eppgbm.py checks that they agree).
CREATE OR REPLACE TEMP MACRO kla_date_text(x) AS
  regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(
      regexp_replace(lower(trim(x)), '\s+\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?(\s*(am|pm|wib|wita|wit))?$', '')
      , 'januari', '01')
      , 'februari', '02')
      , 'pebruari', '02')
      , 'maret', '03')
      , 'april', '04')
      , 'juni', '06')
      , 'juli', '07')
      , 'agustus', '08')
      , 'september', '09')
      , 'oktober', '10')
      , 'nopember', '11')
      , 'november', '11')
      , 'desember', '12')
      , 'january', '01')
      , 'february', '02')
      , 'march', '03')
      , 'june', '06')
      , 'july', '07')
      , 'august', '08')
      , 'october', '10')
      , 'december', '12')
      , 'mei', '05')
      , 'may', '05')
      , 'jan', '01')
      , 'feb', '02')
      , 'mar', '03')
      , 'apr', '04')
      , 'jun', '06')
      , 'jul', '07')
      , 'agu', '08')
      , 'agt', '08')
      , 'ags', '08')
      , 'aug', '08')
      , 'sep', '09')
      , 'okt', '10')
      , 'oct', '10')
      , 'nov', '11')
      , 'des', '12')
      , 'dec', '12'),
    '[ /.]+', '-', 'g');

-- kla_date(text): the dates Indonesian exports use, day first; a time part is dropped.
-- 2024-06-10, 2024-06-10 08:30:00, 2024/06/10, 10/06/2024, 10-06-2024, 10.06.2024, 10/06/24,
-- 10/06/2024 08:30, 10 Juni 2024, 10-Jun-2024 and Excel serial numbers (45453, also with a time
-- fraction 45453,35).
CREATE OR REPLACE TEMP MACRO kla_date(x) AS (
  CASE
    WHEN x IS NULL OR trim(x) = '' THEN NULL
    WHEN TRY_CAST(x AS DATE) IS NOT NULL THEN TRY_CAST(x AS DATE)
    WHEN regexp_matches(trim(x), '^\d{4}-\d{1,2}-\d{1,2}') THEN
         try_strptime(regexp_extract(trim(x), '^(\d{4}-\d{1,2}-\d{1,2})', 1), '%Y-%m-%d')::DATE
    WHEN regexp_matches(trim(x), '^\d{5}([.,]\d+)?$') THEN
         DATE '1899-12-30' + CAST(floor(CAST(replace(trim(x), ',', '.') AS DOUBLE)) AS INTEGER)
    WHEN regexp_matches(kla_date_text(x), '^\d{4}-\d{1,2}-\d{1,2}$') THEN try_strptime(kla_date_text(x), '%Y-%m-%d')::DATE
    WHEN regexp_matches(kla_date_text(x), '^\d{1,2}-\d{1,2}-\d{4}$') THEN try_strptime(kla_date_text(x), '%d-%m-%Y')::DATE
    WHEN regexp_matches(kla_date_text(x), '^\d{1,2}-\d{1,2}-\d{2}$') THEN try_strptime(kla_date_text(x), '%d-%m-%y')::DATE
    ELSE NULL
  END);
