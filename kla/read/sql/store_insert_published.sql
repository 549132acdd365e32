-- The published figures of the registered frame pub_src, with their source_id.
INSERT INTO published_figure
SELECT indicator, area_code, area_name, period, value, TRY_CAST(value_num AS DOUBLE), unit,
       TRY_CAST(denominator_num AS DOUBLE), source_kind, status, source_url, nullif(note, ''), ?
FROM pub_src
