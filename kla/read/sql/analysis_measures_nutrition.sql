-- Routine (e-PPGBM / recap) prevalences per month for the city and each kecamatan, from nutrition_agg:
-- one row per area, month and measure. Numerators and denominators match kla/catalog.py (a test
-- checks this). The small-denominator flag is judged on each measure's own n (the stored
-- flag_small_n is stunting's).
WITH base AS (
    SELECT source_type, level, area_code, area_name, strftime(period, '%Y-%m') AS period, source_kind,
           stunted, n_haz, wasted, n_whz, underweight, n_waz, units_level, units_reporting, units_expected,
           kec_reporting, kec_expected,
           flag_low_coverage, flag_conflict, flag_zero, flag_zero_cases, flag_incomplete
    FROM nutrition_agg WHERE level IN ('kota', 'kecamatan')
)
SELECT m.measure, b.* EXCLUDE (stunted, n_haz, wasted, n_whz, underweight, n_waz), m.value, m.n,
       m.n < 30 AS flag_small_n
FROM base b, LATERAL (
    SELECT 'stunting_prevalence' AS measure, 100.0 * stunted / n_haz AS value, n_haz AS n WHERE n_haz > 0
    UNION ALL
    SELECT 'wasting_prevalence', 100.0 * wasted / n_whz, n_whz WHERE n_whz > 0
    UNION ALL
    SELECT 'underweight_prevalence', 100.0 * underweight / n_waz, n_waz WHERE n_waz > 0
) m
ORDER BY measure, area_code, period
