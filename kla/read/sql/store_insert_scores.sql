-- The validated score rows of the registered frame score_src, with their source_id.
INSERT INTO kla_score
SELECT year, area_code, indicator_code, points, evidence_status, note, ?, rulebook_key FROM score_src
