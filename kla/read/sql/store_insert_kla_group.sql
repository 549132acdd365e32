-- One cluster of the rulebook: rulebook_id, code, label, title, ord.
INSERT INTO kla_group VALUES (?, ?, ?, ?, ?)
