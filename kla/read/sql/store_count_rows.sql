-- Rows of one table (<table>: a name from store_own_tables, the database's own catalogue).
SELECT count(*) FROM {table}
