-- Every area code: scores may name only these.
SELECT code FROM wilayah
