-- Points per indicator for one year and area, with the rulebook's metadata.
SELECT i.code, i.number, i.name, i.group_code, g.label AS group_label, i.opd, i.max_points,
       i.status AS verification, i.source_url AS indicator_source, i.levels,
       s.points, s.evidence_status, s.note, p.kind AS source_kind, p.path AS source_path
FROM kla_indicator i
JOIN kla_group g ON g.code = i.group_code AND g.rulebook_id = i.rulebook_id
LEFT JOIN kla_score s ON s.indicator_code = i.code AND s.year = $year AND s.area_code = $area
LEFT JOIN provenance p ON p.source_id = s.source_id
ORDER BY i.number
