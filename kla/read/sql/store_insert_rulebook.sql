-- The active rulebook: id, title, weights_official, weights_label, source_id, version, source_url.
INSERT INTO rulebook VALUES (?, ?, ?, ?, ?, ?, ?)
