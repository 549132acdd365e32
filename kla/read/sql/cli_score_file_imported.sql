-- Whether this score file (its sha256) was already imported for this year (note 'tahun <year>').
SELECT count(*) FROM provenance WHERE sha256 = ? AND table_name = 'kla_score' AND note = ?
