-- Years (and the kind of data behind them) with scores for an area.
SELECT s.year, min(p.kind) AS source_kind, count(*) AS n_indicators
FROM kla_score s JOIN provenance p ON p.source_id = s.source_id
WHERE s.area_code = $area
GROUP BY s.year
ORDER BY s.year
