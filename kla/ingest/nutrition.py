"""Child-nutrition imports and their monthly counts (e-PPGBM exports, recap sheets).

* :func:`import_eppgbm` / :func:`import_rekap` write an imported file inside
  :func:`kla.ingest.store.staged` (build-then-swap): a failure or a ``kill -9`` leaves the old database
  byte-identical; the same file (same sha256) imported twice changes nothing.
* Each import also writes its per-month, per-area counts to ``nutrition_base``; the views
  ``nutrition_latest`` / ``nutrition_agg`` (kla/read/sql/schema_20_nutrition.sql) roll them up to
  kecamatan and city, pick the latest source, and compute the data-quality flags.
* Prevalences (%) with Wilson 95% confidence intervals are :mod:`kla.core.rates`.
* The build step for the shipped DATA CONTOH aggregate is
  :func:`kla.ingest.load_reference.load_nutrition_sample` (through :func:`insert_base`).

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
from kla.core.puskesmas import puskesmas_key, puskesmas_label
from kla.core.wilayah import WilayahMatcher
from kla.ingest import store
from kla.ingest.eppgbm import ParsedExport, parse_export
from kla.ingest.eppgbm_source import check_source
from kla.ingest.files import file_sha256
from kla.read.boundaries import wilayah_frames
from kla.read.repository import sql

Progress = Callable[[float, str], None]
SAMPLE_LABEL = "DATA CONTOH"


# ----------------------------------------------------------------------------- aggregation
#: The relations :func:`base_counts` may read: identifiers are formatted into its SQL, so never input.
BASE_RELATIONS = ("m_src", "measurement_src", "sample_src")


def base_counts(con: duckdb.DuckDBPyConnection, rel: str) -> pd.DataFrame:
    """Per-month counts at kelurahan and puskesmas level (``nutrition_base_counts.sql``) over ``rel``.

    ``rel`` is a registered frame or a table with the columns of ``measurement`` plus
    ``puskesmas_key``, one of :data:`BASE_RELATIONS`.
    """
    if rel not in BASE_RELATIONS:  # identifiers are fixed, never input
        raise ValueError(rel)
    out = con.execute(sql("nutrition_base_counts").format(rel=rel, counts=sql("nutrition_counts"))).df()
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
        wil, alias = wilayah_frames(con)
    finally:
        con.close()
    return WilayahMatcher(wil, alias)


def _source_with_sha(con: duckdb.DuckDBPyConnection, sha: str, table: str) -> int | None:
    row = con.execute(sql("nutrition_source_with_sha"), [sha, table]).fetchone()
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
        con.execute(sql("nutrition_insert_measurements"), [sid])
        progress(0.85, "Menghitung agregat per bulan dan wilayah")
        base = base_counts(con, "m_src")
        con.unregister("m_src")
        insert_base(con, base, sid, "eppgbm")
        if after_write is not None:  # test hook: simulate a crash after the writes
            after_write()
        progress(0.95, "Memvalidasi dan menukar berkas basis data")
    return sid


def insert_base(con: duckdb.DuckDBPyConnection, base: pd.DataFrame, sid: int, source_type: str) -> None:
    """Store monthly base counts (:func:`base_counts` columns, ``sasaran`` optional) under ``sid``."""
    if "sasaran" not in base.columns:
        base = base.assign(sasaran=pd.array([None] * len(base), dtype="Int64"))
    base = base.assign(source_id=sid, source_type=source_type)
    con.register("base_src", base)
    con.execute(sql("nutrition_insert_base"))
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
        con.execute(sql("nutrition_insert_rekap"), [sid])
        con.unregister("r_src")
        insert_base(con, rekap.base_from_rekap(rows, matcher), sid, "rekap")
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
    sha = file_sha256(path)
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
]
