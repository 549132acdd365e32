-- Core schema: provenance, reference data, rulebook, KLA scores.
-- Every data row carries source_id -> provenance.source_id, so each number can say where it came from.

CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE provenance (
    source_id  INTEGER PRIMARY KEY,
    path       VARCHAR NOT NULL,      -- path relative to the data folder, or the imported file's name
    sha256     VARCHAR NOT NULL,
    rows       BIGINT  NOT NULL,
    kind       VARCHAR NOT NULL CHECK (kind IN ('published', 'imported', 'sample', 'reference')),
    table_name VARCHAR NOT NULL,
    note       VARCHAR,
    built_at   TIMESTAMP NOT NULL     -- when this source entered the database (UTC)
);

CREATE TABLE wilayah (
    code        VARCHAR PRIMARY KEY,
    level       VARCHAR NOT NULL CHECK (level IN ('kota', 'kecamatan', 'kelurahan')),
    name        VARCHAR NOT NULL,
    parent_code VARCHAR,
    source_id   INTEGER NOT NULL
);

CREATE TABLE wilayah_alias (
    alias     VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    source_id INTEGER NOT NULL
);

CREATE TABLE published_figure (
    indicator   VARCHAR NOT NULL,
    area_code   VARCHAR NOT NULL,
    area_name   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,     -- YYYY or YYYY-MM as published
    value       VARCHAR NOT NULL,     -- as published (numbers or a category name)
    value_num   DOUBLE,               -- value as a number where it is one
    unit        VARCHAR,
    denominator DOUBLE,
    source_kind VARCHAR,
    status      VARCHAR,
    source_url  VARCHAR NOT NULL,
    note        VARCHAR,
    source_id   INTEGER NOT NULL
);

CREATE TABLE rulebook (
    rulebook_id      VARCHAR PRIMARY KEY,
    title            VARCHAR,
    weights_official BOOLEAN,
    weights_label    VARCHAR,
    source_id        INTEGER NOT NULL,
    version          VARCHAR NOT NULL DEFAULT '',
    source_url       VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE kla_group (
    rulebook_id VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    ord         INTEGER NOT NULL
);

CREATE TABLE kla_band (
    rulebook_id VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    min_points  INTEGER NOT NULL,
    max_points  INTEGER NOT NULL
);

CREATE TABLE kla_indicator (
    rulebook_id VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    number      INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    group_code  VARCHAR NOT NULL,
    opd         VARCHAR,
    max_points  DOUBLE NOT NULL,
    status      VARCHAR NOT NULL,
    levels      DOUBLE[] NOT NULL,
    source_url  VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE kla_score (
    year            INTEGER NOT NULL,
    area_code       VARCHAR NOT NULL,
    indicator_code  VARCHAR NOT NULL,
    points          DOUBLE NOT NULL,
    evidence_status VARCHAR NOT NULL CHECK (evidence_status IN ('lengkap', 'sebagian', 'belum')),
    note            VARCHAR,
    source_id       INTEGER NOT NULL,
    rulebook_key    VARCHAR NOT NULL DEFAULT '',     -- id@version of the rulebook the score file was written for
    PRIMARY KEY (year, area_code, indicator_code)
);
