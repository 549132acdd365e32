-- Routine (e-PPGBM / recap) prevalences per month for the city and each kecamatan, from nutrition_agg.
-- Numerators and denominators match kla/measures.py (a test checks this). The small-denominator
-- flag is judged on each measure's own n (the stored flag_small_n is stunting's).
WITH base AS (
    SELECT source_type, level, area_code, area_name, strftime(period, '%Y-%m') AS period, source_kind,
           stunted, n_haz, wasted, n_whz, underweight, n_waz, units_level, units_reporting, units_expected,
           kec_reporting, kec_expected,
           flag_low_coverage, flag_conflict, flag_zero, flag_zero_cases, flag_incomplete
    FROM nutrition_agg WHERE level IN ('kota', 'kecamatan')
)
SELECT 'stunting_prevalence' AS measure, source_type, level, area_code, area_name, period, source_kind,
       100.0 * stunted / n_haz AS value, n_haz AS n, n_haz < 30 AS flag_small_n, * EXCLUDE (
           source_type, level, area_code, area_name, period, source_kind, stunted, n_haz, wasted, n_whz,
           underweight, n_waz)
FROM base WHERE n_haz > 0
UNION ALL BY NAME
SELECT 'wasting_prevalence' AS measure, source_type, level, area_code, area_name, period, source_kind,
       100.0 * wasted / n_whz AS value, n_whz AS n, n_whz < 30 AS flag_small_n, * EXCLUDE (
           source_type, level, area_code, area_name, period, source_kind, stunted, n_haz, wasted, n_whz,
           underweight, n_waz)
FROM base WHERE n_whz > 0
UNION ALL BY NAME
SELECT 'underweight_prevalence' AS measure, source_type, level, area_code, area_name, period, source_kind,
       100.0 * underweight / n_waz AS value, n_waz AS n, n_waz < 30 AS flag_small_n, * EXCLUDE (
           source_type, level, area_code, area_name, period, source_kind, stunted, n_haz, wasted, n_whz,
           underweight, n_waz)
FROM base WHERE n_waz > 0
ORDER BY measure, area_code, period
