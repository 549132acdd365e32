"""What the Gizi Anak page, the maps and the analysis pages read and draw from the nutrition store.

Frames (:func:`agg_frame`, :func:`published_frame`), the survey and routine trend figures (kept
as separate series: survey SSGI/SKI prevalence and routine e-PPGBM/recap prevalence measure
different things, domain.md §5.2), rankings, data-quality flag texts and the published-figures
table. The import machinery and the rate arithmetic live in :mod:`kla.nutrition`.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from kla.nutrition import COVERAGE_TARGET, MEASURES, add_rates, month_label, suppress_small
from kla.privacy import SUPPRESS_BELOW


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
