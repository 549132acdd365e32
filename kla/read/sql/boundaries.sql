-- Stored boundaries of one level, in wilayah order.
SELECT b.code, b.name, b.geojson, b.area_km2, w.parent_code, p.path AS source_path, p.note AS source_note
FROM boundary b
LEFT JOIN wilayah w ON w.code = b.code
LEFT JOIN provenance p ON p.source_id = b.source_id
WHERE b.level = $level
ORDER BY b.code
