-- The rows of one carried table (<table>: from kla.ingest.store.CARRIED_TABLES) that belong to the records.
CREATE TABLE {table} AS SELECT * FROM art.{table}
WHERE source_id IN (SELECT source_id FROM provenance)
