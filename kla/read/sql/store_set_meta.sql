-- One meta row (key, value), replacing an earlier value of the key.
INSERT OR REPLACE INTO meta VALUES (?, ?)
