-- The records file (or an old-style artifact), read-only, while a build carries its imported rows.
ATTACH ? AS old (READ_ONLY)
