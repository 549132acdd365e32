"""Pure chart builders: data in, plotly Figure out. No Streamlit, no database.

Every figure carries its title, source and data date *inside* the figure (title and footer
annotation), so a PNG downloaded from the modebar or a screenshot keeps them. Sample data is
stamped "DATA CONTOH". Colours are the Okabe–Ito palette, which stays distinguishable for the
common forms of colour-blindness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from kla.core import fmt
from kla.core.catalog import Target
from kla.core.scoring import GroupScore, LostPoints

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13)
SAMPLE_LABEL = "DATA CONTOH"


@dataclass(frozen=True)
class Stamp:
    """What every picture must say about itself."""

    title: str
    source: str
    data_date: str
    sample: bool = False
    extra: str = ""

    def footer(self) -> str:
        first = f"Sumber: {self.source}"
        second = [f"Data per: {self.data_date}"]
        if self.extra:
            second.append(self.extra)
        if self.sample:
            second.insert(0, f"<b>{SAMPLE_LABEL}</b> (ilustratif, bukan data resmi)")
        return f"{first}<br>{' · '.join(second)}"


def apply_stamp(fig: go.Figure, stamp: Stamp, *, height: int = 380) -> go.Figure:
    """Title, and under it source, data date and the sample label, all inside the figure.

    The source line is a plotly title *subtitle*, so it never collides with axes or legends
    and is part of every PNG the modebar downloads.
    """
    title = f"{stamp.title} — {SAMPLE_LABEL}" if stamp.sample else stamp.title
    fig.update_layout(
        title=dict(
            text=title,
            x=0.01,
            xanchor="left",
            font=dict(size=15),
            subtitle=dict(text=stamp.footer(), font=dict(size=10, color="#444")),
        ),
        font=FONT,
        # Indonesian: decimal comma, thousands dot (axis ticks, hovers); text built in Python uses kla.core.fmt
        separators=",.",
        height=height,
        margin=dict(l=40, r=30, t=70, b=40),
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    return fig


def cluster_radar(
    series: Sequence[tuple[str, Sequence[GroupScore]]],
    *,
    rings: Sequence[tuple[str, float]] = (),
    stamp: Stamp,
    height: int = 360,
) -> go.Figure:
    """Radar of achievement % per group.

    Parameters
    ----------
    series:
        ``(label, group scores)`` pairs; the first is drawn strongest (the selected year),
        the rest as comparison outlines (e.g. the previous year, another area).
    rings:
        ``(label, pct)`` reference rings, e.g. ``("Madya (≥601)", 60.1)``: the achievement
        every group would need, on average, for the band's lower bound.
    """
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"]]
    dashes = ["solid", "dot", "dash", "dashdot"]
    fig = go.Figure()
    for n, (label, groups) in enumerate(series):
        theta = [g.label for g in groups] + [groups[0].label]
        r = [round(g.pct, 1) for g in groups] + [round(groups[0].pct, 1)]
        fig.add_trace(
            go.Scatterpolar(
                r=r,
                theta=theta,
                name=label,
                mode="lines+markers",
                line=dict(color=colours[n % len(colours)], width=3 if n == 0 else 2, dash=dashes[n % len(dashes)]),
                fill="toself" if n == 0 else "none",
                fillcolor="rgba(0,114,178,0.12)",
                hovertemplate="%{theta}: %{r:.1f}%<extra>" + label + "</extra>",
            )
        )
    if series:
        labels = [g.label for g in series[0][1]]
        for label, pct in rings:
            fig.add_trace(
                go.Scatterpolar(
                    r=[pct] * (len(labels) + 1),
                    theta=labels + [labels[0]],
                    name=label,
                    mode="lines",
                    line=dict(color=OKABE_ITO["vermillion"], width=1.5, dash="dash"),
                    hoverinfo="skip",
                )
            )
    fig.update_layout(
        polar=dict(
            radialaxis=dict(range=[0, 100], ticksuffix="%", angle=90, tickfont=dict(size=9)),
            angularaxis=dict(tickfont=dict(size=11)),
        ),
        # legend under the radar: in a half-width column a side legend squeezes the radar to a stamp
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.08, yanchor="top", font=dict(size=11)),
    )
    fig = apply_stamp(fig, stamp, height=height + 60)
    fig.update_layout(margin=dict(l=50, r=50, t=80, b=60))
    return fig


def lost_points_bar(lost: Sequence[LostPoints], *, top: int = 8, stamp: Stamp, height: int = 360) -> go.Figure:
    """Horizontal bars: the indicators losing the most points (points lost = max − earned)."""
    rows = [lp for lp in lost if lp.points_lost > 0][:top][::-1]
    labels = [f"{lp.number}. {_short(lp.name)}" for lp in rows]
    fig = go.Figure(
        go.Bar(
            x=[lp.points_lost for lp in rows],
            y=labels,
            orientation="h",
            marker_color=OKABE_ITO["vermillion"],
            text=[fmt.number(-lp.points_lost) for lp in rows],
            textposition="outside",
            cliponaxis=False,
            customdata=[[lp.points, lp.max_points, lp.opd] for lp in rows],
            hovertemplate="%{y}<br>hilang %{x:g} poin (dapat %{customdata[0]:g} dari %{customdata[1]:g})"
            "<br>OPD: %{customdata[2]}<extra></extra>",
        )
    )
    widest = max((lp.points_lost for lp in rows), default=1.0)
    fig.update_xaxes(title="poin hilang", gridcolor="#eee", zeroline=True, range=[0, widest * 1.25])
    fig.update_yaxes(automargin=True)
    return apply_stamp(fig, stamp, height=height)


def add_targets(fig: go.Figure, targets: Sequence[Target]) -> go.Figure:
    """Draw published targets (:data:`kla.core.catalog.STUNTING_TARGETS`) as dashed lines through their
    years, one trace per target period, each with its source in the hover. Only the published
    points are drawn: no value is invented for the years between them."""
    for target, dash in zip(targets, ("dot", "dash", "dashdot", "longdashdot"), strict=False):
        xs = sorted(target.values)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[target.values[x] for x in xs],
                mode="lines+markers",
                name=target.label,
                line=dict(color=OKABE_ITO["vermillion"], dash=dash, width=2),
                marker=dict(symbol="diamond"),
                hovertemplate=f"{target.label}<br>%{{x}}: %{{y:.1f}}%<br>{target.source}<extra></extra>",
            )
        )
    return fig


def survey_prevalence_line(
    periods: Sequence[str],
    values: Sequence[float],
    *,
    area_label: str,
    targets: Sequence[Target] = (),
    stamp: Stamp,
) -> go.Figure:
    """Survey (SSGI/SKI) stunting prevalence over time, with the published ``targets`` per year.
    Routine e-PPGBM data never goes here."""
    fig = go.Figure(
        go.Scatter(
            x=list(periods),
            y=list(values),
            mode="lines+markers+text",
            name=f"{area_label} (survei)",
            text=[fmt.percent(v, 1) for v in values],
            textposition="top center",
            line=dict(color=OKABE_ITO["blue"], width=3),
        )
    )
    add_targets(fig, targets)
    # headroom above the highest value, so its label is not cut by the subtitle
    top = max([*values, *(v for t in targets for v in t.values.values())], default=0) * 1.2 + 1
    fig.update_yaxes(title="prevalensi stunting (%)", range=[0, top], gridcolor="#eee")
    # years on a linear axis, so a target year after the last survey sits at its true distance
    fig.update_xaxes(type="linear", dtick=1, gridcolor="#f4f4f4")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return apply_stamp(fig, stamp, height=320)


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def source_status_bar(counts: Sequence[tuple[str, str, int]], *, stamp: Stamp) -> go.Figure:
    """Stacked bars: how many published figures per indicator are verified, as quoted, or in conflict."""
    colours = {
        "verified": OKABE_ITO["green"],
        "as quoted by Dinkes": OKABE_ITO["sky"],
        "as quoted": OKABE_ITO["sky"],
        "conflict": OKABE_ITO["vermillion"],
    }
    labels = {
        "verified": "terverifikasi",
        "as quoted by Dinkes": "sesuai kutipan",
        "as quoted": "sesuai kutipan",
        "conflict": "bertentangan",
    }
    fig = go.Figure()
    for status in dict.fromkeys(s for _, s, _ in counts):
        rows = [(ind, n) for ind, s, n in counts if s == status]
        fig.add_trace(
            go.Bar(
                y=[r[0] for r in rows],
                x=[r[1] for r in rows],
                orientation="h",
                name=labels.get(status, status),
                marker_color=colours.get(status, OKABE_ITO["grey"]),
            )
        )
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title="jumlah angka terbitan", gridcolor="#eee")
    fig.update_yaxes(automargin=True)
    return apply_stamp(fig, stamp, height=340)
