-- The matched area pairs (registered as area_src: kec, kel, kec_code, kel_code) as the table
-- eppgbm_typed joins.
CREATE TEMP TABLE area_map AS SELECT * FROM area_src
