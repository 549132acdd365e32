-- How many sources of the database are records; <record_sources> is kla.ingest.store.RECORD_SOURCES.
SELECT count(*) FROM provenance WHERE {record_sources}
