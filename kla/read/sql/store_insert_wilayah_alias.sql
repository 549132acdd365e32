-- The spelling aliases of the registered frame alias_src, with their source_id.
INSERT INTO wilayah_alias SELECT alias, code, ? FROM alias_src
