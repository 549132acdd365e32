-- The NIK -> HMAC map of an e-PPGBM export, over distinct NIKs only (children recur every month);
-- a NIK that is not 16 digits gets no key. {hmac_of_d} is kla.core.privacy.HMAC_SQL for the column
-- d (a fixed expression; the key pads are bound as $ipad and $opad, never formatted in).
CREATE TEMP TABLE nik_keys AS
SELECT d, {hmac_of_d} AS k
FROM (SELECT DISTINCT regexp_replace(coalesce(nik, ''), '[^0-9]', '', 'g') AS d FROM raw)
WHERE length(d) = 16
