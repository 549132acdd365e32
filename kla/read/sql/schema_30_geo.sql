-- Boundaries (issue 4: maps). Filled by `python -m kla geo fetch` / `python -m kla geo import`,
-- never by the text build: the geometry is not in the repository (licence unclear, geo/README.md).
-- Imported rows (provenance.kind = 'imported') are carried over by `python -m kla build`
-- (store.CARRIED_TABLES), so a rebuild keeps the maps.
CREATE TABLE IF NOT EXISTS boundary (
    code      VARCHAR PRIMARY KEY,   -- Kemendagri code, = wilayah.code (unique across levels)
    level     VARCHAR NOT NULL CHECK (level IN ('kecamatan', 'kelurahan')),
    name      VARCHAR NOT NULL,      -- official spelling from the wilayah table
    geojson   VARCHAR NOT NULL,      -- simplified geometry (GeoJSON geometry object), EPSG:4326, 5 decimals
    area_km2  DOUBLE  NOT NULL,      -- from the validated, unsimplified geometry (equal-area projection)
    source_id INTEGER NOT NULL       -- -> provenance.source_id (one row per source file)
);
