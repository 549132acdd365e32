-- python -m kla bench import: DuckDB's bare read of the generated e-PPGBM CSV (?), counting rows.
SELECT count(*) FROM read_csv(?, delim=';', header=true, all_varchar=true)
