-- One source file: source_id, path, sha256, rows, kind, table_name, note, built_at.
INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?)
