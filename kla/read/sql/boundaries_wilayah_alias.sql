-- The spelling aliases of wilayah names, for matching names in user files to codes.
SELECT alias, code FROM wilayah_alias
