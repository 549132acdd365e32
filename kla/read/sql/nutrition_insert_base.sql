-- The monthly base counts of the registered frame base_src into nutrition_base.
INSERT INTO nutrition_base (
    source_id, source_type, level, area_key, area_name, kecamatan_code, period, sasaran, measured, n_haz,
    stunted, severe_stunted, n_whz, wasted, severe_wasted, n_waz, underweight, implausible_haz,
    implausible_whz, implausible_waz
)
SELECT
    source_id, source_type, level, area_key, area_name, kecamatan_code, period, sasaran, measured, n_haz,
    stunted, severe_stunted, n_whz, wasted, severe_wasted, n_waz, underweight, implausible_haz,
    implausible_whz, implausible_waz
FROM base_src
