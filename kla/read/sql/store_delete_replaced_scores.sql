-- Earlier scores for the years and areas of the registered frame score_src (which replaces them).
DELETE FROM kla_score WHERE (year, area_code) IN (SELECT DISTINCT year, area_code FROM score_src)
