-- The source already imported (real or DATA CONTOH) from a file with this sha256 into this table.
SELECT source_id FROM provenance WHERE sha256 = ? AND table_name = ? AND kind IN ('imported', 'sample')
