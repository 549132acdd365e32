-- The rows of one old source in one carried table (<table>: from kla.ingest.store.CARRIED_TABLES),
-- under the source's new id. BY NAME: columns added since the old build take their defaults.
INSERT OR REPLACE INTO main.{table} BY NAME SELECT * REPLACE (? AS source_id)
FROM old.{table} WHERE source_id = ?
