"""Child-nutrition store operations and aggregation: imports, monthly counts, rates with CI.

* :func:`import_eppgbm` / :func:`import_rekap` write an imported file inside
  :func:`kla.ingest.store.staged` (build-then-swap): a failure or a ``kill -9`` leaves the old database
  byte-identical; the same file (same sha256) imported twice changes nothing.
* Each import also writes its per-month, per-area counts to ``nutrition_base``; the views
  ``nutrition_latest`` / ``nutrition_agg`` (kla/sql/schema_20_nutrition.sql) roll them up to
  kecamatan and city, pick the latest source, and compute the data-quality flags.
* Prevalences (%) with Wilson 95% confidence intervals are :mod:`kla.core.rates`.
* :func:`load_sample` is the build step for the shipped DATA CONTOH aggregate.

Definitions (domain.md §6.1): stunting = HAZ < −2 (pendek + sangat pendek), severe stunting =
HAZ < −3, wasting = WHZ < −2 (gizi kurang + gizi buruk), severe wasting (gizi buruk) = WHZ < −3,
underweight = WAZ < −2. Each prevalence's denominator is the number of children measured in that
month with a plausible z-score for that index (WHO flags excluded and counted separately). A
child measured more than once in a month counts once (the latest measurement).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from kla.core import config, fmt, privacy
from kla.core.errors import KlaError, Problem
from kla.core.wilayah import WilayahMatcher
from kla.ingest import store
from kla.ingest.eppgbm import ParsedExport, check_source, parse_export, puskesmas_key, puskesmas_label
from kla.read import repository

Progress = Callable[[float, str], None]
SAMPLE_LABEL = "DATA CONTOH"
SAMPLE_FILE = "sample/gizi_contoh_agregat.csv"


# ----------------------------------------------------------------------------- aggregation SQL
#: Per-month counts at kelurahan and puskesmas level from a relation of measurements with the
#: columns of the ``measurement`` table; ``{rel}`` is a fixed identifier chosen by the caller.
_COUNTS = """
           count(*) AS measured,
           count(*) FILTER (haz IS NOT NULL AND NOT flag_haz) AS n_haz,
           count(*) FILTER (NOT flag_haz AND haz < -2) AS stunted,
           count(*) FILTER (NOT flag_haz AND haz < -3) AS severe_stunted,
           count(*) FILTER (whz IS NOT NULL AND NOT flag_whz) AS n_whz,
           count(*) FILTER (NOT flag_whz AND whz < -2) AS wasted,
           count(*) FILTER (NOT flag_whz AND whz < -3) AS severe_wasted,
           count(*) FILTER (waz IS NOT NULL AND NOT flag_waz) AS n_waz,
           count(*) FILTER (NOT flag_waz AND waz < -2) AS underweight,
           count(*) FILTER (flag_haz) AS implausible_haz,
           count(*) FILTER (flag_whz) AS implausible_whz,
           count(*) FILTER (flag_waz) AS implausible_waz"""

#: Per-month counts at kelurahan and puskesmas level from a relation of measurements with the
#: columns of the ``measurement`` table plus ``puskesmas_key``; ``{rel}`` is a fixed identifier
#: chosen by the caller. A puskesmas's catchment may cross kecamatan borders; its row carries
#: the kecamatan where most of its children were measured.
BASE_SQL = (
    """
WITH m AS (
    SELECT * FROM {rel}
    QUALIFY child_key IS NULL
         OR row_number() OVER (PARTITION BY child_key, period ORDER BY measure_date DESC, row_no DESC) = 1
)
SELECT 'kelurahan' AS level, m.kelurahan_code AS area_key, w.name AS area_name, m.kecamatan_code, period,"""  # noqa: S608 - {rel} is fixed
    + _COUNTS
    + """
FROM m LEFT JOIN wilayah w ON w.code = m.kelurahan_code
GROUP BY m.kelurahan_code, w.name, m.kecamatan_code, period
UNION ALL
SELECT 'puskesmas', puskesmas_key, any_value(puskesmas), mode(kecamatan_code), period,"""
    + _COUNTS
    + """
FROM m WHERE puskesmas_key IS NOT NULL
GROUP BY puskesmas_key, period
"""
)

_BASE_COLUMNS = (
    "source_id, source_type, level, area_key, area_name, kecamatan_code, period, sasaran, measured, n_haz, "
    "stunted, severe_stunted, n_whz, wasted, severe_wasted, n_waz, underweight, implausible_haz, "
    "implausible_whz, implausible_waz"
)


def base_counts(con: duckdb.DuckDBPyConnection, rel: str) -> pd.DataFrame:
    """Run :data:`BASE_SQL` over relation ``rel`` (a registered frame or a table)."""
    if rel not in ("m_src", "measurement_src", "sample_src"):  # identifiers are fixed, never input
        raise ValueError(rel)
    out = con.execute(BASE_SQL.format(rel=rel)).df()
    pkm = out["level"] == "puskesmas"
    out.loc[pkm, "area_name"] = [puskesmas_label(n) for n in out.loc[pkm, "area_name"]]
    return out


def _with_pkm_key(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    names = out["puskesmas"].astype("string")
    uniq = {n: puskesmas_key(n) for n in names.dropna().unique()}
    out["puskesmas_key"] = names.map(uniq).astype(object).where(names.notna(), None)
    return out


# ----------------------------------------------------------------------------- imports
@dataclass
class ImportReport:
    """What an import did; ``as_dict`` is the ``--json`` output (no identifying values)."""

    file: str
    sha256: str
    status: str  # 'imported' | 'already-imported'
    source_id: int | None = None
    rows_total: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    kind: str = "imported"  # provenance kind: 'imported', or 'sample' for a DATA CONTOH export

    def as_dict(self, problem_limit: int = 200) -> dict:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "kind": self.kind,
            "source_id": self.source_id,
            "rows_total": self.rows_total,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "seconds": round(self.seconds, 3),
            "problems": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.problems[:problem_limit]
            ],
            "problems_total": len(self.problems),
            "problem_counts": problem_counts(self.problems),
            "stats": self.stats,
        }


#: the key of :func:`problem_counts` for problems that concern a whole row or the file
WHOLE_ROW = "(seluruh baris)"


def problem_counts(problems: list[Problem]) -> dict[str, int]:
    """Data rows with a problem per column, most first: ``{"JK": 312, "Berat": 5, "(seluruh baris)": 2}``.

    File-level problems (no row, or the header row) are not counted.
    """
    counts: dict[str, int] = {}
    for p in problems:
        if p.row is None or p.row <= 1:
            continue
        key = p.column or WHOLE_ROW
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def refusal_dict(error: KlaError, file: str, problem_limit: int = 200) -> dict:
    """The ``--json`` object for a refused import: status ``refused``, the message, and the
    problems (row, column, message; never a cell value) with counts per column."""
    problems = list(getattr(error, "problems", []))
    return {
        "file": file,
        "status": "refused",
        "message": getattr(error, "summary", str(error)),
        "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in problems[:problem_limit]],
        "problems_total": len(problems),
        "problem_counts": problem_counts(problems),
    }


def wilayah_matcher(db: Path) -> WilayahMatcher:
    """Kelurahan/kecamatan names and aliases of the database, for matching names to codes."""
    from kla.read.db import connect_readonly

    con = connect_readonly(db)
    try:
        wil = repository.area_names(con)
        alias = con.execute("SELECT alias, code FROM wilayah_alias").df()
    finally:
        con.close()
    return WilayahMatcher(wil, alias)


def _source_with_sha(con: duckdb.DuckDBPyConnection, sha: str, table: str) -> int | None:
    row = con.execute(
        "SELECT source_id FROM provenance WHERE sha256 = ? AND table_name = ? AND kind IN ('imported', 'sample')",
        [sha, table],
    ).fetchone()
    return int(row[0]) if row else None


def _already(db: Path, sha: str, table: str) -> int | None:
    """The source already imported from a file with this sha256 (real or DATA CONTOH), if any.

    A cheap early answer before parsing; the writer checks again under the lock
    (:func:`_still_new`), because another import of the same file may land in between.
    """
    from kla.read.db import connect_readonly

    con = connect_readonly(db)
    try:
        return _source_with_sha(con, sha, table)
    finally:
        con.close()


class _AlreadyImported(Exception):
    """Raised inside store.staged to abandon the write: the same file landed meanwhile."""

    def __init__(self, source_id: int) -> None:
        super().__init__(source_id)
        self.source_id = source_id


def _still_new(con: duckdb.DuckDBPyConnection, sha: str, table: str) -> None:
    done = _source_with_sha(con, sha, table)
    if done is not None:
        raise _AlreadyImported(done)


def import_eppgbm(
    source: Path | str | bytes,
    db: Path | None = None,
    *,
    name: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    key: bytes | None = None,
    _after_write: Callable[[], None] | None = None,
) -> ImportReport:
    """Parse, validate, pseudonymise, z-score and store an e-PPGBM export (build-then-swap).

    ``source`` is the export's path, or its bytes in memory (an upload) with ``name`` = the
    original file name (its extension gives the type; it is what provenance and messages show).
    From bytes nothing of the export is written to disk: the sha256 is taken over the bytes and
    parsing reads them in memory.

    A file made by :mod:`kla.ingest.sample_nutrition` (every row marked DATA CONTOH in ``Keterangan``)
    is recorded with provenance kind ``'sample'`` and a DATA CONTOH note, so the page labels its
    figures as sample data; any other file is kind ``'imported'``.
    """
    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    db = Path(db or config.db_path())
    matcher = wilayah_matcher(db)  # also fails early with DatabaseNotReady
    src = check_source(source, name)
    sha = src.sha256()
    done = _already(db, sha, "measurement")
    if done is not None:
        return ImportReport(src.name, sha, "already-imported", done, seconds=time.perf_counter() - t0)
    parsed: ParsedExport = parse_export(
        src,
        matcher=matcher,
        key=key or privacy.get_key(),
        sheet=sheet,
        progress=lambda f, m: progress(f * 0.7, m),
    )
    frame = _with_pkm_key(parsed.frame)
    kind = "sample" if parsed.stats.get("sample") else "imported"
    progress(0.72, f"Menulis {fmt.integer(len(frame))} pengukuran ke basis data")
    try:
        sid = _write_measurements(db, src.name, sha, kind, frame, parsed, progress, _after_write)
    except _AlreadyImported as again:
        return ImportReport(src.name, sha, "already-imported", again.source_id, seconds=time.perf_counter() - t0)
    progress(1.0, "Selesai")
    st = parsed.stats
    return ImportReport(
        src.name,
        sha,
        "imported",
        sid,
        rows_total=st["rows_total"],
        rows_imported=len(frame),
        rows_rejected=st["rows_rejected"],
        seconds=time.perf_counter() - t0,
        problems=parsed.problems,
        stats=st,
        kind=kind,
    )


def _write_measurements(
    db: Path,
    name: str,
    sha: str,
    kind: str,
    frame: pd.DataFrame,
    parsed: ParsedExport,
    progress: Progress,
    after_write: Callable[[], None] | None,
) -> int:
    """The staged write of one parsed export: provenance, measurements, monthly base counts."""
    with store.staged(db) as con:
        _still_new(con, sha, "measurement")
        con.execute("SET enable_progress_bar = false")
        periods = parsed.stats["periods"]
        note = (
            f"e-PPGBM: {len(frame)} baris diterima, {parsed.stats['rows_rejected']} ditolak; "
            f"periode {', '.join(periods[:3])}{'…' if len(periods) > 3 else ''}"
        )
        if kind == "sample":
            note = f"{SAMPLE_LABEL}: ekspor e-PPGBM sintetis dari kla/sample_nutrition.py (bukan data Dinkes); {note}"
        sid = store.add_provenance(
            con, path=name, sha256=sha, rows=len(frame), kind=kind, table_name="measurement", note=note
        )
        con.register("m_src", frame)
        con.execute(
            """INSERT INTO measurement
               SELECT ?, row_no, child_key, sex, measure_date, period, age_days, weight_kg, height_cm, position,
                      height_adj_cm, muac_cm, kecamatan_code, kelurahan_code, puskesmas, posyandu,
                      haz, waz, whz, baz, flag_haz, flag_waz, flag_whz, flag_baz, class_haz, class_waz, class_whz
               FROM m_src""",
            [sid],
        )
        progress(0.85, "Menghitung agregat per bulan dan wilayah")
        base = base_counts(con, "m_src")
        con.unregister("m_src")
        _insert_base(con, base, sid, "eppgbm")
        if after_write is not None:  # test hook: simulate a crash after the writes
            after_write()
        progress(0.95, "Memvalidasi dan menukar berkas basis data")
    return sid


def _insert_base(con: duckdb.DuckDBPyConnection, base: pd.DataFrame, sid: int, source_type: str) -> None:
    if "sasaran" not in base.columns:
        base = base.assign(sasaran=pd.array([None] * len(base), dtype="Int64"))
    base = base.assign(source_id=sid, source_type=source_type)
    con.register("base_src", base)
    con.execute(f"INSERT INTO nutrition_base ({_BASE_COLUMNS}) SELECT {_BASE_COLUMNS} FROM base_src")  # noqa: S608
    con.unregister("base_src")


def _write_rekap(db: Path, name: str, sha: str, parsed, rows: pd.DataFrame, matcher: WilayahMatcher) -> int:
    """The staged write of one parsed recap sheet: provenance, rows, monthly base counts."""
    from kla.ingest import rekap

    with store.staged(db) as con:
        _still_new(con, sha, "rekap")
        con.execute("SET enable_progress_bar = false")
        sid = store.add_provenance(
            con,
            path=name,
            sha256=sha,
            rows=len(rows),
            kind="imported",
            table_name="rekap",
            note=f"rekap bulanan tingkat {parsed.stats['level']}",
        )
        con.register("r_src", rows)
        con.execute(
            """INSERT INTO rekap SELECT ?, row_no, period, kecamatan_code, kelurahan_code, puskesmas, sasaran, diukur,
               pendek, sangat_pendek, gizi_kurang, gizi_buruk, bb_kurang, bb_sangat_kurang FROM r_src""",
            [sid],
        )
        con.unregister("r_src")
        _insert_base(con, rekap.base_from_rekap(rows, matcher), sid, "rekap")
    return sid


def import_rekap(path: Path, db: Path | None = None, *, progress: Progress | None = None) -> ImportReport:
    """Validate and store a monthly recap sheet (build-then-swap); see :mod:`kla.ingest.rekap`."""
    from kla.ingest import rekap

    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    path = Path(path)
    db = Path(db or config.db_path())
    matcher = wilayah_matcher(db)
    rekap.check_file(path)
    sha = store.file_sha256(path)
    done = _already(db, sha, "rekap")
    if done is not None:
        return ImportReport(path.name, sha, "already-imported", done, seconds=time.perf_counter() - t0)
    parsed = rekap.parse_rekap(path, matcher=matcher)
    rows = parsed.frame
    try:
        sid = _write_rekap(db, path.name, sha, parsed, rows, matcher)
    except _AlreadyImported as again:
        return ImportReport(path.name, sha, "already-imported", again.source_id, seconds=time.perf_counter() - t0)
    progress(1.0, "Selesai")
    return ImportReport(
        path.name,
        sha,
        "imported",
        sid,
        rows_total=parsed.stats["rows_total"],
        rows_imported=len(rows),
        rows_rejected=parsed.stats["rows_rejected"],
        seconds=time.perf_counter() - t0,
        problems=parsed.problems,
        stats=parsed.stats,
    )


# ----------------------------------------------------------------------------- build step
def load_sample(con: duckdb.DuckDBPyConnection, ctx: store.BuildContext) -> None:
    """Sample child-nutrition aggregate (DATA CONTOH): the city's ``[sources] nutrition_sample``."""
    path = ctx.city.nutrition_sample
    if path is None or not path.exists():
        ctx.notes.append(f"{ctx.rel(path) if path else SAMPLE_FILE} tidak ada; halaman Gizi Anak tanpa data contoh.")
        return
    frame = pd.read_csv(path, dtype={"area_key": str, "kecamatan_code": str}, keep_default_na=True)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    sid = store.add_provenance(
        con,
        path=ctx.rel(path),
        sha256=store.file_sha256(path),
        rows=len(frame),
        kind="sample",
        table_name="nutrition_base",
        note=f"{SAMPLE_LABEL}: agregat e-PPGBM sintetis dari kla/sample_nutrition.py (bukan data Dinkes)",
        built_at=ctx.built_at,
    )
    frame = frame.drop(columns=[c for c in ("source_id", "source_type") if c in frame.columns])
    _insert_base(con, frame, sid, "eppgbm")


def export_zscore_check(stats: dict) -> str:
    """How many z-scores the export itself carried differ from the WHO recomputation by more than
    0.1: ``"Z-skor di berkas vs hitung ulang WHO: TB/U 3 dari 300; BB/TB 1 dari 300 berbeda > 0,1."``
    (empty when the export had none). Shown after an import on the page and in the CLI."""
    names = {"haz": "TB/U", "waz": "BB/U", "whz": "BB/TB"}
    parts = [
        f"{names[k]} {fmt.integer(d['over_0_1'])} dari {fmt.integer(d['compared'])}"
        for k, d in stats.get("export_zscore_disagreement", {}).items()
        if d.get("compared")
    ]
    return f"Z-skor di berkas vs hitung ulang WHO: {'; '.join(parts)} berbeda > 0,1." if parts else ""


def report_json(report: ImportReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)


__all__ = [
    "ImportReport",
    "problem_counts",
    "refusal_dict",
    "KlaError",
    "import_eppgbm",
    "import_rekap",
    "load_sample",
]
