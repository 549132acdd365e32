-- The record sources of the attached old file (<record_sources>: kla.ingest.store.RECORD_SOURCES).
SELECT source_id, path, sha256, rows, kind, table_name, note, built_at FROM old.provenance
WHERE {record_sources} ORDER BY source_id
