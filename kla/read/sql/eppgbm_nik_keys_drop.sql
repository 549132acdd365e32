-- The NIK digits are not kept a moment longer than the typed rows need them.
DROP TABLE nik_keys
