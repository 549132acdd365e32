-- Every stored boundary of one level (replaced as a whole by an import).
DELETE FROM boundary WHERE level = ?
