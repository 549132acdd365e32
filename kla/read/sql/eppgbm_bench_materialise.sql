-- python -m kla bench import: DuckDB's bare read of the generated e-PPGBM CSV (?), every cell kept.
CREATE TEMP TABLE t AS SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true)
