-- How many rows of an e-PPGBM export carry the DATA CONTOH marker ($prefix, followed by anything)
-- in Keterangan. The text itself never leaves the scratch engine.
SELECT count(*) FILTER (upper(ltrim(coalesce(keterangan, ''))) LIKE $prefix) FROM raw
