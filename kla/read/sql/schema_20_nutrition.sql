-- Child nutrition (Dinkes): e-PPGBM measurements, monthly recap sheets, and their aggregates.
-- Privacy: no NIK, name, parent name, address, RT or RW is ever stored. `child_key` is an
-- HMAC-SHA256 of the NIK with a secret key kept outside the database (kla/privacy.py).

-- One row per accepted e-PPGBM measurement (imported files only; carried across rebuilds).
CREATE TABLE measurement (
    source_id      INTEGER NOT NULL,
    row_no         INTEGER NOT NULL,      -- record number in the source file (header = row 1)
    child_key      VARCHAR,               -- HMAC-SHA256(NIK), hex; NULL when the NIK was not 16 digits
    sex            VARCHAR NOT NULL CHECK (sex IN ('L', 'P')),
    measure_date   DATE    NOT NULL,
    period         DATE    NOT NULL,      -- first day of the measurement month
    age_days       INTEGER NOT NULL,
    weight_kg      DOUBLE  NOT NULL,
    height_cm      DOUBLE  NOT NULL,      -- as measured
    position       VARCHAR,               -- 'L' lying, 'H' standing, NULL = not recorded
    height_adj_cm  DOUBLE,                -- after the ±0.7 cm position correction
    muac_cm        DOUBLE,
    kecamatan_code VARCHAR NOT NULL,
    kelurahan_code VARCHAR NOT NULL,
    puskesmas      VARCHAR,
    posyandu       VARCHAR,
    haz DOUBLE, waz DOUBLE, whz DOUBLE, baz DOUBLE,
    flag_haz BOOLEAN NOT NULL, flag_waz BOOLEAN NOT NULL, flag_whz BOOLEAN NOT NULL, flag_baz BOOLEAN NOT NULL,
    class_haz VARCHAR, class_waz VARCHAR, class_whz VARCHAR,
    PRIMARY KEY (source_id, row_no)
);

-- One row per line of an imported monthly recap sheet (per kelurahan or per puskesmas).
CREATE TABLE rekap (
    source_id        INTEGER NOT NULL,
    row_no           INTEGER NOT NULL,
    period           DATE    NOT NULL,
    kecamatan_code   VARCHAR NOT NULL,
    kelurahan_code   VARCHAR,             -- NULL on a puskesmas-level row
    puskesmas        VARCHAR,
    sasaran          INTEGER,
    diukur           INTEGER NOT NULL,
    pendek           INTEGER, sangat_pendek INTEGER,
    gizi_kurang      INTEGER, gizi_buruk    INTEGER,
    bb_kurang        INTEGER, bb_sangat_kurang INTEGER,
    PRIMARY KEY (source_id, row_no)
);

-- Counts per source, month and finest area (kelurahan, or puskesmas). Written by each import
-- (and by the sample loader); carried across rebuilds with its source.
CREATE TABLE nutrition_base (
    source_id        INTEGER NOT NULL,
    source_type      VARCHAR NOT NULL CHECK (source_type IN ('eppgbm', 'rekap')),
    level            VARCHAR NOT NULL CHECK (level IN ('kelurahan', 'puskesmas')),
    area_key         VARCHAR NOT NULL,    -- kelurahan code, or 'pkm:<normalised name>'
    area_name        VARCHAR NOT NULL,
    kecamatan_code   VARCHAR,
    period           DATE    NOT NULL,
    sasaran          INTEGER,             -- target balita, where the source gives one
    measured         INTEGER NOT NULL,    -- children measured (one per child per month)
    n_haz            INTEGER NOT NULL,    -- with a plausible HAZ (denominator of stunting)
    stunted          INTEGER NOT NULL,    -- HAZ < -2
    severe_stunted   INTEGER NOT NULL,    -- HAZ < -3
    n_whz            INTEGER NOT NULL,
    wasted           INTEGER NOT NULL,    -- WHZ < -2 (gizi kurang + gizi buruk)
    severe_wasted    INTEGER NOT NULL,    -- WHZ < -3 (gizi buruk)
    n_waz            INTEGER NOT NULL,
    underweight      INTEGER NOT NULL,    -- WAZ < -2
    implausible_haz  INTEGER NOT NULL DEFAULT 0,
    implausible_whz  INTEGER NOT NULL DEFAULT 0,
    implausible_waz  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, level, area_key, period)
);

-- Sample (DATA CONTOH) rows are used only while no real (imported) data exist at all, so sample
-- and real figures never mix in one series or one total.
-- The latest source wins for each (type, level, area, month); older sources that disagree
-- (measured or stunted differ by more than 10% and more than 2) mark a conflict.
CREATE VIEW nutrition_latest AS
WITH usable AS (
    SELECT b.*, p.kind AS source_kind
    FROM nutrition_base b JOIN provenance p USING (source_id)
    WHERE p.kind <> 'sample'
       OR NOT EXISTS (SELECT 1 FROM nutrition_base b2 JOIN provenance p2 USING (source_id) WHERE p2.kind <> 'sample')
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY source_type, level, area_key, period
                                 ORDER BY source_id DESC) AS rn
    FROM usable
), agreement AS (
    SELECT source_type, level, area_key, period, count(*) AS n_sources,
           (max(measured) - min(measured) > greatest(2, 0.1 * max(measured)))
           -- stunting counts are compared only where reported: a blank (n_haz = 0) is not a differing figure
           OR coalesce(max(stunted) FILTER (n_haz > 0) - min(stunted) FILTER (n_haz > 0)
                       > greatest(2, 0.1 * max(stunted) FILTER (n_haz > 0)), false) AS differs
    FROM usable GROUP BY source_type, level, area_key, period
)
SELECT r.* EXCLUDE (rn), a.n_sources, a.differs AS conflict
FROM ranked r JOIN agreement a USING (source_type, level, area_key, period)
WHERE r.rn = 1;

-- Monthly figures per area at every level (kelurahan, kecamatan, kota, puskesmas) and per
-- source type. Kecamatan and city totals come from kelurahan rows when a source type has any
-- for that kecamatan and month, otherwise from puskesmas rows.
--
-- Data-quality flags (shown on the page, never used to drop a row):
--   flag_low_coverage  measured < 95% of sasaran (where a sasaran exists)
--   flag_small_n       fewer than 30 children with a plausible HAZ (stunting's denominator; the
--                      page applies the same rule to each measure's own denominator)
--   flag_conflict      two sources (files or types) disagree on the same area and month
--   flag_zero          zero-filled: no child measured at all
--   flag_zero_cases    zero-filled counts: >= 100 children with a plausible HAZ but not one case of
--                      stunting, wasting or underweight (at a routine prevalence of 4% the chance
--                      of no stunted child among 100 is under 2%)
--   flag_incomplete    a kecamatan total missing some of its kelurahan (wilayah table) or of the
--                      puskesmas that report for it in most months; a city total missing a
--                      kecamatan, or resting on an incomplete kecamatan. Counts: units_reporting /
--                      units_expected (units_level says which), kec_reporting / kec_expected (city).
CREATE VIEW nutrition_agg AS
WITH latest AS (SELECT * FROM nutrition_latest),
kel_cover AS (
    SELECT DISTINCT source_type, period, kecamatan_code FROM latest WHERE level = 'kelurahan'
),
rollup_src AS (
    SELECT l.* FROM latest l
    WHERE l.level = 'kelurahan'
       OR NOT EXISTS (SELECT 1 FROM kel_cover k WHERE k.source_type = l.source_type
                      AND k.period = l.period AND k.kecamatan_code IS NOT DISTINCT FROM l.kecamatan_code)
),
city AS (SELECT code, name FROM wilayah WHERE level = 'kota' LIMIT 1),
-- Completeness: which areas feed each kecamatan total this month, and which ought to.
kec_units AS (  -- one kecamatan-month is built from kelurahan rows only, or from puskesmas rows only
    SELECT source_type, period, kecamatan_code, any_value(level) AS units_level,
           count(*) FILTER (measured > 0) AS rows_reporting
    FROM rollup_src GROUP BY source_type, period, kecamatan_code
),
pkm_months AS (  -- months in which a kecamatan's total was built from puskesmas rows
    SELECT source_type, kecamatan_code, count(*) AS months
    FROM kec_units WHERE units_level = 'puskesmas' GROUP BY source_type, kecamatan_code
),
pkm_usual AS (  -- puskesmas reporting (children measured) for a kecamatan in most of those months
    SELECT r.source_type, r.kecamatan_code, r.area_key
    FROM rollup_src r JOIN pkm_months m USING (source_type, kecamatan_code)
    WHERE r.level = 'puskesmas' AND r.measured > 0
    GROUP BY r.source_type, r.kecamatan_code, r.area_key, m.months
    HAVING 2 * count(DISTINCT r.period) > m.months
),
expected_units AS (
    SELECT k.source_type, k.period, k.kecamatan_code, k.units_level, w.code AS area_key
    FROM kec_units k JOIN wilayah w ON w.level = 'kelurahan' AND w.parent_code = k.kecamatan_code
    WHERE k.units_level = 'kelurahan'
    UNION ALL
    SELECT k.source_type, k.period, k.kecamatan_code, k.units_level, u.area_key
    FROM kec_units k JOIN pkm_usual u USING (source_type, kecamatan_code)
    WHERE k.units_level = 'puskesmas'
),
kec_complete AS (
    SELECT k.source_type, k.period, k.kecamatan_code, k.units_level, k.rows_reporting,
           count(e.area_key) AS units_expected, count(r.area_key) AS units_reporting
    FROM kec_units k
    LEFT JOIN expected_units e USING (source_type, period, kecamatan_code)
    LEFT JOIN (SELECT source_type, period, area_key FROM rollup_src WHERE measured > 0) r
           ON r.source_type = e.source_type AND r.period = e.period AND r.area_key = e.area_key
    GROUP BY k.source_type, k.period, k.kecamatan_code, k.units_level, k.rows_reporting
),
city_complete AS (
    SELECT k.source_type, k.period,
           (SELECT count(*) FROM wilayah WHERE level = 'kecamatan') AS kec_expected,
           count(*) FILTER (w.code IS NOT NULL AND k.rows_reporting > 0) AS kec_reporting,
           count(*) FILTER (k.rows_reporting > 0 AND k.units_reporting < k.units_expected) AS kec_partial,
           CASE WHEN bool_and(k.units_level = 'kelurahan') THEN 'kelurahan' END AS units_level,
           CASE WHEN bool_and(k.units_level = 'kelurahan') THEN sum(k.units_reporting) END AS units_reporting,
           CASE WHEN bool_and(k.units_level = 'kelurahan')
                THEN (SELECT count(*) FROM wilayah WHERE level = 'kelurahan') END AS units_expected
    FROM kec_complete k LEFT JOIN wilayah w ON w.level = 'kecamatan' AND w.code = k.kecamatan_code
    GROUP BY k.source_type, k.period
),
leveled AS (
    SELECT source_type, level, area_key AS area_code, area_name, kecamatan_code AS parent_code, period,
           source_kind, sasaran, measured, n_haz, stunted, severe_stunted, n_whz, wasted, severe_wasted,
           n_waz, underweight, implausible_haz, implausible_whz, implausible_waz, conflict, n_sources
    FROM latest
    UNION ALL
    SELECT r.source_type, 'kecamatan', r.kecamatan_code, w.name, (SELECT code FROM city), r.period,
           CASE WHEN bool_and(r.source_kind = 'sample') THEN 'sample' ELSE 'imported' END,
           CASE WHEN count(r.sasaran) = count(*) THEN sum(r.sasaran) END,
           sum(measured), sum(n_haz), sum(stunted), sum(severe_stunted), sum(n_whz), sum(wasted),
           sum(severe_wasted), sum(n_waz), sum(underweight), sum(implausible_haz), sum(implausible_whz),
           sum(implausible_waz), bool_or(conflict), max(n_sources)
    FROM rollup_src r JOIN wilayah w ON w.code = r.kecamatan_code
    GROUP BY r.source_type, r.kecamatan_code, w.name, r.period
    UNION ALL
    SELECT r.source_type, 'kota', c.code, c.name, NULL, r.period,
           CASE WHEN bool_and(r.source_kind = 'sample') THEN 'sample' ELSE 'imported' END,
           CASE WHEN count(r.sasaran) = count(*) THEN sum(r.sasaran) END,
           sum(measured), sum(n_haz), sum(stunted), sum(severe_stunted), sum(n_whz), sum(wasted),
           sum(severe_wasted), sum(n_waz), sum(underweight), sum(implausible_haz), sum(implausible_whz),
           sum(implausible_waz), bool_or(conflict), max(n_sources)
    FROM rollup_src r CROSS JOIN city c
    GROUP BY r.source_type, c.code, c.name, r.period
),
rekap_target AS (
    SELECT level, area_code, period, max(sasaran) AS sasaran_rekap
    FROM leveled WHERE source_type = 'rekap' GROUP BY level, area_code, period
),
with_target AS (
    -- e-PPGBM carries no target population: borrow the recap's sasaran for the same area and month
    SELECT a.*, coalesce(a.sasaran, t.sasaran_rekap) AS sasaran_any
    FROM leveled a LEFT JOIN rekap_target t USING (level, area_code, period)
),
cross_type AS (
    SELECT *,
           count(*) OVER w > 1
           AND ((max(measured) OVER w - min(measured) OVER w > greatest(2, 0.1 * max(measured) OVER w))
             OR coalesce(max(stunted) FILTER (n_haz > 0) OVER w - min(stunted) FILTER (n_haz > 0) OVER w
                         > greatest(2, 0.1 * max(stunted) FILTER (n_haz > 0) OVER w), false))
               AS conflict_types
    FROM with_target
    WINDOW w AS (PARTITION BY level, area_code, period)
)
SELECT c.source_type, c.level, c.area_code, c.area_name, c.parent_code, c.period, c.source_kind,
       c.sasaran_any AS sasaran, c.measured, c.n_haz, c.stunted, c.severe_stunted, c.n_whz, c.wasted,
       c.severe_wasted, c.n_waz, c.underweight, c.implausible_haz, c.implausible_whz, c.implausible_waz,
       c.sasaran_any > 0 AND c.measured < 0.95 * c.sasaran_any AS flag_low_coverage,
       c.n_haz < 30 AS flag_small_n,
       coalesce(c.conflict, false) OR c.conflict_types AS flag_conflict,
       c.measured = 0 AS flag_zero,
       c.measured > 0 AND c.n_haz >= 100 AND c.stunted = 0 AND c.wasted = 0 AND c.underweight = 0
           AS flag_zero_cases,
       CASE c.level
           WHEN 'kecamatan' THEN coalesce(k.units_reporting < k.units_expected, false)
           WHEN 'kota' THEN coalesce(t.kec_reporting < t.kec_expected OR t.kec_partial > 0, false)
           ELSE false
       END AS flag_incomplete,
       coalesce(k.units_level, t.units_level) AS units_level,
       coalesce(k.units_reporting, t.units_reporting) AS units_reporting,
       coalesce(k.units_expected, t.units_expected) AS units_expected,
       t.kec_reporting, t.kec_expected
FROM cross_type c
LEFT JOIN kec_complete k
       ON c.level = 'kecamatan' AND k.source_type = c.source_type AND k.period = c.period
      AND k.kecamatan_code = c.area_code
LEFT JOIN city_complete t ON c.level = 'kota' AND t.source_type = c.source_type AND t.period = c.period;
