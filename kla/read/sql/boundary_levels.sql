-- Levels that have boundaries, with counts (the map offers only these).
SELECT level, count(*) AS n FROM boundary GROUP BY level ORDER BY CASE level WHEN 'kecamatan' THEN 1 ELSE 2 END
