-- Routine (e-PPGBM / recap) prevalences per month for the city and each kecamatan, from nutrition_agg.
-- Numerators and denominators match kla/measures.py (a test checks this).
WITH base AS (
    SELECT source_type, level, area_code, area_name, strftime(period, '%Y-%m') AS period, source_kind,
           stunted, n_haz, wasted, n_whz, underweight, n_waz, flag_low_coverage, flag_small_n, flag_conflict, flag_zero
    FROM nutrition_agg WHERE level IN ('kota', 'kecamatan')
)
SELECT 'stunting_prevalence' AS measure, source_type, level, area_code, area_name, period, source_kind,
       100.0 * stunted / n_haz AS value, n_haz AS n, flag_low_coverage, flag_small_n, flag_conflict, flag_zero
FROM base WHERE n_haz > 0
UNION ALL
SELECT 'wasting_prevalence', source_type, level, area_code, area_name, period, source_kind,
       100.0 * wasted / n_whz, n_whz, flag_low_coverage, flag_small_n, flag_conflict, flag_zero
FROM base WHERE n_whz > 0
UNION ALL
SELECT 'underweight_prevalence', source_type, level, area_code, area_name, period, source_kind,
       100.0 * underweight / n_waz, n_waz, flag_low_coverage, flag_small_n, flag_conflict, flag_zero
FROM base WHERE n_waz > 0
ORDER BY 1, 4, 6
