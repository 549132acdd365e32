-- The meta rows the records keep: which schema, city and rulebook their rows were written for.
CREATE TABLE meta AS SELECT * FROM art.meta
WHERE key IN ('schema_version', 'city_code', 'rulebook_id', 'rulebook_key')
