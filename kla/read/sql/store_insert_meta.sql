-- One meta row: key, value.
INSERT INTO meta VALUES (?, ?)
