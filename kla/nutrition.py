"""Child-nutrition store operations and aggregation: imports, monthly counts, rates with CI.

* :func:`import_eppgbm` / :func:`import_rekap` write an imported file inside
  :func:`kla.store.staged` (build-then-swap): a failure or a ``kill -9`` leaves the old database
  byte-identical; the same file (same sha256) imported twice changes nothing.
* Each import also writes its per-month, per-area counts to ``nutrition_base``; the views
  ``nutrition_latest`` / ``nutrition_agg`` (kla/sql/schema_20_nutrition.sql) roll them up to
  kecamatan and city, pick the latest source, and compute the data-quality flags.
* :func:`add_rates` turns counts into prevalences (%) with Wilson 95% confidence intervals.
* :func:`load_sample` is the build step for the shipped DATA CONTOH aggregate.

Definitions (domain.md §6.1): stunting = HAZ < −2 (pendek + sangat pendek), severe stunting =
HAZ < −3, wasting = WHZ < −2 (gizi kurang + gizi buruk), severe wasting (gizi buruk) = WHZ < −3,
underweight = WAZ < −2. Each prevalence's denominator is the number of children measured in that
month with a plausible z-score for that index (WHO flags excluded and counted separately). A
child measured more than once in a month counts once (the latest measurement).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kla import config, privacy, store
from kla.eppgbm import ParsedExport, parse_export, puskesmas_key
from kla.errors import KlaError, Problem
from kla.privacy import SUPPRESS_BELOW
from kla.wilayah import WilayahMatcher

Progress = Callable[[float, str], None]
Z95 = 1.959963984540054
SAMPLE_LABEL = "DATA CONTOH"
SAMPLE_FILE = "sample/gizi_contoh_agregat.csv"

#: measure name -> (numerator column, denominator column, Indonesian label)
MEASURES: dict[str, tuple[str, str, str]] = {
    "stunting": ("stunted", "n_haz", "Stunting (TB/U < −2 SD)"),
    "severe_stunting": ("severe_stunted", "n_haz", "Sangat pendek (TB/U < −3 SD)"),
    "wasting": ("wasted", "n_whz", "Wasting: gizi kurang + gizi buruk (BB/TB < −2 SD)"),
    "severe_wasting": ("severe_wasted", "n_whz", "Gizi buruk (BB/TB < −3 SD)"),
    "underweight": ("underweight", "n_waz", "Underweight (BB/U < −2 SD)"),
}
SMALL_N = 30
_BULAN = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def month_label(when: object) -> str:
    """``"Des 2025"``: Indonesian month abbreviations, whatever the machine's locale."""
    ts = pd.Timestamp(when)
    return f"{_BULAN[ts.month - 1]} {ts.year}"


COVERAGE_TARGET = 0.95


# ----------------------------------------------------------------------------- statistics
def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion and Wilson score interval, vectorised; NaN where ``n == 0``.

    p̂ = k/n; centre = (p̂ + z²/2n) / (1 + z²/n);
    half-width = z·sqrt(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.clip(centre - half, 0, 1)
    hi = np.clip(centre + half, 0, 1)
    return p, np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``<measure>_pct``, ``_lo``, ``_hi`` (percent, Wilson 95% CI) and ``coverage_pct``."""
    out = frame.copy()
    for name, (num, den, _label) in MEASURES.items():
        p, lo, hi = wilson(out[num].to_numpy(dtype=float), out[den].to_numpy(dtype=float))
        out[f"{name}_pct"] = p * 100
        out[f"{name}_lo"] = lo * 100
        out[f"{name}_hi"] = hi * 100
    sas = out["sasaran"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_pct"] = np.where(sas > 0, out["measured"].to_numpy(dtype=float) / sas * 100, np.nan)
    return out


def suppress_small(frame: pd.DataFrame, columns: list[str], *, below: int = SUPPRESS_BELOW) -> pd.DataFrame:
    """Copy for sharing: counts 1..below-1 become missing (shown as "<5"), zero stays zero."""
    out = frame.copy()
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce")
        out[c] = v.astype("Float64").mask((v > 0) & (v < below))
    return out


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
SELECT 'puskesmas', puskesmas_key, 'Puskesmas ' || any_value(puskesmas), mode(kecamatan_code), period,"""
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
    return con.execute(BASE_SQL.format(rel=rel)).df()


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

    def as_dict(self, problem_limit: int = 200) -> dict:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "status": self.status,
            "source_id": self.source_id,
            "rows_total": self.rows_total,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "seconds": round(self.seconds, 3),
            "problems": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.problems[:problem_limit]
            ],
            "problems_total": len(self.problems),
            "stats": self.stats,
        }


def _matcher(db: Path) -> WilayahMatcher:
    from kla.db import connect_readonly

    con = connect_readonly(db)
    try:
        wil = con.execute("SELECT code, level, name, parent_code FROM wilayah").df()
        alias = con.execute("SELECT alias, code FROM wilayah_alias").df()
    finally:
        con.close()
    return WilayahMatcher(wil, alias)


def _already(db: Path, sha: str, table: str) -> int | None:
    from kla.db import connect_readonly

    con = connect_readonly(db)
    try:
        row = con.execute(
            "SELECT source_id FROM provenance WHERE sha256 = ? AND table_name = ? AND kind = 'imported'", [sha, table]
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else None


def import_eppgbm(
    path: Path,
    db: Path | None = None,
    *,
    sheet: str | None = None,
    progress: Progress | None = None,
    key: bytes | None = None,
    _after_write: Callable[[], None] | None = None,
) -> ImportReport:
    """Parse, validate, pseudonymise, z-score and store an e-PPGBM export (build-then-swap)."""
    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    path = Path(path)
    db = Path(db or config.db_path())
    matcher = _matcher(db)  # also fails early with DatabaseNotReady
    from kla.eppgbm import _check_file

    _check_file(path)
    sha = store.file_sha256(path)
    done = _already(db, sha, "measurement")
    if done is not None:
        return ImportReport(path.name, sha, "already-imported", done, seconds=time.perf_counter() - t0)
    parsed: ParsedExport = parse_export(
        path,
        matcher=matcher,
        key=key or privacy.get_key(),
        sheet=sheet,
        progress=lambda f, m: progress(f * 0.7, m),
    )
    frame = _with_pkm_key(parsed.frame)
    progress(0.72, f"Menulis {len(frame):,} pengukuran ke basis data")
    with store.staged(db) as con:
        con.execute("SET enable_progress_bar = false")
        note = (
            f"e-PPGBM: {len(frame)} baris diterima, {parsed.stats['rows_rejected']} ditolak; "
            f"periode {', '.join(parsed.stats['periods'][:3])}{'…' if len(parsed.stats['periods']) > 3 else ''}"
        )
        sid = store.add_provenance(
            con, path=path.name, sha256=sha, rows=len(frame), kind="imported", table_name="measurement", note=note
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
        if _after_write is not None:  # test hook: simulate a crash after the writes
            _after_write()
        progress(0.95, "Memvalidasi dan menukar berkas basis data")
    progress(1.0, "Selesai")
    st = parsed.stats
    return ImportReport(
        path.name,
        sha,
        "imported",
        sid,
        rows_total=st["rows_total"],
        rows_imported=len(frame),
        rows_rejected=st["rows_rejected"],
        seconds=time.perf_counter() - t0,
        problems=parsed.problems,
        stats=st,
    )


def _insert_base(con: duckdb.DuckDBPyConnection, base: pd.DataFrame, sid: int, source_type: str) -> None:
    if "sasaran" not in base.columns:
        base = base.assign(sasaran=pd.array([None] * len(base), dtype="Int64"))
    base = base.assign(source_id=sid, source_type=source_type)
    con.register("base_src", base)
    con.execute(f"INSERT INTO nutrition_base ({_BASE_COLUMNS}) SELECT {_BASE_COLUMNS} FROM base_src")  # noqa: S608
    con.unregister("base_src")


def import_rekap(path: Path, db: Path | None = None, *, progress: Progress | None = None) -> ImportReport:
    """Validate and store a monthly recap sheet (build-then-swap); see :mod:`kla.rekap`."""
    from kla import rekap

    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    path = Path(path)
    db = Path(db or config.db_path())
    matcher = _matcher(db)
    rekap.check_file(path)
    sha = store.file_sha256(path)
    done = _already(db, sha, "rekap")
    if done is not None:
        return ImportReport(path.name, sha, "already-imported", done, seconds=time.perf_counter() - t0)
    parsed = rekap.parse_rekap(path, matcher=matcher)
    rows = parsed.frame
    with store.staged(db) as con:
        con.execute("SET enable_progress_bar = false")
        sid = store.add_provenance(
            con,
            path=path.name,
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
    """Sample child-nutrition aggregate (DATA CONTOH) from data/sample/gizi_contoh_agregat.csv."""
    path = ctx.data_dir / SAMPLE_FILE
    if not path.exists():
        ctx.notes.append(f"{SAMPLE_FILE} tidak ada; halaman Gizi Anak tanpa data contoh.")
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


# ----------------------------------------------------------------------------- queries
def agg_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All rows of ``nutrition_agg`` with rates added (small: levels × months × sources)."""
    from kla.repository import query

    df = query(con, "nutrition_agg")
    df["period"] = pd.to_datetime(df["period"])
    return add_rates(df)


def published_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Published child-nutrition figures with their source URLs (survey and routine apart)."""
    from kla.repository import query

    return query(con, "nutrition_published")


# ----------------------------------------------------------------------------- figures
#: National stunting targets (domain.md §6.3): (label, {year: %}, source).
TARGETS = (
    ("Target RPJMN 2020–2024 (14%)", {2024: 14.0}, "Perpres 72/2021; kompas.com 2024-05-13"),
    ("Target RPJMN 2025–2029", {2025: 18.8, 2029: 14.2}, "Bappenas; harianjogja.com 2025-01-18"),
)
WHO_HIGH = 20.0  # WHO prevalence threshold: >= 20% is "high" (de Onis et al. 2019)
SURVEY_SERIES = {"36.73": "Kota", "36": "Provinsi", "ID": "Nasional"}


def _stamp(title: str, source: str, date: str, sample: bool, extra: str = ""):
    from kla.charts import Stamp

    return Stamp(title=title, source=source, data_date=date, sample=sample, extra=extra)


def survey_trend_figure(pub: pd.DataFrame, *, city_code: str, city_name: str):
    """Survey (SSGI/SKI) stunting prevalence for city, province and nation, against the targets.

    Routine e-PPGBM figures are never drawn here: they measure something else (domain.md §5.2).
    """
    import plotly.graph_objects as go

    from kla.charts import OKABE_ITO, apply_stamp

    sv = pub[pub["indicator"] == "stunting_prevalence_survey"].copy()
    sv["year"] = pd.to_numeric(sv["period"].str[:4], errors="coerce")
    fig = go.Figure()
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["grey"]]
    province = city_code.split(".")[0]
    for (code, label), colour in zip(
        ((city_code, city_name), (province, "Provinsi"), ("ID", "Nasional")), colours, strict=True
    ):
        d = sv[sv["area_code"] == code].sort_values("year")
        if d.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=d["year"],
                y=d["value_num"],
                mode="lines+markers+text" if code == city_code else "lines+markers",
                name=f"{label} (survei)",
                line=dict(color=colour, width=3 if code == city_code else 1.5),
                text=[f"{v:.1f}%" for v in d["value_num"]],
                textposition="top center",
                customdata=d[["source_kind", "status"]].to_numpy(),
                hovertemplate="%{x}: %{y:.1f}%<br>%{customdata[0]} (%{customdata[1]})<extra></extra>",
            )
        )
    for (label, pts, _src), dash in zip(TARGETS, ("dot", "dash"), strict=True):
        xs = sorted(pts)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[pts[x] for x in xs],
                mode="lines+markers",
                name=label,
                line=dict(color=OKABE_ITO["vermillion"], dash=dash, width=2),
                marker=dict(symbol="diamond"),
            )
        )
    fig.add_hline(
        y=WHO_HIGH,
        line_dash="longdash",
        line_color=OKABE_ITO["purple"],
        annotation_text="WHO: ≥ 20% = tinggi",
        annotation_position="top left",
    )
    fig.update_yaxes(title="prevalensi stunting (%)", rangemode="tozero", gridcolor="#eee")
    fig.update_xaxes(dtick=1, gridcolor="#f4f4f4")
    fig.update_layout(legend=dict(orientation="h", y=-0.2))
    years = sv.loc[sv["area_code"] == city_code, "period"]
    return apply_stamp(
        fig,
        _stamp(
            "Stunting balita menurut survei (SSGI/SKI) dan target",
            "SSGI/SKI via berita & databoks (lihat tabel sumber); target: RPJMN/Perpres 72/2021",
            years.max() if len(years) else "-",
            False,
            extra="survei ≠ e-PPGBM rutin",
        ),
        height=380,
    )


def routine_trend_figure(rows: pd.DataFrame, *, measure: str, area_name: str, source_label: str, sample: bool):
    """Monthly routine prevalence for one area with its Wilson 95% band; months flagged for
    coverage, small n or conflict get hollow markers (named in the hover)."""
    import plotly.graph_objects as go

    from kla.charts import OKABE_ITO, apply_stamp

    label = MEASURES[measure][2]
    num_col, den_col, _ = MEASURES[measure]
    d = rows.sort_values("period")
    x = d["period"]
    # A month with 1-4 cases shows neither its count nor its rate (the rate and n would reveal it).
    small = (d[num_col] > 0) & (d[num_col] < SUPPRESS_BELOW)
    pct, lo, hi = (d[f"{measure}{s}"].mask(small) for s in ("_pct", "_lo", "_hi"))
    cases = d[num_col].astype("float").mask(small)
    case_text = [
        f"< {SUPPRESS_BELOW} (disamarkan)" if h else f"{int(n):,}" for n, h in zip(d[num_col], small, strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(x) + list(x[::-1]),
            y=list(hi) + list(lo[::-1]),
            fill="toself",
            fillcolor="rgba(0,114,178,0.15)",
            line=dict(width=0),
            name="IK 95% (Wilson)",
            hoverinfo="skip",
        )
    )
    flags = flag_text(d)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=pct,
            mode="lines+markers",
            name=f"{label} ({source_label})",
            line=dict(color=OKABE_ITO["blue"], width=2),
            marker=dict(size=8, symbol=["circle-open" if f else "circle" for f in flags]),
            customdata=np.column_stack([case_text, d[den_col], d["coverage_pct"], flags]),
            hovertemplate="%{x|%m/%Y}: %{y:.1f}%<br>%{customdata[0]} dari %{customdata[1]} anak"
            "<br>cakupan %{customdata[2]:.0f}%<br>%{customdata[3]}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=cases,
            name="jumlah kasus (sumbu kanan)",
            marker_color="rgba(230,159,0,0.35)",
            yaxis="y2",
            hovertemplate="%{x|%m/%Y}: %{y:,} kasus<extra></extra>",
        )
    )
    fig.update_yaxes(title=f"{label.split(' (')[0]} (%)", rangemode="tozero", gridcolor="#eee")
    fig.update_layout(
        legend=dict(orientation="h", y=-0.2),
        yaxis2=dict(title="jumlah kasus", overlaying="y", side="right", rangemode="tozero", showgrid=False),
    )
    fig.update_xaxes(tickformat="%m/%Y")  # numeric months: d3 would print English month names
    last = d["period"].max()
    return apply_stamp(
        fig,
        _stamp(
            f"{label} per bulan: {area_name}",
            f"{source_label} (rutin, bukan survei)",
            month_label(last) if pd.notna(last) else "-",
            sample,
            extra="titik berongga = ada catatan mutu data",
        ),
        height=360,
    )


def coverage_figure(rows: pd.DataFrame, *, area_name: str, source_label: str, sample: bool):
    """Children measured against the target population (sasaran) per month, with the 95% goal."""
    import plotly.graph_objects as go

    from kla.charts import OKABE_ITO, apply_stamp

    d = rows.sort_values("period")
    fig = go.Figure(
        go.Bar(
            x=d["period"],
            y=d["coverage_pct"],
            name="cakupan pengukuran",
            marker_color=[
                OKABE_ITO["orange"] if c < COVERAGE_TARGET * 100 else OKABE_ITO["green"]
                for c in d["coverage_pct"].fillna(0)
            ],
            customdata=np.column_stack([d["measured"], d["sasaran"].astype("Float64")]),
            hovertemplate="%{x|%m/%Y}: %{y:.0f}%<br>%{customdata[0]} diukur dari sasaran "
            "%{customdata[1]}<extra></extra>",
        )
    )
    fig.add_hline(
        y=COVERAGE_TARGET * 100,
        line_dash="dash",
        line_color=OKABE_ITO["vermillion"],
        annotation_text="target input 95%",
        annotation_position="bottom right",
    )
    fig.update_yaxes(title="balita diukur / sasaran (%)", rangemode="tozero", gridcolor="#eee")
    fig.update_xaxes(tickformat="%m/%Y")  # numeric months: d3 would print English month names
    last = d["period"].max()
    return apply_stamp(
        fig,
        _stamp(f"Cakupan pengukuran: {area_name}", source_label, month_label(last) if pd.notna(last) else "-", sample),
        height=300,
    )


def ranking_figure(rows: pd.DataFrame, *, measure: str, level_label: str, month: str, source_label: str, sample: bool):
    """Areas ranked by prevalence for one month, with CI whiskers and coverage in the label."""
    import plotly.graph_objects as go

    from kla.charts import OKABE_ITO, apply_stamp

    label = MEASURES[measure][2]
    num_col, den_col, _ = MEASURES[measure]
    d = rows.dropna(subset=[f"{measure}_pct"])
    # counts of 1-4 cases are not shown (the bar and its rate would reveal them): listed last, by name
    small = (d[num_col] > 0) & (d[num_col] < SUPPRESS_BELOW)
    d = pd.concat([d[small].sort_values("area_name", ascending=False), d[~small].sort_values(f"{measure}_pct")])
    small = ((d[num_col] > 0) & (d[num_col] < SUPPRESS_BELOW)).to_numpy()
    flags = flag_text(d)
    pct = d[f"{measure}_pct"].mask(small)
    text = []
    for p, n, c, hidden in zip(d[f"{measure}_pct"], d[den_col], d["coverage_pct"], small, strict=True):
        head = f"< {SUPPRESS_BELOW} kasus (disamarkan)" if hidden else f"{p:.1f}%"
        text.append(f"{head} · n={n:,} · cakupan {c:.0f}%" if pd.notna(c) else f"{head} · n={n:,}")
    fig = go.Figure(
        go.Bar(
            y=d["area_name"],
            x=pct,
            orientation="h",
            text=text,
            textposition="outside",
            marker_color=[OKABE_ITO["grey"] if f else OKABE_ITO["blue"] for f in flags],
            error_x=dict(
                type="data",
                symmetric=False,
                array=(d[f"{measure}_hi"] - d[f"{measure}_pct"]).mask(small, 0),
                arrayminus=(d[f"{measure}_pct"] - d[f"{measure}_lo"]).mask(small, 0),
                color="#555",
                thickness=1,
            ),
            customdata=np.array(flags, dtype=object),
            hovertemplate="%{y}: %{x:.1f}%<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title=f"{label.split(' (')[0]} (%), garis = IK 95%", rangemode="tozero", gridcolor="#eee")
    fig.update_layout(bargap=0.25)
    return apply_stamp(
        fig,
        _stamp(
            f"Peringkat {level_label}: {label}, {month}",
            f"{source_label} (rutin)",
            month,
            sample,
            extra="abu-abu = ada catatan mutu data",
        ),
        height=max(300, 28 * len(d) + 120),
    )


FLAG_LABELS = {
    "flag_low_coverage": "cakupan < 95%",
    "flag_small_n": "n < 30",
    "flag_conflict": "angka antarsumber berbeda",
    "flag_zero": "terisi nol",
}


def flag_text(d: pd.DataFrame) -> list[str]:
    """One readable note per row naming its data-quality flags (empty when none)."""
    out = []
    for rec in d[list(FLAG_LABELS)].fillna(False).itertuples(index=False):
        out.append(", ".join(lbl for lbl, on in zip(FLAG_LABELS.values(), rec, strict=True) if on))
    return out


def ranking_table(rows: pd.DataFrame, *, measure: str) -> pd.DataFrame:
    """Ranking as a table: area, prevalence and CI, numerator, denominator, coverage, flags."""
    num, den, _ = MEASURES[measure]
    d = rows.sort_values(f"{measure}_pct", ascending=False)
    return pd.DataFrame(
        {
            "Wilayah": d["area_name"],
            "Prevalensi (%)": d[f"{measure}_pct"].round(1),
            "IK 95% bawah": d[f"{measure}_lo"].round(1),
            "IK 95% atas": d[f"{measure}_hi"].round(1),
            "Jumlah kasus": d[num],
            "Anak dengan z-score sah": d[den],
            "Diukur": d["measured"],
            "Sasaran": d["sasaran"],
            "Cakupan (%)": d["coverage_pct"].round(0),
            "Nilai tak masuk akal (dikeluarkan)": d["implausible_haz"] + d["implausible_whz"] + d["implausible_waz"],
            "Catatan mutu data": flag_text(d),
        }
    ).reset_index(drop=True)


def shareable(table: pd.DataFrame) -> pd.DataFrame:
    """Copy of :func:`ranking_table` for press: counts 1–4 hidden, and their rates too."""
    counts = ["Jumlah kasus", "Anak dengan z-score sah", "Diukur", "Nilai tak masuk akal (dikeluarkan)"]
    out = suppress_small(table, counts)
    hidden = out["Jumlah kasus"].isna() & table["Jumlah kasus"].gt(0)
    for c in ("Prevalensi (%)", "IK 95% bawah", "IK 95% atas"):
        out[c] = out[c].astype("Float64").mask(hidden)
    return out


# ----------------------------------------------------------------------------- page helpers
SOURCE_LABELS = {"eppgbm": "e-PPGBM", "rekap": "Rekap bulanan"}
LEVEL_LABELS = {"kota": "Kota", "kecamatan": "Kecamatan", "kelurahan": "Kelurahan", "puskesmas": "Puskesmas"}


def area_options(agg: pd.DataFrame, source_type: str) -> list[tuple[str, str]]:
    """(code, label) for the area picker: the city, then each kecamatan followed by its kelurahan."""
    d = agg[agg["source_type"] == source_type][["level", "area_code", "area_name", "parent_code"]].drop_duplicates(
        "area_code"
    )
    out = [(r.area_code, r.area_name) for r in d[d.level == "kota"].itertuples()]
    for kec in d[d.level == "kecamatan"].sort_values("area_name").itertuples():
        out.append((kec.area_code, f"Kec. {kec.area_name}"))
        for kel in d[(d.level == "kelurahan") & (d.parent_code == kec.area_code)].sort_values("area_name").itertuples():
            out.append((kel.area_code, f"   · {kel.area_name}"))
    return out


def series(agg: pd.DataFrame, source_type: str, area_code: str) -> pd.DataFrame:
    """Monthly rows of one area and source type."""
    return agg[(agg["source_type"] == source_type) & (agg["area_code"] == area_code)].sort_values("period")


def children(agg: pd.DataFrame, source_type: str, area_code: str, period: pd.Timestamp) -> tuple[str, pd.DataFrame]:
    """The areas one level below ``area_code`` in one month: (level label, rows)."""
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period)]
    level = d.loc[d["area_code"] == area_code, "level"]
    level = level.iloc[0] if len(level) else "kota"
    if level == "kota":
        return "kecamatan", d[d["level"] == "kecamatan"]
    if level == "kecamatan":
        return "kelurahan", d[(d["level"] == "kelurahan") & (d["parent_code"] == area_code)]
    return "kelurahan", d[d["area_code"] == area_code]


def flag_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """How many areas carry each data-quality flag."""
    return pd.DataFrame(
        {
            "Catatan mutu data": list(FLAG_LABELS.values()),
            "Jumlah wilayah": [int(rows[c].fillna(False).sum()) for c in FLAG_LABELS],
        }
    )


def published_table(pub: pd.DataFrame) -> pd.DataFrame:
    """Published figures for display, survey and routine labelled apart."""
    kind = np.where(pub["indicator"].str.contains("survey"), "survei (SSGI/SKI)", "rutin (Dinkes/e-PPGBM)")
    return pd.DataFrame(
        {
            "Jenis": kind,
            "Indikator": pub["indicator"],
            "Wilayah": pub["area_name"],
            "Periode": pub["period"],
            "Nilai": pub["value"],
            "Satuan": pub["unit"],
            "Sumber": pub["source_kind"],
            "Status": pub["status"],
            "Tautan": pub["source_url"],
            "Catatan": pub["note"],
        }
    )


def report_json(report: ImportReport) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)


def today() -> dt.date:
    return dt.date.today()


__all__ = [
    "MEASURES",
    "ImportReport",
    "KlaError",
    "add_rates",
    "agg_frame",
    "import_eppgbm",
    "import_rekap",
    "load_sample",
    "published_frame",
    "suppress_small",
    "wilson",
]
