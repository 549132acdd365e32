-- The source_id the next provenance row gets.
SELECT coalesce(max(source_id), 0) + 1 FROM provenance
