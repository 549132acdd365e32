-- Validation before a swap: a row when the wilayah table is empty.
SELECT count(*) FROM wilayah HAVING count(*) = 0
