"""The city among its peers: charts of :mod:`kla.views.peers` (data in, plotly Figure out).

The KLA category of every kabupaten/kota of the province by year (dot matrix), survey stunting
by kabupaten/kota (bars per year) and the national distribution of award categories. Same rules
as :mod:`kla.figures.charts`: title, source and data date inside every figure, Okabe–Ito colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kla.core import fmt
from kla.figures.charts import OKABE_ITO, Stamp, apply_stamp

#: Marker colours for the KLA categories, lowest band first (by position in ``category_order``).
#: Every marker also carries its category as text, so the colours only help the eye.
CATEGORY_PALETTE = (
    OKABE_ITO["grey"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky"],
    OKABE_ITO["blue"],
    OKABE_ITO["green"],
)
HIGHLIGHT_FILL = "rgba(240,228,66,0.30)"  # Okabe–Ito yellow, light: the city's own row / bar


def _area_ticks(areas: Sequence[tuple[str, bool]]) -> dict:
    """Tick labels with the city in bold and marked (``areas``: ``(name, is_city)``)."""
    return dict(
        tickmode="array",
        tickvals=[a for a, _ in areas],
        ticktext=[f"<b>{a} ◀</b>" if is_city else a for a, is_city in areas],
    )


def peer_category_matrix(
    cells: pd.DataFrame, areas: pd.DataFrame, *, category_order: Sequence[str], stamp: Stamp
) -> go.Figure:
    """Dot matrix: one row per kabupaten/kota, one column per year, the KLA category in each cell.

    Parameters
    ----------
    cells:
        :func:`kla.views.peers.category_cells` (``area_name, year, category, score, status, label, source_url``).
    areas:
        :func:`kla.views.peers.peer_areas` (``area_name, is_city``): every row drawn, in this order, even
        without a figure, so a gap in the published record stays visible.
    category_order:
        band names, lowest first (legend order).

    Filled circle = award (verified); open circle = quoted, not verified (e.g. a statement made
    before the award); cross = sources disagree; open diamond = only a quoted score. The city's row
    is shaded and its name bold.
    """
    names = areas["area_name"].astype(str).tolist()
    years = sorted({int(y) for y in cells["year"]}) if not cells.empty else []
    x_labels = [str(y) for y in years]
    fig = go.Figure()
    for row, (_, is_city) in enumerate(zip(names, areas["is_city"], strict=True)):
        if is_city:
            fig.add_shape(
                type="rect",
                xref="paper",
                x0=0,
                x1=1,
                yref="y",
                y0=row - 0.5,
                y1=row + 0.5,
                fillcolor=HIGHLIGHT_FILL,
                line_width=0,
                layer="below",
            )
    order = list(category_order) + sorted({c for c in cells["category"].dropna() if c not in category_order})
    colour = {c: CATEGORY_PALETTE[min(n, len(CATEGORY_PALETTE) - 1)] for n, c in enumerate(category_order)}
    styles = (
        ("verified", "circle", "{c}", "{c} (penghargaan)"),
        ("quoted", "circle-open", "{c}", "{c}: dikutip, belum terverifikasi"),
        ("unknown", "circle-open", "{c}", "{c}: status tidak diketahui"),
        ("conflict", "x", "{c}", "{c}: sumber bertentangan"),
    )
    for category in order:
        for status, symbol, _, name in styles:
            part = cells[(cells["category"] == category) & (cells["status"] == status)]
            if part.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=part["year"].astype(str),
                    y=part["area_name"],
                    mode="markers+text",
                    name=name.format(c=category),
                    marker=dict(
                        size=17,
                        symbol=symbol,
                        color=colour.get(category, OKABE_ITO["black"]),
                        line=dict(width=2.5, color=colour.get(category, OKABE_ITO["black"])),
                    ),
                    text=part["label"],
                    textposition="middle right",
                    textfont=dict(size=12),
                    cliponaxis=False,
                    hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
                )
            )
    scores = cells[cells["category"].isna()]
    if not scores.empty:
        fig.add_trace(
            go.Scatter(
                x=scores["year"].astype(str),
                y=scores["area_name"],
                mode="markers+text",
                name="hanya nilai yang dikutip (tanpa kategori)",
                marker=dict(size=15, symbol="diamond-open", color=OKABE_ITO["grey"], line=dict(width=2.5)),
                text=scores["label"],
                textposition="middle right",
                textfont=dict(size=12, color="#555"),
                cliponaxis=False,
                hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            )
        )
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=x_labels,
        # room on the right of the last column for its text label
        range=[-0.5, len(x_labels) - 0.5 + 0.6] if x_labels else None,
        showgrid=True,
        gridcolor="#eee",
        side="top",
    )
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=names,
        range=[len(names) - 0.5, -0.5],
        automargin=True,
        **_area_ticks(list(zip(names, areas["is_city"].astype(bool), strict=True))),
    )
    fig.update_layout(legend=dict(orientation="h", x=0, y=-0.04, yanchor="top", font=dict(size=11)))
    fig = apply_stamp(fig, stamp, height=230 + 34 * len(names))
    fig.update_layout(margin=dict(l=40, r=30, t=125, b=70))  # the years sit on top, under the stamp
    return fig


def peer_survey_bars(
    survey: pd.DataFrame, *, years: Sequence[int], province: Mapping[int, tuple[str, float]], stamp: Stamp
) -> go.Figure:
    """Survey stunting prevalence per kabupaten/kota, one panel per year, the city's bar highlighted.

    Parameters
    ----------
    survey:
        :func:`kla.views.peers.survey_stunting` (survey figures only: routine data never goes here).
    years:
        the panels, oldest first (e.g. :func:`kla.views.peers.comparison_years`).
    province:
        ``{year: (name, prevalence)}`` of the province as a whole, drawn as a dashed line.
    """
    years = list(years)
    parts = [survey[survey["year"] == y].sort_values("value") for y in years]
    counts = [max(len(p), 1) for p in parts]
    titles = [
        f"{y} · {', '.join(dict.fromkeys(p['survey']))}" if not p.empty else str(y)
        for y, p in zip(years, parts, strict=True)
    ]
    fig = make_subplots(
        rows=max(len(years), 1),
        cols=1,
        row_heights=[c / sum(counts) for c in counts] if years else None,
        vertical_spacing=0.12 if len(years) > 1 else 0.0,
        subplot_titles=titles or None,
    )
    top = max([float(survey["value"].max())] if not survey.empty else [1.0])
    for n, (year, part) in enumerate(zip(years, parts, strict=True), start=1):
        quoted = [s != "verified" for s in part["status"]]
        fig.add_trace(
            go.Bar(
                x=part["value"],
                y=part["area_name"],
                orientation="h",
                marker=dict(
                    color=[OKABE_ITO["blue"] if c else "#BBBBBB" for c in part["is_city"]],
                    pattern=dict(shape=["/" if q else "" for q in quoted], fgcolor="#333"),
                ),
                text=[
                    fmt.percent(v, 1) + (" (dikutip)" if q else "") for v, q in zip(part["value"], quoted, strict=True)
                ],
                textposition="outside",
                cliponaxis=False,
                showlegend=False,
                hovertemplate="%{y}: %{x:.1f}%<extra>" + str(year) + "</extra>",
            ),
            row=n,
            col=1,
        )
        fig.update_yaxes(
            automargin=True,
            **_area_ticks(list(zip(part["area_name"], part["is_city"].astype(bool), strict=True))),
            row=n,
            col=1,
        )
        fig.update_xaxes(range=[0, top * 1.3], gridcolor="#eee", ticksuffix="%", row=n, col=1)
        if year in province:
            name, value = province[year]
            fig.add_vline(
                x=value,
                line_dash="dash",
                line_color=OKABE_ITO["vermillion"],
                annotation_text=f"{name} {fmt.percent(value, 1)}",
                layer="below",  # under the bars and their value labels
                # at the foot of the line: the panel title sits at its top
                annotation_position="bottom right",
                annotation_font=dict(size=11, color=OKABE_ITO["vermillion"]),
                row=n,
                col=1,
            )
    if years:
        fig.update_xaxes(title="prevalensi stunting balita (%)", row=len(years), col=1)
    fig = apply_stamp(fig, stamp, height=190 + 30 * sum(counts) + 50 * len(years))
    fig.update_layout(margin=dict(l=40, r=40, t=110, b=50), bargap=0.25)
    return fig


def award_distribution_bar(
    counts: pd.DataFrame, *, denominator: float | None, highlight: str | None = None, stamp: Stamp
) -> go.Figure:
    """Bars: how many kabupaten/kota received each KLA category (``counts``: ``category, count, share``).

    Each bar reads ``"125 (35,2%)"``, the share of ``denominator`` (the number awarded, as
    published). ``highlight`` (a category, e.g. the city's own that year) is drawn in blue.
    """
    fig = go.Figure(
        go.Bar(
            x=counts["category"],
            y=counts["count"],
            marker_color=[OKABE_ITO["blue"] if c == highlight else "#999999" for c in counts["category"]],
            text=[
                f"{fmt.integer(n)} ({fmt.percent(s, 1)})" for n, s in zip(counts["count"], counts["share"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y} kabupaten/kota<extra></extra>",
        )
    )
    top = float(counts["count"].max()) if not counts.empty else 1.0
    fig.update_yaxes(title="jumlah kabupaten/kota", range=[0, top * 1.2], gridcolor="#eee")
    fig.update_xaxes(title="kategori KLA" + (f" (dari {fmt.integer(denominator)} penerima)" if denominator else ""))
    fig.update_layout(showlegend=False)
    return apply_stamp(fig, stamp, height=340)
