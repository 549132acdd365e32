-- The city the attached old file was written for.
SELECT max(value) FROM old.meta WHERE key = 'city_code'
