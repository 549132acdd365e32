"""What the Peta page shows, as plain frames: values per area for one measure and period, the
choices that have data, trends, tables and the area picked. No Streamlit, no database, no plotly.

Values come from the frames :mod:`kla.read.mapdata` loads (:class:`MapInputs`) and have the
columns :data:`VALUE_COLUMNS`, one row per area of the level (an area without data is a row
with NaN, so it is drawn "tanpa data", never silently left out). Counts of 1–4 children and the
rates resting on them carry a ``value_text`` instead of a number (the one suppression rule).
The map, ranked bar and trend figures are drawn by :mod:`kla.figures.maps`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kla.core import fmt
from kla.core.catalog import (  # noqa: F401 - ClassScale and the palettes are re-exported for the map's users
    CATALOG,
    INF,
    MAP_CHOICES,
    RDBU_REV,
    ClassScale,
    MapChoice,
    Measure,
)
from kla.core.privacy import SUPPRESS_BELOW
from kla.core.quality import flag_text
from kla.core.rates import wilson_interval
from kla.core.suppression import HIDDEN_RATE_TEXT, SMALL_TEXT

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
        :func:`kla.read.nutrition.agg_frame` (monthly counts per area and level, rates with Wilson CI,
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
        out["value_text"] = [SMALL_TEXT if 0 < v < SUPPRESS_BELOW else "" for v in out["value"]]
    elif choice.kind == "rate" and m.numerator:
        cases = pd.to_numeric(rows[m.numerator], errors="coerce").to_numpy(dtype=float)
        small = (cases > 0) & (cases < SUPPRESS_BELOW)
        out["value_text"] = [HIDDEN_RATE_TEXT if h else "" for h in small]
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


def display_value(value: float, override: str, measure: MapMeasure, *, missing: str = "tanpa data") -> str:
    """The value as printed on the map, bars and tables: ``value_text`` when set (a hidden rate has no
    unit), else the number with the measure's decimals and unit; ``missing`` when NaN."""
    if math.isnan(value):
        return missing
    if override.endswith("(disamarkan)"):  # a hidden rate: no number, so no unit either
        return override
    return f"{override or fmt_num(value, measure.decimals)} {measure.unit}"


def values_table(values: pd.DataFrame, *, measure: MapMeasure) -> pd.DataFrame:
    """The values as a readable table (Indonesian headers), highest first, for the drill-down."""
    data = values.sort_values("value", ascending=False, na_position="last")
    return pd.DataFrame(
        {
            "Wilayah": data["name"].tolist(),
            f"Nilai ({measure.unit})": [
                display_value(v, t, measure).removesuffix(f" {measure.unit}")
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
