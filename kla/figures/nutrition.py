"""The Gizi Anak page's charts: survey and routine trends, measurement coverage and rankings.

Survey (SSGI/SKI) prevalence and routine (e-PPGBM/recap) prevalence are separate figures, never
one series: they measure different things (domain.md §5.2). Every number drawn or printed goes
through the one suppression rule (:mod:`kla.core.suppression`): a rate resting on 1–4 cases is
not drawn and its count is shown as "< 5". The frames come from :mod:`kla.views.nutrition`;
every figure carries its title, source and data date (:func:`kla.figures.charts.apply_stamp`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kla.core import catalog
from kla.core.fmt import month_label
from kla.core.labels import source_kind_label, status_label
from kla.core.privacy import SUPPRESS_BELOW
from kla.core.quality import flag_text
from kla.core.rates import COVERAGE_TARGET
from kla.core.suppression import HIDDEN_RATE_TEXT, SMALL_TEXT, fmt_ci, fmt_count, fmt_num, fmt_pct, small_mask
from kla.core.suppression import is_missing as _missing
from kla.figures.charts import OKABE_ITO, Stamp, add_targets, apply_stamp
from kla.views.nutrition import LEVEL_LABELS, has_sasaran

WHO_HIGH = 20.0  # WHO prevalence threshold: >= 20% is "high" (de Onis et al. 2019)
#: Surveys drawn as one connected line: SSGI (2021, 2022, 2024) and SKI 2023 share the SSGI design.
#: Any other survey (SSGBI 2019, Riskesdas) is a separate marker, never joined to that line.
LINE_SURVEYS = frozenset({"SSGI", "SKI"})
_SURVEY_RE = re.compile(r"^\s*survey\s+(?P<family>[A-Za-z]+)", re.IGNORECASE)


def survey_family(source_kind: object) -> str:
    """``"SSGI"`` from ``"survey SSGI 2022"``; ``""`` when not a survey."""
    m = _SURVEY_RE.match(str(source_kind or ""))
    return m.group("family").upper() if m else ""


def _stamp(title: str, source: str, date: str, sample: bool, extra: str = "") -> Stamp:
    return Stamp(title=title, source=source, data_date=date, sample=sample, extra=extra)


def survey_trend_figure(pub: pd.DataFrame, *, city_code: str, city_name: str) -> go.Figure:
    """Survey (SSGI/SKI) stunting prevalence for city, province and nation, against the targets.

    SSGI and SKI points are one line per area; a survey of another design (SSGBI 2019) is its own
    marker with its own legend entry, not joined to the line (the jump would look like a real
    fall). Provenance and status are in every hover. Routine e-PPGBM figures are never drawn
    here: they measure something else (domain.md §5.2).
    """
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


def routine_trend_figure(
    rows: pd.DataFrame, *, measure: str, area_name: str, source_label: str, sample: bool
) -> go.Figure:
    """Monthly routine prevalence for one area with its Wilson 95% band; months flagged for
    coverage, small n (this measure's denominator), incomplete areas or conflict get hollow
    markers (named in the hover)."""
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


def coverage_figure(rows: pd.DataFrame, *, area_name: str, source_label: str, sample: bool) -> go.Figure:
    """Children measured against the target population (sasaran) per month, with the 95% goal.

    Only meaningful where a sasaran exists (:func:`kla.views.nutrition.has_sasaran`); the page says "tanpa sasaran"
    once instead of drawing an empty chart.
    """
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


def ranking_figure(
    rows: pd.DataFrame,
    *,
    measure: str,
    level_label: str,
    month: str,
    source_label: str,
    sample: bool,
    highlight: str | None = None,
) -> go.Figure:
    """Areas ranked by prevalence for one month, with CI whiskers, n and coverage beside each bar.

    Rates resting on 1–4 cases are not drawn (the footer counts them; the table lists them), except
    the highlighted area, which gets an empty marker labelled "disamarkan". Areas without data
    are counted in the footer. Coverage is shown where a sasaran exists; without any sasaran the
    footer says so once.
    """
    label = catalog.rate(measure).rate_label
    num_col, den_col = catalog.rate(measure).nutrition
    no_data = rows["no_data"].astype(bool) if "no_data" in rows.columns else pd.Series(False, index=rows.index)
    d = rows[~no_data]
    d = d[pd.to_numeric(d[den_col], errors="coerce").fillna(0) > 0]
    if "display_name" not in d.columns:
        d = d.assign(display_name=d["area_name"])
    # rank_areas marks what the shared tables hide (1-4 cases, and counts hidden to protect them)
    small = d["suppressed"].astype(bool) if "suppressed" in d.columns else small_mask(d[num_col])
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
