"""What the Gizi Anak page, the maps and the analysis pages read and draw from the nutrition store.

Frames (:func:`agg_frame`, :func:`published_frame`), the survey and routine trend figures (kept
as separate series: survey SSGI/SKI prevalence and routine e-PPGBM/recap prevalence measure
different things, domain.md §5.2), rankings, data-quality flag texts and the published-figures
table. The import machinery and the rate arithmetic live in :mod:`kla.ingest.nutrition`.

Everything here that the page shows goes through two rules:

* **One suppression rule.** A count from 1 to ``SUPPRESS_BELOW - 1`` (kla.core.privacy) is shown as
  "< 5", and a rate resting on such a count is not shown at all (rate, its interval and the
  denominator together would give the count away): :func:`is_small`, :func:`fmt_count`,
  :func:`fmt_rate`. Metrics, tables, the CSV download and the charts all use them.
* **Indonesian numbers.** Decimal comma and thousands dot (``4,2%``, ``58.623``,
  ``IK 95%: 4,0–4,4%``) by the dashboard's one rule in :mod:`kla.core.fmt`: :func:`fmt_num`,
  :func:`fmt_pct`, :func:`fmt_ci`. Figures get ``separators=",."`` from
  :func:`kla.figures.charts.apply_stamp`, so plotly's own hover numbers agree.

Stored source data (indicator codes, English notes and statuses of the published figures) are
kept as they are and translated at display time through the mapping tables below; a value the
tables do not know is shown as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from kla.core import catalog, fmt
from kla.core.fmt import month_label
from kla.core.privacy import SUPPRESS_BELOW
from kla.core.rates import COVERAGE_TARGET, SMALL_N, add_rates
from kla.ingest.eppgbm import puskesmas_label


# ----------------------------------------------------------------------------- queries
def agg_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All rows of ``nutrition_agg`` with rates added (small: levels × months × sources)."""
    from kla.read.repository import query

    df = query(con, "nutrition_agg")
    df["period"] = pd.to_datetime(df["period"])
    return add_rates(df)


def published_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Published child-nutrition figures with their source URLs (survey and routine apart)."""
    from kla.read.repository import query

    return query(con, "nutrition_published")


# ----------------------------------------------------------------------------- numbers and suppression
def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: object, decimals: int = 0) -> str:
    """Indonesian number (:func:`kla.core.fmt.number`): ``58.623``, ``4,2``, ``2543``; ``–`` when missing."""
    return fmt.number(value, decimals)


def fmt_pct(value: object, decimals: int = 1) -> str:
    """``4,2%``; ``–`` when missing (:func:`kla.core.fmt.percent`)."""
    return fmt.percent(value, decimals)


def fmt_ci(lo: object, hi: object) -> str:
    """``IK 95%: 4,0–4,4%``; empty when either end is missing."""
    if _missing(lo) or _missing(hi):
        return ""
    return f"IK 95%: {fmt_num(lo, 1)}–{fmt_num(hi, 1)}%"


def is_small(count: object) -> bool:
    """The one suppression rule: a count from 1 to ``SUPPRESS_BELOW - 1`` is not shown."""
    return not _missing(count) and 0 < float(count) < SUPPRESS_BELOW


SMALL_TEXT = f"< {SUPPRESS_BELOW}"
HIDDEN_RATE_TEXT = f"< {SUPPRESS_BELOW} kasus (disamarkan)"


def fmt_count(count: object) -> str:
    """A count for display: ``< 5`` for 1–4, Indonesian digits otherwise, ``–`` when missing."""
    return SMALL_TEXT if is_small(count) else fmt_num(count)


def fmt_rate(cases: object, pct: object, decimals: int = 1) -> str:
    """A prevalence for display; hidden when it rests on 1–4 cases."""
    return HIDDEN_RATE_TEXT if is_small(cases) else fmt_pct(pct, decimals)


def small_mask(counts: pd.Series) -> pd.Series:
    """Vector form of :func:`is_small`."""
    v = pd.to_numeric(counts, errors="coerce")
    return (v > 0) & (v < SUPPRESS_BELOW)


# ----------------------------------------------------------------------------- flags
#: Data-quality flags in the order they are named (most important first).
FLAG_LABELS = {
    "flag_incomplete": "wilayah belum lengkap",
    "flag_low_coverage": "cakupan < 95%",
    "flag_small_n": f"n < {SMALL_N}",
    "flag_conflict": "angka antarsumber berbeda",
    "flag_zero": "terisi nol (tidak ada anak diukur)",
    "flag_zero_cases": "semua kasus 0 padahal ≥ 100 anak (periksa isian)",
}


def measure_flags(d: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """Boolean flag columns of ``d`` (missing ones are False).

    With ``measure`` the small-denominator flag uses that measure's own denominator (``n_whz``
    for wasting, ``n_waz`` for underweight); the stored ``flag_small_n`` is stunting's (``n_haz``).
    """
    out = pd.DataFrame(index=d.index)
    for col in FLAG_LABELS:
        out[col] = d[col].fillna(False).astype(bool) if col in d.columns else False
    if measure is not None:
        den = (catalog.RATES.get(measure) or catalog.CATALOG[measure]).denominator
        if den in d.columns:
            n = pd.to_numeric(d[den], errors="coerce")
            measured = pd.to_numeric(d["measured"], errors="coerce") if "measured" in d.columns else n
            # n = 0 while children were measured: the source did not report this measure (a recap
            # without its columns), which is "not reported", not a small denominator
            out["flag_small_n"] = ((n < SMALL_N) & ~((n == 0) & (measured > 0))).fillna(False).astype(bool)
    return out


def _int(value: object) -> int | None:
    return None if _missing(value) else int(value)


def incomplete_text(row: object) -> str:
    """``"wilayah belum lengkap: 5 dari 6 kecamatan melapor"`` from one agg row's counts."""
    get = row.get if hasattr(row, "get") else (lambda k, default=None: getattr(row, k, default))
    parts = []
    kr, ke = _int(get("kec_reporting")), _int(get("kec_expected"))
    if kr is not None and ke is not None and kr < ke:
        parts.append(f"{kr} dari {ke} kecamatan")
    ur, ue, ul = _int(get("units_reporting")), _int(get("units_expected")), get("units_level")
    if ur is not None and ue is not None and ur < ue and isinstance(ul, str):
        parts.append(f"{fmt_num(ur)} dari {fmt_num(ue)} {ul}")
    if not parts:
        return FLAG_LABELS["flag_incomplete"]
    return f"{FLAG_LABELS['flag_incomplete']}: {', '.join(parts)} melapor"


def flag_text(d: pd.DataFrame, measure: str | None = None) -> list[str]:
    """One readable note per row naming its data-quality flags (empty when none).

    Tolerates frames that carry only some flag columns (the analysis pages pass four).
    """
    flags = measure_flags(d, measure)
    labels = list(FLAG_LABELS.values())
    incomplete = list(FLAG_LABELS).index("flag_incomplete")
    out = []
    for i, rec in enumerate(flags.to_numpy()):
        names = [(incomplete_text(d.iloc[i]) if j == incomplete else labels[j]) for j, on in enumerate(rec) if on]
        out.append(", ".join(names))
    return out


def flag_summary(rows: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """How many areas carry each data-quality flag."""
    flags = measure_flags(rows, measure)
    out = pd.DataFrame(
        {
            "Catatan mutu data": list(FLAG_LABELS.values()),
            "Jumlah wilayah": [int(flags[c].sum()) for c in FLAG_LABELS],
        }
    )
    if "no_data" in rows.columns:
        out.loc[len(out)] = [NO_DATA_TEXT, int(rows["no_data"].astype(bool).sum())]
    return out


# ----------------------------------------------------------------------------- months
def _city_rows(agg: pd.DataFrame, source_type: str) -> pd.DataFrame:
    return agg[(agg["source_type"] == source_type) & (agg["level"] == "kota")].sort_values("period")


def _month_ok(rows: pd.DataFrame) -> pd.Series:
    flags = measure_flags(rows)
    return ~(flags["flag_incomplete"] | flags["flag_zero"])


def default_period(agg: pd.DataFrame, source_type: str) -> pd.Timestamp | None:
    """The latest month whose city total is complete (every kecamatan and kelurahan reports, not
    zero-filled); the latest month of all when none is (it then carries its flag)."""
    city = _city_rows(agg, source_type)
    if city.empty:
        periods = agg.loc[agg["source_type"] == source_type, "period"]
        return periods.max() if len(periods) else None
    ok = city[_month_ok(city)]
    return (ok if len(ok) else city)["period"].max()


def period_options(agg: pd.DataFrame, source_type: str) -> list[tuple[pd.Timestamp, str]]:
    """(month, label) newest first; incomplete or zero-filled months say so in their label."""
    city = _city_rows(agg, source_type)
    flags = measure_flags(city)
    note = dict(
        zip(
            city["period"],
            np.where(flags["flag_incomplete"], " — belum lengkap", np.where(flags["flag_zero"], " — terisi nol", "")),
            strict=True,
        )
    )
    periods = sorted(agg.loc[agg["source_type"] == source_type, "period"].unique(), reverse=True)
    return [(pd.Timestamp(p), month_label(p) + note.get(pd.Timestamp(p), "")) for p in periods]


def month_notice(agg: pd.DataFrame, source_type: str, period: pd.Timestamp) -> str | None:
    """A warning for a month whose city total is incomplete, naming the latest complete month."""
    city = _city_rows(agg, source_type)
    now = city[city["period"] == period]
    if now.empty or bool(_month_ok(now).iloc[0]):
        return None
    r = now.iloc[0]
    what = incomplete_text(r) if bool(r.get("flag_incomplete", False)) else FLAG_LABELS["flag_zero"]
    ok = city[_month_ok(city)]
    last = f" Bulan lengkap terakhir: {month_label(ok['period'].max())}." if len(ok) else ""
    return (
        f"{month_label(period)}: {what}. Angka kota dan kecamatan bulan ini hanya mencakup wilayah yang "
        f"sudah melapor; jangan dibandingkan langsung dengan bulan yang lengkap.{last}"
    )


# ----------------------------------------------------------------------------- headline metrics
@dataclass(frozen=True)
class Metric:
    """One ``st.metric``: label, value text and help text (all already suppressed/formatted)."""

    label: str
    value: str
    help: str = ""


def short_label(measure: str) -> str:
    """``"Stunting"`` from ``"Stunting (TB/U < −2 SD)"``."""
    return catalog.rate(measure).rate_label.split(" (")[0].split(":")[0]


def headline(row: pd.Series, *, measure: str, period: pd.Timestamp) -> list[Metric]:
    """The four metrics above the ranking, through the one suppression rule."""
    num, den = catalog.rate(measure).nutrition
    cases = row[num]
    if is_small(cases):
        rate, helptext = (
            HIDDEN_RATE_TEXT,
            f"1–{SUPPRESS_BELOW - 1} kasus: angka dan IK 95% tidak ditampilkan agar anak tidak dapat dikenali.",
        )
    else:
        rate = fmt_pct(row[f"{measure}_pct"])
        ci = fmt_ci(row[f"{measure}_lo"], row[f"{measure}_hi"])
        helptext = f"{ci}; {fmt_count(cases)} kasus dari {fmt_count(row[den])} anak dengan z-score sah" if ci else ""
    excluded = sum(int(row[c]) for c in ("implausible_haz", "implausible_whz", "implausible_waz"))
    cov = row.get("coverage_pct")
    return [
        Metric(f"{short_label(measure)}, {month_label(period)}", rate, helptext),
        Metric("Anak diukur", fmt_count(row["measured"])),
        Metric(
            "Cakupan",
            fmt_pct(cov, 0) if not _missing(cov) else "tanpa sasaran",
            "anak diukur / sasaran balita" if not _missing(cov) else "sumber ini tidak memuat sasaran balita",
        ),
        Metric("Dikeluarkan (tak masuk akal)", fmt_count(excluded), "nilai z di luar batas WHO, tidak dihitung"),
    ]


NO_SASARAN_TEXT = (
    "Tanpa sasaran: ekspor e-PPGBM tidak memuat jumlah sasaran balita, jadi cakupan pengukuran "
    "(diukur / sasaran) tidak dapat dihitung dari e-PPGBM saja. Impor rekap bulanan dengan kolom "
    "Sasaran Balita untuk wilayah dan bulan yang sama agar cakupan muncul."
)


def has_sasaran(rows: pd.DataFrame) -> bool:
    """True when any row has a target population (so coverage can be shown)."""
    return "sasaran" in rows.columns and bool(pd.to_numeric(rows["sasaran"], errors="coerce").gt(0).any())


# ----------------------------------------------------------------------------- figures
WHO_HIGH = 20.0  # WHO prevalence threshold: >= 20% is "high" (de Onis et al. 2019)
#: Surveys drawn as one connected line: SSGI (2021, 2022, 2024) and SKI 2023 share the SSGI design.
#: Any other survey (SSGBI 2019, Riskesdas) is a separate marker, never joined to that line.
LINE_SURVEYS = frozenset({"SSGI", "SKI"})
_SURVEY_RE = re.compile(r"^\s*survey\s+(?P<family>[A-Za-z]+)", re.IGNORECASE)


def survey_family(source_kind: object) -> str:
    """``"SSGI"`` from ``"survey SSGI 2022"``; ``""`` when not a survey."""
    m = _SURVEY_RE.match(str(source_kind or ""))
    return m.group("family").upper() if m else ""


def _stamp(title: str, source: str, date: str, sample: bool, extra: str = ""):
    from kla.figures.charts import Stamp

    return Stamp(title=title, source=source, data_date=date, sample=sample, extra=extra)


def survey_trend_figure(pub: pd.DataFrame, *, city_code: str, city_name: str):
    """Survey (SSGI/SKI) stunting prevalence for city, province and nation, against the targets.

    SSGI and SKI points are one line per area; a survey of another design (SSGBI 2019) is its own
    marker with its own legend entry, not joined to the line (the jump would look like a real
    fall). Provenance and status are in every hover. Routine e-PPGBM figures are never drawn
    here: they measure something else (domain.md §5.2).
    """
    import plotly.graph_objects as go

    from kla.figures.charts import OKABE_ITO, add_targets, apply_stamp

    sv = pub[pub["indicator"] == "stunting_prevalence_survey"].copy()
    sv["year"] = pd.to_numeric(sv["period"].astype(str).str[:4], errors="coerce")
    sv["family"] = [survey_family(k) for k in sv["source_kind"]]
    sv["hover"] = [
        f"{source_kind_label(k)} · {status_label(s)}" for k, s in zip(sv["source_kind"], sv["status"], strict=True)
    ]
    fig = go.Figure()
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["grey"]]
    province = city_code.split(".")[0]
    for (code, label), colour in zip(
        ((city_code, city_name), (province, "Provinsi"), ("ID", "Nasional")), colours, strict=True
    ):
        d = sv[sv["area_code"] == code].sort_values("year")
        if d.empty:
            continue
        is_city = code == city_code
        line = d[d["family"].isin(LINE_SURVEYS)]
        if not line.empty:
            fig.add_trace(
                go.Scatter(
                    x=line["year"],
                    y=line["value_num"],
                    mode="lines+markers+text" if is_city else "lines+markers",
                    name=f"{label} (survei SSGI/SKI)",
                    line=dict(color=colour, width=3 if is_city else 1.5),
                    text=[fmt_pct(v) for v in line["value_num"]] if is_city else None,
                    textposition="top center",
                    customdata=line[["hover"]].to_numpy(),
                    hovertemplate=f"{label} %{{x}}: %{{y:.1f}}%<br>%{{customdata[0]}}<extra></extra>",
                )
            )
        for (family, year), pt in d[~d["family"].isin(LINE_SURVEYS)].groupby(["family", "year"], sort=True):
            quoted = pt["status"].astype(str).str.startswith("as quoted").any()
            name = f"{label}: {family or 'survei lain'} {int(year)}" + (" (dikutip)" if quoted else "")
            fig.add_trace(
                go.Scatter(
                    x=pt["year"],
                    y=pt["value_num"],
                    mode="markers+text" if is_city else "markers",
                    name=name,
                    marker=dict(color=colour, size=11 if is_city else 8, symbol="diamond-open", line=dict(width=2)),
                    text=[fmt_pct(v) for v in pt["value_num"]] if is_city else None,
                    textposition="middle right",
                    customdata=pt[["hover"]].to_numpy(),
                    hovertemplate=f"{label} %{{x}}: %{{y:.1f}}%<br>%{{customdata[0]}}"
                    "<br>survei lain (metode berbeda), tidak disambung ke garis SSGI/SKI<extra></extra>",
                )
            )
    add_targets(fig, catalog.measure("stunting_prevalence").targets)
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
            extra="survei ≠ e-PPGBM rutin; SSGBI 2019 metode lain (titik terpisah)",
        ),
        height=400,
    )


def routine_trend_figure(rows: pd.DataFrame, *, measure: str, area_name: str, source_label: str, sample: bool):
    """Monthly routine prevalence for one area with its Wilson 95% band; months flagged for
    coverage, small n (this measure's denominator), incomplete areas or conflict get hollow
    markers (named in the hover)."""
    import plotly.graph_objects as go

    from kla.figures.charts import OKABE_ITO, apply_stamp

    label = catalog.rate(measure).rate_label
    num_col, den_col = catalog.rate(measure).nutrition
    d = rows.sort_values("period")
    x = d["period"]
    # A month with 1-4 cases shows neither its count nor its rate (the rate and n would reveal it).
    small = small_mask(d[num_col])
    pct, lo, hi = (d[f"{measure}{s}"].mask(small) for s in ("_pct", "_lo", "_hi"))
    cases = d[num_col].astype("float").mask(small)
    case_text = [
        f"{SMALL_TEXT} kasus (disamarkan)" if h else f"{fmt_num(n)} kasus"
        for n, h in zip(d[num_col], small, strict=True)
    ]
    cov_text = [
        "tanpa sasaran (cakupan tidak dihitung)" if _missing(c) else f"cakupan {fmt_pct(c, 0)}"
        for c in d["coverage_pct"]
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
    flags = flag_text(d, measure)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=pct,
            mode="lines+markers",
            name=f"{label} ({source_label})",
            line=dict(color=OKABE_ITO["blue"], width=2),
            marker=dict(size=8, symbol=["circle-open" if f else "circle" for f in flags]),
            customdata=np.column_stack([case_text, [fmt_count(n) for n in d[den_col]], cov_text, flags]),
            hovertemplate="%{x|%m/%Y}: %{y:.1f}%<br>%{customdata[0]} dari %{customdata[1]} anak"
            "<br>%{customdata[2]}<br>%{customdata[3]}<extra></extra>",
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
            extra="titik berongga = ada catatan mutu data"
            + (f"; bulan dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan" if bool(small.any()) else ""),
        ),
        height=360,
    )


def coverage_figure(rows: pd.DataFrame, *, area_name: str, source_label: str, sample: bool):
    """Children measured against the target population (sasaran) per month, with the 95% goal.

    Only meaningful where a sasaran exists (:func:`has_sasaran`); the page says "tanpa sasaran"
    once instead of drawing an empty chart.
    """
    import plotly.graph_objects as go

    from kla.figures.charts import OKABE_ITO, apply_stamp

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
            customdata=np.column_stack([[fmt_count(v) for v in d["measured"]], [fmt_count(v) for v in d["sasaran"]]]),
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


# ----------------------------------------------------------------------------- rankings
SOURCE_LABELS = {"eppgbm": "e-PPGBM", "rekap": "Rekap bulanan"}
LEVEL_LABELS = {"kota": "Kota", "kecamatan": "Kecamatan", "kelurahan": "Kelurahan", "puskesmas": "Puskesmas"}
#: Widget key of the ranking level choice (Kelurahan / Kecamatan / Puskesmas).
RANK_LEVEL_KEY = "gizi_tingkat_peringkat"
NO_DATA_TEXT = "tidak ada data bulan ini"


def rank_levels(agg: pd.DataFrame, source_type: str, period: pd.Timestamp) -> list[str]:
    """Levels that can be ranked this month: kelurahan and kecamatan, and puskesmas when the
    source has puskesmas rows for the month."""
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period)]
    have = set(d["level"])
    return [lvl for lvl in ("kelurahan", "kecamatan", "puskesmas") if lvl in have]


def rank_areas(
    agg: pd.DataFrame,
    *,
    source_type: str,
    period: pd.Timestamp,
    measure: str,
    level: str,
    areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every area of ``level`` citywide for one month, ranked by ``measure``.

    ``rank`` 1 = highest prevalence. Areas whose rate rests on 1–4 cases get no rank (the place
    would narrow the hidden count down) and are listed after the ranked ones; areas of the
    wilayah table (``areas``: code, level, name, parent_code) without a row this month are listed
    last with no data. Adds ``kecamatan_name``, ``display_name``, ``suppressed``, ``no_data`` and
    ``rank_of`` (how many areas were ranked).
    """
    num, den = catalog.rate(measure).nutrition
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period) & (agg["level"] == level)].copy()
    if areas is not None and level in ("kelurahan", "kecamatan") and not areas.empty:
        universe = areas[areas["level"] == level]
        missing = universe[~universe["code"].isin(d["area_code"])]
        if len(missing):
            extra = pd.DataFrame(
                {
                    "source_type": source_type,
                    "level": level,
                    "area_code": missing["code"].to_numpy(),
                    "area_name": missing["name"].to_numpy(),
                    "parent_code": missing["parent_code"].to_numpy(),
                    "period": period,
                }
            )
            d = pd.concat([d, extra], ignore_index=True) if len(d) else extra
    names = {}
    if areas is not None and not areas.empty:
        names = areas[areas["level"] == "kecamatan"].set_index("code")["name"].to_dict()
    names.update(
        agg[agg["level"] == "kecamatan"].drop_duplicates("area_code").set_index("area_code")["area_name"].to_dict()
    )
    d["kecamatan_name"] = d["parent_code"].map(names) if level != "kecamatan" else ""
    if level == "puskesmas":
        d["display_name"] = [puskesmas_label(n) for n in d["area_name"]]
    else:
        d["display_name"] = d["area_name"]
    # two kelurahan may share a name (Sukawana in Curug and in Kasemen): add the kecamatan
    twice = d["display_name"].duplicated(keep=False) & d["kecamatan_name"].fillna("").astype(bool)
    d.loc[twice, "display_name"] = d.loc[twice, "display_name"] + " (" + d.loc[twice, "kecamatan_name"] + ")"
    d["no_data"] = d["measured"].isna() if "measured" in d.columns else True
    d["suppressed"] = small_mask(d[num]) if num in d.columns else False
    pct = pd.to_numeric(d.get(f"{measure}_pct"), errors="coerce")
    rankable = ~d["no_data"] & ~d["suppressed"] & pct.notna()
    d["rank"] = pct.where(rankable).rank(ascending=False, method="min").astype("Int64")
    d["rank_of"] = int(rankable.sum())
    d["_order"] = np.select([rankable, d["suppressed"] & ~d["no_data"], ~d["no_data"]], [0, 1, 2], 3)
    d = d.sort_values(["_order", "rank", "display_name"], na_position="last").drop(columns="_order")
    return d.reset_index(drop=True)


@dataclass(frozen=True)
class RankScope:
    """Which ranked areas the page shows, which one is highlighted, and what to say about it."""

    rows: pd.DataFrame
    highlight: str | None
    title: str  # what is ranked, for the chart title: "kelurahan se-kota", "kelurahan di Kec. Kasemen (...)"
    position: str | None  # e.g. "Unyur: peringkat 12 dari 64 kelurahan se-kota ..."


def rank_scope(
    ranked: pd.DataFrame,
    *,
    level: str,
    area_code: str,
    area_level: str,
    area_name: str,
    area_parent: str | None = None,
) -> RankScope:
    """Filter a citywide ranking to the selected area.

    * city selected: every area of the level;
    * a kecamatan selected: its kelurahan (or its puskesmas), keeping their citywide ranks; at
      kecamatan level all six, the selected one highlighted;
    * a kelurahan selected: the whole citywide ranking with that kelurahan highlighted and its
      place stated (never a one-row ranking); at kecamatan level its kecamatan is highlighted.
    """
    lvl = LEVEL_LABELS[level].lower()
    rows, highlight, title = ranked, None, f"{lvl} se-kota"
    if area_level == "kecamatan":
        if level == "kecamatan":
            highlight = area_code
        else:
            rows = ranked[ranked["parent_code"] == area_code]
            name = re.sub(r"^\s*Kec\.\s*", "", area_name)
            title = f"{lvl} di Kec. {name} (peringkat se-kota)"
    elif area_level == "kelurahan":
        if level == "kelurahan":
            highlight = area_code
        elif level == "kecamatan":
            highlight = area_parent
    position = None
    if highlight is not None:
        hit = ranked[ranked["area_code"] == highlight]
        if len(hit):
            r = hit.iloc[0]
            name = r["display_name"]
            of = int(r["rank_of"])
            if bool(r["no_data"]):
                position = f"{name}: {NO_DATA_TEXT}, tidak ada peringkat."
            elif bool(r["suppressed"]):
                position = f"{name}: {HIDDEN_RATE_TEXT}, tanpa peringkat (dari {of} {lvl} yang diperingkat)."
            elif not _missing(r["rank"]):
                position = f"{name}: peringkat {int(r['rank'])} dari {of} {lvl} se-kota (1 = prevalensi tertinggi)."
                hidden = int(ranked["suppressed"].astype(bool).sum())
                if hidden:  # they may lie anywhere above or below: the place is among the shown ones only
                    position += (
                        f" {hidden} {lvl} lain dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan dan tidak diperingkat."
                    )
    return RankScope(rows=rows.reset_index(drop=True), highlight=highlight, title=title, position=position)


def ranking_figure(
    rows: pd.DataFrame,
    *,
    measure: str,
    level_label: str,
    month: str,
    source_label: str,
    sample: bool,
    highlight: str | None = None,
):
    """Areas ranked by prevalence for one month, with CI whiskers, n and coverage beside each bar.

    Rates resting on 1–4 cases are not drawn (the footer counts them; the table lists them), except
    the highlighted area, which gets an empty marker labelled "disamarkan". Areas without data
    are counted in the footer. Coverage is shown where a sasaran exists; without any sasaran the
    footer says so once.
    """
    import plotly.graph_objects as go

    from kla.figures.charts import OKABE_ITO, apply_stamp

    label = catalog.rate(measure).rate_label
    num_col, den_col = catalog.rate(measure).nutrition
    no_data = rows["no_data"].astype(bool) if "no_data" in rows.columns else pd.Series(False, index=rows.index)
    d = rows[~no_data]
    d = d[pd.to_numeric(d[den_col], errors="coerce").fillna(0) > 0]
    if "display_name" not in d.columns:
        d = d.assign(display_name=d["area_name"])
    small = small_mask(d[num_col])
    hidden = d[small]
    # plotly draws the first category at the bottom: rates ascending, so the highest is on top
    shown = d[~small].sort_values([f"{measure}_pct", "display_name"], ascending=[True, False], kind="stable")
    with_cov = has_sasaran(d)

    def name(row_name: str, code: str) -> str:
        return f"▶ {row_name}" if highlight is not None and code == highlight else row_name

    def note(n: object, c: object) -> str:
        part = f" · n={fmt_count(n)}"
        if with_cov:
            part += f" · cakupan {fmt_pct(c, 0)}" if not _missing(c) else " · tanpa sasaran"
        return part

    flags = flag_text(shown, measure)
    names = [name(n, c) for n, c in zip(shown["display_name"], shown["area_code"], strict=True)]
    colours = [
        OKABE_ITO["vermillion"]
        if highlight is not None and code == highlight
        else (OKABE_ITO["grey"] if f else OKABE_ITO["blue"])
        for f, code in zip(flags, shown["area_code"], strict=True)
    ]
    pct, lo, hi = (shown[f"{measure}{s}"] for s in ("_pct", "_lo", "_hi"))
    fig = go.Figure(
        go.Bar(
            y=names,
            x=pct,
            orientation="h",
            marker_color=colours,
            error_x=dict(type="data", symmetric=False, array=hi - pct, arrayminus=pct - lo, color="#555", thickness=1),
            customdata=np.column_stack(
                [
                    [fmt_ci(a, b) for a, b in zip(lo, hi, strict=True)],
                    [f or "tanpa catatan mutu data" for f in flags],
                ]
            )
            if len(shown)
            else None,
            hovertemplate="%{y}: %{x:.1f}%<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            showlegend=False,
        )
    )
    # the labels sit right of each whisker, so the interval never runs through the text
    fig.add_trace(
        go.Scatter(
            y=names,
            x=hi.fillna(pct),
            mode="text",
            text=[
                f"  {fmt_pct(p)}{note(n, c)}"
                for p, n, c in zip(pct, shown[den_col], shown["coverage_pct"], strict=True)
            ],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    order = list(names)
    mark = hidden[hidden["area_code"] == highlight] if highlight is not None else hidden.iloc[0:0]
    if len(mark):
        r = mark.iloc[0]
        hname = name(r["display_name"], r["area_code"])
        order = [hname, *order]
        fig.add_trace(
            go.Scatter(
                y=[hname],
                x=[0],
                mode="markers+text",
                marker=dict(symbol="square-open", size=12, color=OKABE_ITO["vermillion"]),
                text=[f"  {HIDDEN_RATE_TEXT}{note(r[den_col], r['coverage_pct'])}"],
                textposition="middle right",
                hovertemplate=f"%{{y}}: {HIDDEN_RATE_TEXT}<extra></extra>",
                showlegend=False,
            )
        )
    widest = pd.to_numeric(hi, errors="coerce").max()
    fig.update_xaxes(
        title=f"{label.split(' (')[0]} (%), garis = IK 95%",
        rangemode="tozero",
        gridcolor="#eee",
        range=[0, float(widest) * 1.7] if pd.notna(widest) and widest > 0 else [0, 1],
    )
    fig.update_yaxes(automargin=True, categoryorder="array", categoryarray=order)
    fig.update_layout(bargap=0.25, showlegend=False)
    unit = LEVEL_LABELS.get(str(rows["level"].iloc[0]), "wilayah").lower() if len(rows) else "wilayah"
    extra = ["abu-abu = ada catatan mutu data"]
    if highlight is not None:
        extra.insert(0, "▶ = wilayah terpilih")
    n_hidden = len(hidden) - len(mark)
    if n_hidden:
        extra.append(f"{n_hidden} {unit} dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan (tidak digambar)")
    if not with_cov:
        extra.append("tanpa sasaran: cakupan tidak dihitung")
    missing = int(no_data.sum())
    if missing:
        extra.append(f"{missing} {unit} tanpa data bulan ini")
    return apply_stamp(
        fig,
        _stamp(
            f"Peringkat {level_label}: {label}, {month}",
            f"{source_label} (rutin)",
            month,
            sample,
            extra=" · ".join(extra),
        ),
        height=max(300, 22 * len(order) + 160),
    )


def ranking_table(rows: pd.DataFrame, *, measure: str) -> pd.DataFrame:
    """The ranking as shown and shared: every number formatted the Indonesian way and through the
    one suppression rule (counts 1–4 as "< 5", their rates, intervals and ranks hidden).

    Columns: Peringkat, Wilayah, [Kecamatan], Prevalensi, IK 95%, Kasus, Anak dengan z-score sah,
    Diukur, [Sasaran, Cakupan — only when some row has a sasaran], Dikeluarkan (tak masuk akal),
    Catatan mutu data.
    """
    num, den = catalog.rate(measure).nutrition
    d = rows
    if "display_name" not in d.columns:
        d = d.assign(display_name=d["area_name"])
    no_data = d["no_data"].astype(bool) if "no_data" in d.columns else pd.Series(False, index=d.index)
    small = small_mask(d[num]) & ~no_data
    rank = d["rank"] if "rank" in d.columns else pd.Series(pd.NA, index=d.index)
    out = {"Peringkat": ["–" if _missing(r) else str(int(r)) for r in rank], "Wilayah": d["display_name"].tolist()}
    if "kecamatan_name" in d.columns and d["kecamatan_name"].fillna("").astype(str).str.len().gt(0).any():
        out["Kecamatan"] = d["kecamatan_name"].fillna("").tolist()
    out["Prevalensi"] = [
        "–" if nd else fmt_rate(c, p) for nd, c, p in zip(no_data, d[num], d[f"{measure}_pct"], strict=True)
    ]
    out["IK 95%"] = [
        "–" if (nd or h) else fmt_ci(lo, hi).removeprefix("IK 95%: ") or "–"
        for nd, h, lo, hi in zip(no_data, small, d[f"{measure}_lo"], d[f"{measure}_hi"], strict=True)
    ]
    out["Kasus"] = [fmt_count(v) for v in d[num]]
    out["Anak dengan z-score sah"] = [fmt_count(v) for v in d[den]]
    out["Diukur"] = [fmt_count(v) for v in d["measured"]]
    if has_sasaran(d):
        out["Sasaran"] = [fmt_count(v) for v in d["sasaran"]]
        out["Cakupan"] = [
            "–" if nd else (fmt_pct(c, 0) if not _missing(c) else "tanpa sasaran")
            for nd, c in zip(no_data, d["coverage_pct"], strict=True)
        ]
    implausible = d[["implausible_haz", "implausible_whz", "implausible_waz"]].sum(axis=1, min_count=1)
    out["Dikeluarkan (tak masuk akal)"] = [fmt_count(v) for v in implausible]
    notes = flag_text(d, measure)
    out["Catatan mutu data"] = [
        NO_DATA_TEXT if nd else (f"{HIDDEN_RATE_TEXT}; {n}" if h and n else (HIDDEN_RATE_TEXT if h else n))
        for nd, h, n in zip(no_data, small, notes, strict=True)
    ]
    return pd.DataFrame(out)


def table_caption(what: str, *, measure: str, month: str, source_label: str) -> str:
    """Title, source and date under the ranking table, so a screenshot of it says what it is
    (and DATA CONTOH when it is)."""
    return (
        f"Tabel peringkat {what}: {catalog.rate(measure).rate_label}, {month} · Sumber: {source_label} (rutin) · "
        f"1 = prevalensi tertinggi; wilayah dengan 1–{SUPPRESS_BELOW - 1} kasus disamarkan dan tidak ikut "
        "diperingkat"
    )


#: Columns of :func:`ranking_table` holding numbers (as Indonesian text): shown right-aligned.
NUMBER_COLUMNS = (
    "Peringkat",
    "Prevalensi",
    "IK 95%",
    "Kasus",
    "Anak dengan z-score sah",
    "Diukur",
    "Sasaran",
    "Cakupan",
    "Dikeluarkan (tak masuk akal)",
)


def ranking_csv(table: pd.DataFrame, *, month: str, source_label: str) -> bytes:
    """The shown table as CSV for sharing: ``;``-separated UTF-8 with BOM (opens in Excel set to
    Indonesian), with the month and the source (and DATA CONTOH, if so) on every row."""
    out = table.assign(Bulan=month, Sumber=source_label)
    return out.to_csv(index=False, sep=";").encode("utf-8-sig")


# ----------------------------------------------------------------------------- page helpers
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


def area_level(agg: pd.DataFrame, area_code: str) -> str:
    """``kota`` / ``kecamatan`` / ``kelurahan`` / ``puskesmas`` of an area code in the agg frame."""
    hit = agg.loc[agg["area_code"] == area_code, "level"]
    return str(hit.iloc[0]) if len(hit) else "kota"


def series(agg: pd.DataFrame, source_type: str, area_code: str) -> pd.DataFrame:
    """Monthly rows of one area and source type."""
    return agg[(agg["source_type"] == source_type) & (agg["area_code"] == area_code)].sort_values("period")


def parent_map(agg: pd.DataFrame) -> dict[str, str]:
    """Kelurahan code -> kecamatan code."""
    kel = agg[agg["level"] == "kelurahan"].drop_duplicates("area_code")
    return dict(zip(kel["area_code"], kel["parent_code"], strict=True))


# ----------------------------------------------------------------------------- published figures
#: Display names of the stored indicator codes (unknown codes are shown as stored).
INDICATOR_LABELS = {
    "stunting_prevalence_survey": "Prevalensi stunting (survei)",
    "stunting_prevalence_routine": "Prevalensi stunting (data rutin)",
    "stunting_cases_routine": "Jumlah balita stunting (data rutin)",
    "severe_wasting_cases": "Jumlah kasus gizi buruk",
    "wasting_prevalence_survey": "Prevalensi wasting (survei)",
    "eppgbm_input_coverage": "Cakupan input e-PPGBM",
}
UNIT_LABELS = {
    "percent": "persen",
    "children": "anak",
    "cases": "kasus",
    "category": "kategori",
    "people": "orang",
    "count": "jumlah",
    "points": "poin",
}
STATUS_LABELS = {
    "verified": "terverifikasi",
    "as quoted by Dinkes": "sesuai kutipan Dinkes",
    "as quoted": "sesuai kutipan",
    "conflict": "bertentangan",
}
#: First word of a stored source description -> Indonesian (the rest, names of surveys, stays).
_SOURCE_WORDS = {"survey": "survei", "routine": "rutin"}
_SOURCE_KINDS = {"KemenPPPA award": "penghargaan KemenPPPA", "e-PPGBM as reported": "e-PPGBM sesuai pemberitaan"}
#: Stored English notes of data/published_figures.csv -> Indonesian. A note not listed here is
#: shown as stored, under "Catatan (bahasa sumber)".
NOTE_LABELS = {
    "target 95 percent": "target 95 persen",
    "4 deaths": "4 kematian",
    "Kasemen 42": "Kasemen 42",
    "the article also says up to May 2022: 112 (ambiguous)": "artikel juga menyebut 112 sampai Mei 2022 (ambigu)",
    "headline says 65": "judul berita menyebut 65",
    "conflicts with the June 2021 figure of 2794": "bertentangan dengan angka Juni 2021 (2.794)",
    "the mayor quoted 2.6 percent": "wali kota menyebut 2,6 persen",
    "same month also quoted as 732; figure of 3 June 2024": "bulan yang sama juga dikutip 732; angka per 3 Juni 2024",
    "June/July 2024; e-PPGBM input coverage 56.68 percent": "Juni/Juli 2024; cakupan input e-PPGBM 56,68 persen",
    "denominator = balita in the kecamatan (not children measured)": (
        "penyebut = jumlah balita di kecamatan (bukan anak yang diukur)"
    ),
    "lowest; Cipocok Jaya not reported": "terendah; Cipocok Jaya tidak dilaporkan",
    "April 2025 by kecamatan, Cipocok Jaya not given; conflicts with other reports": (
        "April 2025 per kecamatan, Cipocok Jaya tidak disebut; bertentangan dengan laporan lain"
    ),
    "among children entered; input coverage 56.68 percent against a 95 percent target": (
        "di antara anak yang diinput; cakupan input 56,68 persen dari target 95 persen"
    ),
    "BKKBN Banten quoted 23.3": "BKKBN Banten menyebut 23,3",
    "only Banten kab/kota that rose": "satu-satunya kab/kota di Banten yang naik",
}


def _lookup(table: dict[str, str], value: object) -> str:
    if _missing(value):
        return ""
    text = str(value)
    return table.get(text, table.get(text.strip(), text))


def indicator_label(code: object) -> str:
    return _lookup(INDICATOR_LABELS, code)


def unit_label(unit: object) -> str:
    return _lookup(UNIT_LABELS, unit)


def status_label(status: object) -> str:
    return _lookup(STATUS_LABELS, status)


def source_kind_label(kind: object) -> str:
    """``"survei SSGI 2022"`` from ``"survey SSGI 2022"``; unknown forms as stored."""
    if _missing(kind):
        return ""
    text = str(kind).strip()
    if text in _SOURCE_KINDS:
        return _SOURCE_KINDS[text]
    first, _, rest = text.partition(" ")
    word = _SOURCE_WORDS.get(first.lower())
    return f"{word} {rest}".strip() if word else text


def _period_label(period: object) -> str:
    text = "" if _missing(period) else str(period)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return month_label(f"{text}-01")
    return text


def _value_label(value: object, value_num: object, unit: object) -> str:
    """The stored value the Indonesian way, with as many decimals as the source gave."""
    if _missing(value_num):
        return "" if _missing(value) else str(value)
    text = str(value)
    decimals = len(text.split(".", 1)[1]) if re.fullmatch(r"-?\d+\.\d+", text) else 0
    shown = fmt_num(value_num, decimals)
    if str(unit) == "children" and is_small(value_num):
        return SMALL_TEXT
    return f"{shown}%" if str(unit) == "percent" else shown


def published_table(pub: pd.DataFrame) -> pd.DataFrame:
    """Published figures for display in Indonesian, survey and routine labelled apart.

    Codes, units, statuses, source kinds and known notes go through the mapping tables above
    (unknown values are shown as stored); notes the tables do not know stay in their source
    language in "Catatan (bahasa sumber)". Numbers use decimal comma and thousands dot.
    """
    kind = np.where(pub["indicator"].str.contains("survey"), "survei", "data rutin")
    notes = pub["note"] if "note" in pub.columns else pd.Series([None] * len(pub))
    known = [_lookup(NOTE_LABELS, n) if (not _missing(n) and str(n).strip() in NOTE_LABELS) else "" for n in notes]
    raw = ["" if (_missing(n) or str(n).strip() in NOTE_LABELS) else str(n) for n in notes]
    out = pd.DataFrame(
        {
            "Jenis": kind,
            "Indikator": [indicator_label(c) for c in pub["indicator"]],
            "Wilayah": pub["area_name"],
            "Periode": [_period_label(p) for p in pub["period"]],
            "Nilai": [
                _value_label(v, n, u) for v, n, u in zip(pub["value"], pub["value_num"], pub["unit"], strict=True)
            ],
            "Satuan": [unit_label(u) for u in pub["unit"]],
            "Penyebut": [fmt_num(v) if not _missing(v) else "" for v in pub.get("denominator", [None] * len(pub))],
            "Sumber": [source_kind_label(k) for k in pub["source_kind"]],
            "Status": [status_label(s) for s in pub["status"]],
            "Tautan": [None if _missing(u) or not str(u).strip() else str(u) for u in pub["source_url"]],
            "Catatan": known,
        }
    ).reset_index(drop=True)
    if any(raw):
        out["Catatan (bahasa sumber)"] = raw
    return out


def published_has_url(table: pd.DataFrame) -> list[bool]:
    """Which rows of :func:`published_table` carry a source link."""
    return [isinstance(u, str) and u.startswith(("http://", "https://")) for u in table["Tautan"]]
