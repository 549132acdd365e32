-- One boundary: code, level, name, geojson, area_km2, source_id.
INSERT INTO boundary VALUES (?, ?, ?, ?, ?, ?)
