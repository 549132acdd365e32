-- KLA analysis (issue 5): health crosswalk rules as built from the rulebook, and saved what-if scenarios.

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

-- What-if scenarios saved from the Simulasi page. They never touch kla_score: a scenario is a
-- named copy of one year's points with some indicators changed. Saved through store.staged() with a
-- provenance row of kind 'imported', so they survive rebuilds (store.CARRIED_TABLES).
CREATE TABLE kla_scenario (
    name           VARCHAR NOT NULL,
    year           INTEGER NOT NULL,     -- the actual year the scenario starts from
    area_code      VARCHAR NOT NULL,
    indicator_code VARCHAR NOT NULL,
    points         DOUBLE NOT NULL,
    base_points    DOUBLE,               -- the year's actual points when the scenario was saved
    created_at     TIMESTAMP NOT NULL,
    source_id      INTEGER NOT NULL,
    PRIMARY KEY (name, year, area_code, indicator_code)
);
