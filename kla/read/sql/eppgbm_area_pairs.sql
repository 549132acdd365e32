-- Each distinct (kecamatan, kelurahan) text pair of an e-PPGBM export (table raw of the scratch
-- engine, kla/ingest/eppgbm_typed.py): the reader matches each pair once, in Python.
SELECT DISTINCT coalesce(trim(kec), '') AS kec, coalesce(trim(kel), '') AS kel FROM raw
