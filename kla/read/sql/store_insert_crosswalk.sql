-- One health crosswalk rule of the rulebook.
INSERT INTO kla_crosswalk VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
