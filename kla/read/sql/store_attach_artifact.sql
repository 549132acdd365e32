-- The new artifact, read-only, while its imported rows are copied into the records file.
ATTACH ? AS art (READ_ONLY)
