-- The active rulebook and the provenance row of the file it came from (shipped TOML or imported sheet).
SELECT r.rulebook_id, r.version, r.title, r.weights_official, r.weights_label, r.source_url,
       p.path, p.sha256, p.kind, p.rows, p.built_at, p.note
FROM rulebook r
LEFT JOIN provenance p USING (source_id)
