-- Whether a table or view named $name exists in the current database (not in an attached one).
SELECT (
    SELECT count(*) FROM duckdb_tables() WHERE table_name = $name AND database_name = current_database()
) + (
    SELECT count(*) FROM duckdb_views() WHERE view_name = $name AND database_name = current_database()
) AS n
