"""Pure map builders: values + boundaries in, plotly Figure out. No Streamlit, no database, no network.

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

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kla.core import fmt
from kla.core.catalog import (  # noqa: F401 - ClassScale and the palettes are re-exported for the map's users
    BLUES,
    CATALOG,
    INF,
    MAP_CHOICES,
    RDBU_REV,
    YLORRD,
    ClassScale,
    MapChoice,
    Measure,
)
from kla.core.privacy import SUPPRESS_BELOW
from kla.core.rates import wilson_interval
from kla.figures.charts import FONT, Stamp
from kla.views.nutrition import flag_text

NO_DATA_COLOUR = "#d0d0d0"
FLAG_LINE = "#111111"
BORDER = "#ffffff"
MIN_DENOMINATOR = 30  # rates from fewer children than this swing wildly month to month
LOW_COVERAGE_PCT = 70.0  # below this share of the target measured, a rate may not represent the area

MapMeasure = Measure  # what a map draws is a catalogue measure (or a change derived from one)
#: Measures the map can colour: the catalogue entries with a class scale.
MEASURES: dict[str, Measure] = {k: m for k, m in CATALOG.items() if m.scale is not None}


def fmt_num(value: float | None, decimals: int = 0) -> str:
    """Indonesian number with fixed ``decimals`` (:func:`kla.core.fmt.number`): ``12.345,5``, ``−3``, ``–``."""
    return fmt.number(value, decimals)


def change_measure(base: MapMeasure, *, relative: bool = False) -> MapMeasure:
    """Diverging measure for the change of ``base`` between two periods (later − earlier)."""
    if relative:
        scale = ClassScale((-INF, -50, -25, -5, 5, 25, 50, INF), RDBU_REV, kind="diverging")
        unit, decimals = "%", 0
    elif base.unit == "%":
        scale = ClassScale((-INF, -5, -2, -0.5, 0.5, 2, 5, INF), RDBU_REV, kind="diverging")
        unit, decimals = "poin %", 1
    else:
        scale = ClassScale((-INF, -200, -100, -20, 20, 100, 200, INF), RDBU_REV, kind="diverging")
        unit, decimals = base.unit, 0
    colours = scale.colours if base.higher_is_worse else tuple(reversed(scale.colours))
    return dataclasses.replace(
        base,
        key=f"{base.key}__change",
        map_label=f"Perubahan {base.map_label[0].lower()}{base.map_label[1:]}",
        unit=unit,
        scale=ClassScale(scale.breaks, colours, kind="diverging"),
        decimals=decimals,
        description=f"Selisih antara dua periode (periode akhir − periode awal). {base.description}",
        targets=(),
    )


# --------------------------------------------------------------------------- values


VALUE_COLUMNS = (
    "code",
    "name",
    "value",
    "denominator",
    "ci_low",
    "ci_high",
    "coverage",
    "source",
    "period",
    "flag",
    "value_text",  # overrides the printed value, e.g. "< 5" for a suppressed small count
)
_TEXT_COLUMNS = ("name", "source", "period", "flag", "value_text")


def flag_reason(
    denominator: float | None,
    coverage: float | None,
    *,
    rate: bool,
    min_denominator: int = MIN_DENOMINATOR,
    low_coverage: float = LOW_COVERAGE_PCT,
) -> str:
    """Why a value should be read with care ('' when it need not be)."""
    reasons = []
    if rate and denominator is not None and not math.isnan(denominator) and denominator < min_denominator:
        reasons.append(f"penyebut kecil ({fmt_num(denominator)} < {min_denominator})")
    if coverage is not None and not math.isnan(coverage) and coverage < low_coverage:
        reasons.append(f"cakupan rendah ({fmt_num(coverage, 1)}% < {fmt_num(low_coverage)}%)")
    return "; ".join(reasons)


def complete_values(values: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """One row per area of the level (``areas``: ``code, name``), missing values as NaN.

    Ensures every map and bar chart lists every area, so an area without data is visibly
    "tanpa data" rather than silently absent.
    """
    frame = values.copy()
    for col in VALUE_COLUMNS:
        if col not in frame.columns:
            frame[col] = "" if col in _TEXT_COLUMNS else math.nan
    merged = areas[["code", "name"]].merge(frame.drop(columns=["name"]), on="code", how="left")
    for col in ("source", "period", "flag", "value_text"):
        merged[col] = [x if isinstance(x, str) else "" for x in merged[col]]
    for col in ("value", "denominator", "ci_low", "ci_high", "coverage"):
        merged[col] = pd.to_numeric(merged[col], errors="coerce").astype(float)
    return merged[list(VALUE_COLUMNS)]


def published_values(
    figures: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    measure: str,
    period: str,
) -> pd.DataFrame:
    """Map values from the ``published_figure`` table for one measure and period.

    Parameters
    ----------
    figures:
        rows of ``published_figure`` (``indicator, area_code, period, value (numeric), unit,
        denominator, source_kind, status, source_url, note``).
    areas:
        ``code, name`` of the level drawn.
    measure:
        an indicator name, or ``stunting_rate_routine`` (derived: ``stunting_cases_routine`` /
        its denominator × 100, only where a denominator was published).

    Returns
    -------
    frame with :data:`VALUE_COLUMNS`, one row per area.
    """
    indicator = "stunting_cases_routine" if measure == "stunting_rate_routine" else measure
    rows = figures[
        (figures["indicator"] == indicator)
        & (figures["period"].astype(str) == str(period))
        & (figures["area_code"].isin(areas["code"]))
    ].drop_duplicates("area_code", keep="first")
    value = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    denominator = pd.to_numeric(rows["denominator"], errors="coerce").astype(float)
    out = pd.DataFrame(
        {
            "code": rows["area_code"].to_numpy(),
            "name": "",
            "denominator": denominator.to_numpy(),
            "source": [
                _source_text(k, s, u)
                for k, s, u in zip(rows["source_kind"], rows["status"], rows["source_url"], strict=True)
            ],
            "period": str(period),
        }
    )
    if measure == "stunting_rate_routine":
        rate = (value / denominator * 100).to_numpy()
        cis = [wilson_interval(v, d) for v, d in zip(value, denominator, strict=True)]
        out["value"] = rate
        out["ci_low"] = [c[0] for c in cis]
        out["ci_high"] = [c[1] for c in cis]
        out = out[~np.isnan(out["value"])]
    else:
        out["value"] = value.to_numpy()
    out["flag"] = [flag_reason(d, None, rate=measure == "stunting_rate_routine") for d in out["denominator"]]
    return complete_values(out, areas)


def _source_text(kind: Any, status: Any, url: Any) -> str:
    parts = [str(p) for p in (kind, status) if isinstance(p, str) and p]
    host = str(url).split("/")[2] if isinstance(url, str) and url.count("/") >= 2 else ""
    return " · ".join(parts + ([host] if host else []))


def change_values(earlier: pd.DataFrame, later: pd.DataFrame, *, relative: bool = False) -> pd.DataFrame:
    """``later − earlier`` per area (or percent change when ``relative``); flags carried from both."""
    a = earlier.set_index("code")
    b = later.set_index("code")
    diff = b["value"] - a["value"]
    if relative:
        diff = diff / a["value"].replace(0, np.nan) * 100
    out = later[["code", "name"]].copy()
    out["value"] = out["code"].map(diff).astype(float)
    out["denominator"] = math.nan
    out["ci_low"] = math.nan
    out["ci_high"] = math.nan
    out["coverage"] = math.nan
    out["source"] = [f"{a.at[c, 'source']} → {b.at[c, 'source']}" if c in a.index else "" for c in out["code"]]
    out["period"] = (
        f"{earlier['period'].iloc[0] if len(earlier) else ''} → {later['period'].iloc[0] if len(later) else ''}"
    )
    out["flag"] = [
        "; ".join(x for x in (a.at[c, "flag"] if c in a.index else "", b.at[c, "flag"]) if x) for c in out["code"]
    ]
    # The difference of a suppressed small count would not be exact: show no value for it.
    hidden = [(c in a.index and bool(a.at[c, "value_text"])) or bool(b.at[c, "value_text"]) for c in out["code"]]
    out.loc[hidden, "value"] = math.nan
    out["value_text"] = ""
    return out[list(VALUE_COLUMNS)]


# --------------------------------------------------------------------------- what the map can show


@dataclass(frozen=True)
class MapInputs:
    """Frames the Peta page loads once (cached); every choice below is computed from them.

    nutrition:
        :func:`kla.views.nutrition.agg_frame` (monthly counts per area and level, rates with Wilson CI,
        ``coverage_pct``, quality flags); may be empty.
    published:
        numeric rows of ``published_figure``.
    kla:
        KLA achievement per area and year (``area_code, area_level, year, points, max_points, sample``).
    """

    nutrition: pd.DataFrame
    published: pd.DataFrame
    kla: pd.DataFrame


Choice = MapChoice
#: The map's selector (:data:`kla.core.catalog.MAP_CHOICES`).
CHOICES = MAP_CHOICES


def choice_label(key: str) -> str:
    """Selector text: measure label and where it comes from."""
    c = CHOICES[key]
    return f"{c.measure.map_label} — {c.source_label}"


def _nutrition_rows(inputs: MapInputs, level: str) -> pd.DataFrame:
    nut = inputs.nutrition
    if nut.empty:
        return nut
    rows = nut[nut["level"] == level].copy()
    rows["period_key"] = pd.to_datetime(rows["period"]).dt.strftime("%Y-%m")
    return rows


def _published_indicator(choice: Choice) -> str:
    return "stunting_cases_routine" if choice.field == "stunting_rate_routine" else choice.field


def _depth(level: str) -> int:
    """Dots in a Kemendagri code at this level (36.73.01 = 2, 36.73.01.1001 = 3)."""
    return {"kecamatan": 2, "kelurahan": 3}.get(level, 1)


def periods_for(inputs: MapInputs, key: str, level: str) -> list[str]:
    """Periods (``YYYY-MM``, ``YYYY`` or a KLA year) with at least one value, oldest first."""
    choice = CHOICES[key]
    if choice.source == "nutrition":
        rows = _nutrition_rows(inputs, level)
        return sorted(set(rows["period_key"])) if len(rows) else []
    if choice.source == "published":
        pub = inputs.published
        if pub.empty:
            return []
        rows = pub[
            (pub["indicator"] == _published_indicator(choice))
            & (pub["area_code"].astype(str).str.count(r"\.") == _depth(level))
        ]
        if choice.field == "stunting_rate_routine":
            rows = rows[rows["denominator"].notna()]
        return sorted(set(rows["period"].astype(str)))
    kla = inputs.kla
    if kla.empty:
        return []
    return sorted({str(y) for y in kla.loc[kla["area_level"] == level, "year"]})


def levels_for(inputs: MapInputs, key: str, levels: Sequence[str] = ("kecamatan", "kelurahan")) -> list[str]:
    """Levels (among those that have boundaries) for which the choice has any value."""
    return [lv for lv in levels if periods_for(inputs, key, lv)]


def available_choices(inputs: MapInputs, levels: Sequence[str]) -> list[str]:
    """Choice keys with data at any of ``levels``, in catalogue order."""
    return [k for k in CHOICES if levels_for(inputs, k, levels)]


def is_sample(inputs: MapInputs, key: str, level: str, period: str) -> bool:
    """True when the values shown come from DATA CONTOH."""
    choice = CHOICES[key]
    if choice.source == "nutrition":
        rows = _nutrition_rows(inputs, level)
        if rows.empty:
            return False
        rows = rows[rows["period_key"] == period]
        return bool((rows["source_kind"] == "sample").any())
    if choice.source == "kla":
        kla = inputs.kla
        if kla.empty:
            return False
        rows = kla[(kla["area_level"] == level) & (kla["year"].astype(str) == period)]
        return bool(rows["sample"].any())
    return False


def values_for(inputs: MapInputs, key: str, level: str, period: str, areas: pd.DataFrame) -> pd.DataFrame:
    """Map values (:data:`VALUE_COLUMNS`, one row per area of ``areas``) for one choice and period."""
    choice = CHOICES[key]
    if choice.source == "published":
        if inputs.published.empty:
            return complete_values(pd.DataFrame({"code": []}), areas)
        return published_values(inputs.published, areas, measure=choice.field, period=period)
    if choice.source == "kla":
        return _kla_values(inputs.kla, areas, level, period)
    return _nutrition_values(inputs, choice, level, period, areas)


def _nutrition_values(inputs: MapInputs, choice: Choice, level: str, period: str, areas: pd.DataFrame) -> pd.DataFrame:
    rows = _nutrition_rows(inputs, level)
    if rows.empty:
        return complete_values(pd.DataFrame({"code": []}), areas)
    rows = rows[rows["period_key"] == period]
    # One figure per area: e-PPGBM (individual records) before a recap sheet when both exist.
    rows = rows.sort_values("source_type").drop_duplicates("area_code", keep="first")
    field = choice.field
    m = choice.measure  # its numerator and denominator columns come from the catalogue
    nan = pd.Series(math.nan, index=rows.index)
    if choice.kind == "rate":
        value, lo, hi = rows[f"{field}_pct"], rows[f"{field}_lo"], rows[f"{field}_hi"]
        denominator = rows[m.denominator]
    else:
        value, lo, hi = rows[field], nan, nan
        denominator = rows["sasaran"] if m.denominator is None else rows[m.denominator]
        if m.denominator is not None:  # a measure the area did not report (n = 0): no data, not 0 cases
            value = value.where(denominator > 0)
    out = pd.DataFrame(
        {
            "code": rows["area_code"],
            "value": pd.to_numeric(value, errors="coerce").astype(float),
            "denominator": pd.to_numeric(denominator, errors="coerce").astype(float),
            "ci_low": pd.to_numeric(lo, errors="coerce").astype(float),
            "ci_high": pd.to_numeric(hi, errors="coerce").astype(float),
            "coverage": pd.to_numeric(rows["coverage_pct"], errors="coerce").astype(float),
            "source": [
                ("e-PPGBM" if t == "eppgbm" else "rekap bulanan") + (" · DATA CONTOH" if k == "sample" else "")
                for t, k in zip(rows["source_type"], rows["source_kind"], strict=True)
            ],
            "period": period,
            # the Gizi Anak page's wording; small n judged on this measure's own denominator
            "flag": flag_text(rows, m.key if m.denominator else None),
        }
    )
    if choice.kind == "count":
        out["value_text"] = [f"< {SUPPRESS_BELOW}" if 0 < v < SUPPRESS_BELOW else "" for v in out["value"]]
    elif choice.kind == "rate" and m.numerator:
        cases = pd.to_numeric(rows[m.numerator], errors="coerce").to_numpy(dtype=float)
        small = (cases > 0) & (cases < SUPPRESS_BELOW)
        out["value_text"] = [f"< {SUPPRESS_BELOW} kasus (disamarkan)" if h else "" for h in small]
        out.loc[small, ["ci_low", "ci_high"]] = math.nan  # the interval would give the count away
    return complete_values(out, areas)


def _kla_values(kla: pd.DataFrame, areas: pd.DataFrame, level: str, period: str) -> pd.DataFrame:
    if kla.empty:
        return complete_values(pd.DataFrame({"code": []}), areas)
    rows = kla[(kla["area_level"] == level) & (kla["year"].astype(str) == str(period))]
    out = pd.DataFrame(
        {
            "code": rows["area_code"],
            "value": (rows["points"] / rows["max_points"] * 100).astype(float),
            "denominator": rows["max_points"].astype(float),
            "source": ["penilaian mandiri KLA" + (" · DATA CONTOH" if s else "") for s in rows["sample"]],
            "period": str(period),
        }
    )
    return complete_values(out, areas)


def trend_for(inputs: MapInputs, key: str, level: str, code: str, areas: pd.DataFrame) -> pd.DataFrame:
    """Every period's value for one area (rows without a value dropped)."""
    one = areas[areas["code"] == code]
    frames = [values_for(inputs, key, level, p, one).assign(period=p) for p in periods_for(inputs, key, level)]
    if not frames:
        return pd.DataFrame(columns=list(VALUE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    return out[~out["value"].isna()].reset_index(drop=True)


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
            text=[_value_text(v, t, measure) for v, t in zip(trend["value"], trend["value_text"], strict=True)],
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


def values_table(values: pd.DataFrame, *, measure: MapMeasure) -> pd.DataFrame:
    """The values as a readable table (Indonesian headers), highest first, for the drill-down."""
    data = values.sort_values("value", ascending=False, na_position="last")
    return pd.DataFrame(
        {
            "Wilayah": data["name"].tolist(),
            f"Nilai ({measure.unit})": [
                _value_text(v, t, measure).removesuffix(f" {measure.unit}")
                for v, t in zip(data["value"], data["value_text"], strict=True)
            ],
            "Penyebut": [fmt_num(d) if not math.isnan(d) else "–" for d in data["denominator"]],
            "Catatan": [f or "–" for f in data["flag"]],
        }
    )


def kla_indicator_table(scores: pd.DataFrame, code: str) -> pd.DataFrame:
    """KLA indicators of one area (rows of the area-scores query): points, maximum, achievement."""
    rows = scores[scores["area_code"] == code].sort_values("number")
    return pd.DataFrame(
        {
            "No": rows["number"].tolist(),
            "Indikator": rows["name"].tolist(),
            "Klaster": rows["group_label"].tolist(),
            "Poin": rows["points"].round(1).tolist(),
            "Maks": rows["max_points"].round(1).tolist(),
            "Capaian (%)": (rows["points"] / rows["max_points"] * 100).round(0).tolist(),
        }
    )


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


def _value_text(value: float, override: str, measure: MapMeasure, *, missing: str = "tanpa data") -> str:
    if math.isnan(value):
        return missing
    if override.endswith("(disamarkan)"):  # a hidden rate: no number, so no unit either
        return override
    return f"{override or fmt_num(value, measure.decimals)} {measure.unit}"


def _hover_rows(values: pd.DataFrame, measure: MapMeasure) -> list[list[str]]:
    rows = []
    for r in values.itertuples(index=False):
        ci = "–"
        if not math.isnan(r.ci_low) and not math.isnan(r.ci_high):
            ci = f"{fmt_num(r.ci_low, measure.decimals)}–{fmt_num(r.ci_high, measure.decimals)} {measure.unit}"
        denominator = fmt_num(r.denominator) if not math.isnan(r.denominator) else "tidak dilaporkan"
        value = _value_text(r.value, r.value_text, measure, missing="tidak ada data")
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
        :data:`VALUE_COLUMNS`, one row per area (use :func:`complete_values`); ``value`` NaN =
        no data; non-empty ``flag`` = low coverage / small denominator.
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
            text=[_value_text(v, t, measure) for v, t in zip(data["value"], data["value_text"], strict=True)],
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


def figure_json_size(fig: go.Figure) -> int:
    """Bytes of the figure JSON as sent to the browser (the size targets are about this)."""
    return len(fig.to_json().encode("utf-8"))


def selected_code(points: Sequence[dict[str, Any]], codes: Sequence[str]) -> str | None:
    """Area code of a clicked map area or bar, from Streamlit's selection points (None if none)."""
    known = set(codes)
    for point in points:
        for candidate in (point.get("location"), *(point.get("customdata") or [])[:1]):
            if isinstance(candidate, str) and candidate in known:
                return candidate
    return None


def area_for_level(chosen: str | None, codes: Sequence[str], parents: dict[str, str]) -> str | None:
    """The area to show at this level for an area chosen elsewhere.

    The same area if it is at this level; its kecamatan when a kelurahan was chosen and the map
    shows kecamatan; nothing when a kecamatan was chosen and the map shows kelurahan (which of
    its kelurahan would be a guess).
    """
    if chosen in codes:
        return chosen
    parent = parents.get(chosen) if chosen else None
    return parent if parent in codes else None


def kla_years(inputs: MapInputs, code: str) -> list[int]:
    """Years in which ``code`` has KLA scores, oldest first."""
    if inputs.kla.empty:
        return []
    return sorted({int(y) for y in inputs.kla.loc[inputs.kla["area_code"] == code, "year"]})
