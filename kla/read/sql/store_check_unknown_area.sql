-- Validation before a swap: scores for an area the wilayah table does not have.
SELECT DISTINCT s.area_code FROM kla_score s ANTI JOIN wilayah w ON s.area_code = w.code
