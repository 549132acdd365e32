-- Points per indicator for every area with scores in one year (city and kecamatan), with area names.
SELECT s.area_code, w.name AS area_name, w.level AS area_level, i.code, i.number, i.name, i.group_code,
       g.label AS group_label, i.opd, i.max_points, s.points, s.evidence_status, p.kind AS source_kind,
       p.path AS source_path
FROM kla_score s
JOIN kla_indicator i ON i.code = s.indicator_code
JOIN kla_group g ON g.code = i.group_code AND g.rulebook_id = i.rulebook_id
JOIN wilayah w ON w.code = s.area_code
JOIN provenance p ON p.source_id = s.source_id
WHERE s.year = $year
ORDER BY s.area_code, i.number
