-- Scores from a build before rulebook keys were recorded were written for that build's rulebook.
UPDATE main.kla_score SET rulebook_key = coalesce(
    (SELECT value FROM old.meta WHERE key = 'rulebook_key'),
    (SELECT value FROM old.meta WHERE key = 'rulebook_id'), '?')
WHERE rulebook_key = ''
