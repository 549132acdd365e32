-- KLA analysis (issue 5): health crosswalk rules as built from the rulebook.

-- Crosswalk rules copied from the rulebook file at build time (illustrative until official).
CREATE TABLE kla_crosswalk (
    rulebook_id    VARCHAR NOT NULL,
    ord            INTEGER NOT NULL,
    indicator_code VARCHAR NOT NULL,
    measure        VARCHAR NOT NULL,
    thresholds     DOUBLE[] NOT NULL,  -- best first
    points         DOUBLE[] NOT NULL,  -- points earned at each threshold
    otherwise      DOUBLE NOT NULL,
    illustrative   BOOLEAN NOT NULL,
    source         VARCHAR
);

-- Saved what-if scenarios are not in the database: they are the city's records
-- (<records>/scenarios.json, kla/records.py), read by the app directly, so saving one never copies
-- the database. A database built before that has a kla_scenario table; the first build or import
-- moves its rows into scenarios.json (kla.ingest.records.migrate_scenarios).
