-- The wilayah rows of the registered frame wilayah_src, with their source_id.
INSERT INTO wilayah SELECT code, level, name, parent_code, ? FROM wilayah_src
