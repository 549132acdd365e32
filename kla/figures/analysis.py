"""Pure chart builders for the KLA analysis pages (data in, plotly Figure out); the peer charts are
in :mod:`kla.figures.peers`.

Same rules as :mod:`kla.figures.charts`: title, source and data date inside every figure via
:func:`kla.figures.charts.apply_stamp`, "DATA CONTOH" on sample data, Okabe–Ito colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kla.core import fmt
from kla.core.catalog import CROSSWALK, SURVEY
from kla.core.crosswalk import CrosswalkRule, Scenario, points_for
from kla.figures.charts import OKABE_ITO, Stamp, _short, apply_stamp


def waterfall(steps: Sequence[tuple[str, float]], *, total: float, stamp: Stamp) -> go.Figure:
    """From the maximum (1000) down to the current total, one bar of lost points per group."""
    labels = [s[0] for s in steps] + ["Nilai sekarang"]
    values = [s[1] for s in steps] + [total]
    measure = ["absolute"] + ["relative"] * (len(steps) - 1) + ["total"]
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=measure,
            text=[fmt.number(v if m != "relative" else -abs(v)) for v, m in zip(values, measure, strict=True)],
            textposition="outside",
            decreasing=dict(marker=dict(color=OKABE_ITO["vermillion"])),
            increasing=dict(marker=dict(color=OKABE_ITO["green"])),
            totals=dict(marker=dict(color=OKABE_ITO["blue"])),
            connector=dict(line=dict(color="#bbb")),
            hovertemplate="%{x}: %{y:g}<extra></extra>",
        )
    )
    fig.update_yaxes(title="poin", range=[0, max(values) * 1.1], gridcolor="#eee")
    fig.update_layout(showlegend=False)
    return apply_stamp(fig, stamp, height=360)


def group_indicator_bars(rows: Sequence[dict], *, stamp: Stamp) -> go.Figure:
    """Per indicator of one group: points earned (blue) and lost (grey), most lost on top."""
    rows = sorted(rows, key=lambda r: (r["Hilang"], -r["No"]))
    labels = [f"{r['No']}. {_short(r['Indikator'], 42)}" for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[r["Poin"] for r in rows],
            orientation="h",
            name="poin didapat",
            marker_color=OKABE_ITO["blue"],
            text=[fmt.number(r["Poin"]) for r in rows],
            textposition="inside",
            customdata=[[r["OPD"], r["Bukti"], r["Teks indikator"]] for r in rows],
            hovertemplate="%{y}<br>%{x:g} poin<br>OPD: %{customdata[0]}<br>bukti: %{customdata[1]}"
            "<br>teks indikator: %{customdata[2]}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[r["Hilang"] for r in rows],
            orientation="h",
            name="poin hilang",
            marker=dict(color="#dddddd", pattern=dict(shape="/", fgcolor=OKABE_ITO["vermillion"])),
            text=[fmt.number(-r["Hilang"]) if r["Hilang"] else "" for r in rows],
            textposition="inside",
            hovertemplate="%{y}<br>hilang %{x:g} poin<extra></extra>",
        )
    )
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.12, x=0, yanchor="top"))
    fig.update_xaxes(title="poin", gridcolor="#eee")
    fig.update_yaxes(automargin=True)
    fig = apply_stamp(fig, stamp, height=max(260, 130 + 42 * len(rows)))
    fig.update_layout(margin=dict(b=80))
    return fig


def area_heatmap(
    areas: Sequence[str], groups: Sequence[str], pct: Sequence[Sequence[float]], *, stamp: Stamp
) -> go.Figure:
    """Achievement % per group (columns) and area (rows); values printed in each cell."""
    fig = go.Figure(
        go.Heatmap(
            z=pct,
            x=list(groups),
            y=list(areas),
            zmin=0,
            zmax=100,
            colorscale="Cividis",
            text=[[fmt.percent(v, 0) for v in row] for row in pct],
            texttemplate="%{text}",
            colorbar=dict(title="capaian", ticksuffix="%"),
            hovertemplate="%{y} · %{x}: %{z:.1f}%<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return apply_stamp(fig, stamp, height=max(300, 120 + 40 * len(areas)))


def crosswalk_rule_chart(rule: CrosswalkRule, scenario: Scenario, *, max_points: float, stamp: Stamp) -> go.Figure:
    """The rule's points across the measure's range, with the current and the scenario value marked.

    The markers sit at the *indicator's* points from the same :class:`kla.core.crosswalk.Scenario` as the
    page's sentence: when another measure caps the indicator, the marker sits below the rule's line
    and its label says so.
    """
    m = CROSSWALK[rule.measure]
    current = scenario.reading.value if scenario.reading else None
    chosen = scenario.new_value
    thresholds = [t for t, _ in rule.steps]
    lo = 0.0
    hi = max([*thresholds, current or 0, chosen or 0]) * 1.25 + 1
    n = 400
    xs = [lo + (hi - lo) * k / n for k in range(n + 1)]
    ys = [points_for(rule, x) for x in xs]
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line=dict(color=OKABE_ITO["blue"], width=3, shape="hv"),
            name=f"aturan {m.label.lower()}",
            hovertemplate=f"{m.label} %{{x:.1f}}{m.unit} → %{{y:g}} poin<extra></extra>",
        )
    )
    now_points = scenario.rule_points_now
    for value, points, label, colour, symbol in (
        (current, now_points, "sekarang", OKABE_ITO["vermillion"], "circle"),
        (chosen, scenario.new_points, "skenario", OKABE_ITO["green"], "diamond"),
    ):
        if value is None or points is None:
            continue
        capped = points < points_for(rule, value) - 1e-9
        # the full description goes in the legend (it wraps under the chart); the marker carries the points
        fig.add_trace(
            go.Scatter(
                x=[value],
                y=[points],
                mode="markers+text",
                name=f"{label}: {m.fmt(value)} → {fmt.number(points)} poin"
                + (" (dibatasi ukuran lain)" if capped else ""),
                marker=dict(size=13, color=colour, symbol=symbol),
                text=[f"{fmt.number(points)} poin"],
                textposition="top right",
                cliponaxis=False,
                meta=label,
            )
        )
    fig.update_xaxes(title=f"{m.label} ({m.unit})", gridcolor="#eee")
    fig.update_yaxes(
        title=f"poin #{scenario.indicator_number} (maks {fmt.number(max_points)})",
        range=[-max_points * 0.15, max_points * 1.25],
        gridcolor="#eee",
    )
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0, yanchor="top"))
    fig = apply_stamp(fig, stamp, height=380)
    fig.update_layout(margin=dict(b=90))
    return fig


def _x(period: str) -> date:
    """``"2021"`` → mid-year; ``"2021-06"`` → that month."""
    p = str(period)
    if len(p) >= 7:
        return date(int(p[:4]), int(p[5:7]), 1)
    return date(int(p[:4]), 7, 1)


def history_timeline(
    points: Sequence[object],
    series: Sequence[tuple[str, str, str, list[str], list[float]]],
    *,
    category_order: Sequence[str],
    stamp: Stamp,
) -> go.Figure:
    """One timeline, three stacked panels sharing the time axis, evaluation years marked.

    Top: KLA category by year (published award; score-based category where only a score exists).
    Middle: prevalences (%), each series its own line. Bottom: routine counts. Survey and
    routine series are never joined into one line.
    """
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.3, 0.4, 0.3],
        subplot_titles=("Kategori KLA", "Prevalensi (%)", "Jumlah kasus tercatat (anak)"),
    )
    pub = [p for p in points if p.category]
    if pub:
        fig.add_trace(
            go.Scatter(
                x=[_x(str(p.year)) for p in pub],
                y=[p.category for p in pub],
                mode="markers+text",
                marker=dict(size=14, color=OKABE_ITO["blue"], symbol="star"),
                name="kategori resmi (terbitan)",
                text=[p.category for p in pub],
                textposition="top center",
                hovertemplate="%{x|%Y}: %{y} (penghargaan KemenPPPA)<extra></extra>",
            ),
            row=1,
            col=1,
        )
    scored = [p for p in points if p.total is not None]
    if scored:
        fig.add_trace(
            go.Scatter(
                x=[_x(str(p.year)) for p in scored],
                y=[p.total_category for p in scored],
                mode="markers+text",
                marker=dict(size=12, color=OKABE_ITO["orange"], symbol="circle-open", line=dict(width=2)),
                name="kategori dari nilai (DATA CONTOH)" if any(p.sample for p in scored) else "kategori dari nilai",
                text=[fmt.number(p.total) for p in scored],
                textposition="bottom center",
                hovertemplate="%{x|%Y}: %{y}, nilai %{text}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(category_order), row=1, col=1)
    styles = [
        ("solid", OKABE_ITO["blue"]),
        ("dot", OKABE_ITO["orange"]),
        ("dash", OKABE_ITO["green"]),
        ("dashdot", OKABE_ITO["purple"]),
        ("longdash", OKABE_ITO["sky"]),
        ("solid", OKABE_ITO["vermillion"]),
    ]
    for n, (label, kind, ser, periods, values) in enumerate(series):
        dash, colour = styles[n % len(styles)]
        fig.add_trace(
            go.Scatter(
                x=[_x(p) for p in periods],
                y=values,
                mode="lines+markers",
                name=label,
                line=dict(dash=dash, color=colour, width=3 if ser == SURVEY else 2),
                marker=dict(symbol="square" if ser == SURVEY else "circle", size=7 if ser == SURVEY else 4),
                hovertemplate="%{x|%Y-%m}: %{y:g}<extra>" + label + "</extra>",
            ),
            row=2 if kind == "percent" else 3,
            col=1,
        )
    for p in points:
        fig.add_vline(x=_ms(_x(str(p.year))), line_dash="dot", line_color="#888", line_width=1)
    fig.add_annotation(
        text="garis titik = tahun evaluasi KLA",
        xref="paper",
        yref="paper",
        x=1,
        y=1.04,
        showarrow=False,
        xanchor="right",
        font=dict(size=10, color="#555"),
    )
    fig.update_layout(legend=dict(orientation="h", y=-0.12, x=0, font=dict(size=10)))
    fig.update_yaxes(gridcolor="#eee", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(gridcolor="#eee", rangemode="tozero", row=3, col=1)
    fig = apply_stamp(fig, stamp, height=660)
    fig.update_layout(margin=dict(t=120, b=150))  # room for the stamp subtitle above the panel titles
    return fig


def _ms(d: date) -> float:
    """Milliseconds since the epoch: plotly's native unit for a date axis (add_vline needs a number)."""
    from datetime import datetime, timezone

    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000  # noqa: UP017
