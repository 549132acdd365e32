-- Routine child-nutrition figures (e-PPGBM or recap) per month and area, every level, with the
-- data-quality flags. Rates and Wilson intervals are added in kla/nutrition.py (add_rates).
SELECT source_type, level, area_code, area_name, parent_code, period, source_kind, sasaran, measured,
       n_haz, stunted, severe_stunted, n_whz, wasted, severe_wasted, n_waz, underweight,
       implausible_haz, implausible_whz, implausible_waz,
       flag_low_coverage, flag_small_n, flag_conflict, flag_zero, flag_zero_cases, flag_incomplete,
       units_level, units_reporting, units_expected, kec_reporting, kec_expected
FROM nutrition_agg
ORDER BY source_type, level, area_code, period
