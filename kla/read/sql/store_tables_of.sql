-- The tables of one attached database (by its alias).
SELECT table_name FROM duckdb_tables() WHERE database_name = ?
