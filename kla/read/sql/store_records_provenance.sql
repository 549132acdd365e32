-- The records' provenance: the artifact's record sources (<record_sources>: kla.ingest.store.RECORD_SOURCES).
CREATE TABLE provenance AS SELECT * FROM art.provenance WHERE {record_sources}
