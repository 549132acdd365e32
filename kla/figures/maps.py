"""Pure map figures: values + boundaries in, plotly Figure out. No Streamlit, no database, no network.

The values (:data:`kla.views.maps.VALUE_COLUMNS`, one row per area) come from :mod:`kla.views.maps`.

Why the figures are built this way
----------------------------------
* **Offline.** ``go.Choropleth`` on a ``geo`` subplot with our own GeoJSON (``featureidkey="id"``),
  ``geo.visible=False`` and ``fitbounds="locations"``: no tiles, no basemap. plotly.js still
  downloads a world TopoJSON from cdn.plot.ly when a geo subplot shows any base layer *or* when
  the **first** trace of the subplot has a ``locationmode`` (a choropleth with GeoJSON gets
  ``"geojson-id"``). So the first trace is always the Scattergeo of area names, positioned by
  lon/lat, which has no ``locationmode``; base layers are all off. The browser test proves that no
  request leaves localhost. (``choropleth_map`` + ``map_style="white-bg"`` was rejected: its style
  still points MapLibre at fonts.openmaptiles.org for the glyphs of any text label, and area names
  on the map are required.)
* **Fixed class breaks.** Values are coloured by class (``ClassScale``), not by a continuous
  range fitted to the month's data, so the same colour means the same value in every month and
  every level. Sequential ColorBrewer YlOrRd for rates and counts, diverging RdBu for change
  (both colour-blind safe per ColorBrewer). The colour bar lists the classes with units.
* **Honest gaps.** Areas without a value are grey and labelled "tanpa data" on the map; areas
  with low coverage or a small denominator get a thick dark outline, explained in the legend and
  the footer.
* **Self-describing.** Title, source and data date are inside the figure, so a PNG carries them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from kla.core.catalog import BLUES, YLORRD
from kla.figures.charts import FONT, Stamp
from kla.views.maps import MapMeasure, display_value, fmt_num

NO_DATA_COLOUR = "#d0d0d0"
FLAG_LINE = "#111111"
BORDER = "#ffffff"


# --------------------------------------------------------------------------- geometry helpers


@lru_cache(maxsize=16)
def _label_points_cached(fc_json: str) -> dict[str, tuple[float, float]]:
    import shapely

    fc = json.loads(fc_json)
    out: dict[str, tuple[float, float]] = {}
    for feat in fc["features"]:
        geom = shapely.from_geojson(json.dumps(feat["geometry"]))
        # representative_point lies inside the polygon (a centroid may not, for a crescent shape)
        # but can hug an edge; the centre of the largest inscribed circle reads best.
        poly = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        pt = shapely.maximum_inscribed_circle(poly, tolerance=1e-4).coords[0]
        out[str(feat["id"])] = (round(pt[0], 5), round(pt[1], 5))
    return out


def label_points(fc: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``code -> (lon, lat)`` inside each area, for its name."""
    return _label_points_cached(json.dumps(fc, sort_keys=True))


def _subset(fc: dict[str, Any], codes: Sequence[str]) -> dict[str, Any]:
    wanted = set(codes)
    return {"type": "FeatureCollection", "features": [f for f in fc["features"] if f["id"] in wanted]}


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class MapOptions:
    """Presentation choices that differ between kecamatan and kelurahan."""

    label_size: int = 12
    height: int = 560
    show_labels: bool = True
    no_data_in_label: bool = True  # "tanpa data" under the name; off for kelurahan (67 labels)
    level_label: str = "kecamatan"
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


def _hover_rows(values: pd.DataFrame, measure: MapMeasure) -> list[list[str]]:
    rows = []
    for r in values.itertuples(index=False):
        ci = "–"
        if not math.isnan(r.ci_low) and not math.isnan(r.ci_high):
            ci = f"{fmt_num(r.ci_low, measure.decimals)}–{fmt_num(r.ci_high, measure.decimals)} {measure.unit}"
        denominator = fmt_num(r.denominator) if not math.isnan(r.denominator) else "tidak dilaporkan"
        value = display_value(r.value, r.value_text, measure, missing="tidak ada data")
        rows.append([r.code, r.name, value, denominator, ci, r.source or "–", r.period or "–", r.flag or "–"])
    return rows


_HOVER = (
    "<b>%{customdata[1]}</b><br>"
    "Nilai: %{customdata[2]}<br>"
    "Penyebut: %{customdata[3]}<br>"
    "IK 95%: %{customdata[4]}<br>"
    "Periode: %{customdata[6]}<br>"
    "Sumber: %{customdata[5]}<br>"
    "Catatan: %{customdata[7]}<extra></extra>"
)


def choropleth(
    values: pd.DataFrame,
    boundaries: dict[str, Any],
    *,
    measure: MapMeasure,
    stamp: Stamp,
    options: MapOptions | None = None,
) -> go.Figure:
    """Choropleth of one measure over one level, drawn without any network request.

    Parameters
    ----------
    values:
        :data:`kla.views.maps.VALUE_COLUMNS`, one row per area (use
        :func:`kla.views.maps.complete_values`); ``value`` NaN = no data; non-empty ``flag`` = low
        coverage / small denominator.
    boundaries:
        GeoJSON FeatureCollection, feature ``id`` = area code (``kla.read.boundaries.feature_collection``).
    measure:
        what is drawn; its :class:`ClassScale` fixes the colours.
    stamp:
        title, source, data date (and sample flag) printed inside the figure.

    Returns
    -------
    Figure whose first trace is the Scattergeo of names (see module docstring: this keeps
    plotly.js from fetching TopoJSON), then the valued areas (``Choropleth``, z = class index),
    then grey no-data areas and the outline of flagged areas, each only if present.
    """
    opts = options or MapOptions()
    codes_in_map = {f["id"] for f in boundaries["features"]}
    values = values[values["code"].isin(codes_in_map)].reset_index(drop=True)
    points = label_points(boundaries)
    has = values[~values["value"].isna()]
    none = values[values["value"].isna()]
    flagged = has[has["flag"] != ""]
    scale = measure.scale
    ticktext = scale.labels(measure.unit)

    fig = go.Figure()
    label_rows = values[values["code"].isin(points)]
    fig.add_trace(
        go.Scattergeo(
            lon=[points[c][0] for c in label_rows["code"]],
            lat=[points[c][1] for c in label_rows["code"]],
            text=[
                f"{n}<br><i>tanpa data</i>" if math.isnan(v) and opts.no_data_in_label else n
                for n, v in zip(label_rows["name"], label_rows["value"], strict=True)
            ],
            mode="text",
            textfont=dict(size=opts.label_size, color="#1a1a1a", family=FONT["family"]),
            hoverinfo="skip",
            showlegend=False,
            name="nama wilayah",
            visible=opts.show_labels,
        )
    )
    if len(has):
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(boundaries, has["code"].tolist()),
                featureidkey="id",
                locations=has["code"].tolist(),
                z=[scale.classify(v) for v in has["value"]],
                zmin=-0.5,
                zmax=scale.n - 0.5,
                colorscale=scale.colorscale(),
                marker=dict(line=dict(color=BORDER, width=1.2)),
                customdata=_hover_rows(has, measure),
                hovertemplate=_HOVER,
                name=measure.map_label,
                showlegend=False,
                colorbar=dict(
                    title=dict(text=f"{measure.unit}", side="top"),
                    tickvals=list(range(scale.n)),
                    ticktext=ticktext,
                    len=0.75,
                    thickness=14,
                    x=1.0,
                    xpad=4,
                    outlinewidth=0,
                ),
            )
        )
    if len(none):
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(boundaries, none["code"].tolist()),
                featureidkey="id",
                locations=none["code"].tolist(),
                z=[0] * len(none),
                colorscale=[[0, NO_DATA_COLOUR], [1, NO_DATA_COLOUR]],
                showscale=False,
                marker=dict(line=dict(color=BORDER, width=1.2)),
                customdata=_hover_rows(none, measure),
                hovertemplate=_HOVER,
                name="Tidak ada data (abu-abu)",
                showlegend=True,
            )
        )
    if len(flagged):
        fig.add_trace(
            go.Choropleth(
                geojson=_subset(boundaries, flagged["code"].tolist()),
                featureidkey="id",
                locations=flagged["code"].tolist(),
                z=[0] * len(flagged),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker=dict(line=dict(color=FLAG_LINE, width=3.5)),
                hoverinfo="skip",
                name="Garis tebal: cakupan rendah / penyebut kecil",
                showlegend=True,
            )
        )
    notes = []
    if len(none):
        notes.append("abu-abu = tidak ada data")
    if len(flagged):
        notes.append("garis tebal = baca hati-hati (cakupan rendah atau penyebut kecil)")
    notes += list(opts.extra_notes)
    _layout(fig, stamp, height=opts.height, notes=notes)
    fig.update_geos(
        fitbounds="locations",
        visible=False,
        # Every base layer off explicitly: any of them would make plotly.js fetch TopoJSON.
        showcoastlines=False,
        showland=False,
        showocean=False,
        showlakes=False,
        showrivers=False,
        showcountries=False,
        showsubunits=False,
        showframe=False,
        projection=dict(type="mercator"),
        bgcolor="rgba(0,0,0,0)",
    )
    return fig


def _layout(fig: go.Figure, stamp: Stamp, *, height: int, notes: Sequence[str] = (), axis_space: int = 0) -> None:
    """Title on top, source/date/notes footer inside the figure (kept in PNG downloads).

    ``axis_space`` is the room (px) an x axis with its title needs below the plot; the footer
    goes under it, and the bottom margin grows with the number of footer lines.
    """
    head, br, rest = stamp.title.partition("<br>")
    title = f"{head} — DATA CONTOH{br}{rest}" if stamp.sample else stamp.title
    footer = stamp.footer()
    if notes:
        footer += "<br>" + " · ".join(notes)
    lines = footer.count("<br>") + 1
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=50 + 18 * title.count("<br>"), b=axis_space + 14 * lines + 14),
        paper_bgcolor="white",
        plot_bgcolor="white",
        # Legend entries (no data, flagged) top-left, where the city's shape leaves room.
        legend=dict(x=0.0, y=1.0, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.8)", font=dict(size=11)),
        dragmode=False,
    )
    fig.add_annotation(
        text=footer,
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-(axis_space + 6),
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        font=dict(size=10, color="#444"),
    )


def ranked_bar(values: pd.DataFrame, *, measure: MapMeasure, stamp: Stamp, height: int | None = None) -> go.Figure:
    """Horizontal bars of the same values, highest first, in the map's class colours.

    For readers who do not read maps (and screen readers: each bar's number is printed as text
    beside it). Areas with no data are listed at the bottom with "tanpa data"; flagged areas
    are hatched and outlined, with their reason in the hover. The confidence interval, when
    known, is an error bar; the value text sits right of it so the two never overlap.
    """
    data = values.copy()
    data["has"] = ~data["value"].isna()
    # plotly draws categories bottom-up: no-data first (bottom), then ascending values (top = highest).
    data = data.sort_values(["has", "value"], ascending=[True, True], na_position="first")
    scale = measure.scale
    colours = [
        scale.colours[scale.classify(v)] if not math.isnan(v) else NO_DATA_COLOUR  # type: ignore[index]
        for v in data["value"]
    ]
    flagged = (data["flag"] != "").tolist()
    error = None
    if data["ci_high"].notna().any():
        error = dict(
            type="data",
            symmetric=False,
            array=(data["ci_high"] - data["value"]).fillna(0).tolist(),
            arrayminus=(data["value"] - data["ci_low"]).fillna(0).tolist(),
            color="#444",
            thickness=1.2,
            width=3,
        )
    # A suppressed small count is drawn with no length: the bar must not reveal what the text hides.
    lengths = [0.0 if (t or math.isnan(v)) else v for v, t in zip(data["value"], data["value_text"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=lengths,
            y=data["name"].tolist(),
            orientation="h",
            marker=dict(
                color=colours,
                line=dict(
                    color=["#111" if f else "rgba(0,0,0,0.25)" for f in flagged],
                    width=[2 if f else 0.5 for f in flagged],
                ),
                pattern=dict(shape=["/" if f else "" for f in flagged], fgcolor="#333", size=6, solidity=0.25),
            ),
            error_x=error,
            customdata=_hover_rows(data, measure),
            hovertemplate=_HOVER,
            name=measure.map_label,
        )
    )
    # Value labels as a text-only trace at the far end of bar or interval, whichever is further
    # out in the bar's direction.
    ends = []
    for length, lo, hi in zip(lengths, data["ci_low"], data["ci_high"], strict=True):
        if length == 0:
            ends.append(0.0)
        elif length > 0:
            ends.append(max(length, hi) if not math.isnan(hi) else length)
        else:
            ends.append(min(length, lo) if not math.isnan(lo) else length)
    fig.add_trace(
        go.Scatter(
            x=ends,
            y=data["name"].tolist(),
            mode="text",
            text=[display_value(v, t, measure) for v, t in zip(data["value"], data["value_text"], strict=True)],
            textposition=["middle left" if (not math.isnan(v) and v < 0) else "middle right" for v in data["value"]],
            textfont=dict(size=11, color="#222"),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    notes = []
    if any(flagged):
        notes.append("arsir = baca hati-hati (cakupan rendah / penyebut kecil)")
    if error is not None:
        notes.append("garis = interval kepercayaan 95%")
    if (~data["has"]).any():
        notes.append("abu-abu = tidak ada data")
    _layout(fig, stamp, height=height or max(320, 140 + 24 * len(data)), notes=notes, axis_space=45)
    finite = [e for e, h in zip(ends, data["has"], strict=True) if h]
    lo = min([0.0, *finite])
    hi = max([0.0, *finite])
    span = (hi - lo) or 1.0
    fig.update_layout(
        xaxis=dict(
            title=dict(text=f"{measure.map_label} ({measure.unit})", font=dict(size=12)),
            range=[lo - (0.25 * span if lo < 0 else 0), hi + 0.25 * span],
            gridcolor="#eee",
            zeroline=True,
            zerolinecolor="#999",
        ),
        yaxis=dict(automargin=True),
        showlegend=False,
        bargap=0.25,
    )
    return fig


def trend_figure(trend: pd.DataFrame, *, measure: MapMeasure, stamp: Stamp) -> go.Figure:
    """Line of one area's values over time, with the 95 % CI as a band where known."""
    fig = go.Figure()
    x = trend["period"].astype(str).tolist()
    if trend["ci_low"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=x + x[::-1],
                y=trend["ci_high"].tolist() + trend["ci_low"].tolist()[::-1],
                fill="toself",
                fillcolor="rgba(189,0,38,0.12)",
                line=dict(width=0),
                hoverinfo="skip",
                name="IK 95%",
            )
        )
    flagged = [bool(f) for f in trend["flag"]]
    fig.add_trace(
        go.Scatter(
            x=x,
            # a suppressed value is a gap in the line, not a zero (zero would be a false figure)
            y=[None if t else v for v, t in zip(trend["value"], trend["value_text"], strict=True)],
            mode="lines+markers",
            line=dict(color=YLORRD[5] if measure.higher_is_worse else BLUES[4], width=2.5),
            marker=dict(
                size=[10 if f else 7 for f in flagged], symbol=["circle-open" if f else "circle" for f in flagged]
            ),
            text=[display_value(v, t, measure) for v, t in zip(trend["value"], trend["value_text"], strict=True)],
            customdata=[f or "–" for f in trend["flag"]],
            hovertemplate="%{x}: %{text}<br>Catatan: %{customdata}<extra></extra>",
            name=measure.map_label,
        )
    )
    notes = ["lingkaran kosong = baca hati-hati"] if any(flagged) else []
    _layout(fig, stamp, height=300, notes=notes, axis_space=30)
    fig.update_layout(
        showlegend=False,
        xaxis=dict(type="category", gridcolor="#eee"),
        yaxis=dict(title=dict(text=measure.unit), gridcolor="#eee", rangemode="tozero"),
    )
    return fig


def figure_json_size(fig: go.Figure) -> int:
    """Bytes of the figure JSON as sent to the browser (the size targets are about this)."""
    return len(fig.to_json().encode("utf-8"))
