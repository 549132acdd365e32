-- How many boundaries of one level are stored.
SELECT count(*) FROM boundary WHERE level = ?
