-- One category band of the rulebook: rulebook_id, name, min_points, max_points.
INSERT INTO kla_band VALUES (?, ?, ?, ?)
