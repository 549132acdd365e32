"""Pure map figures: classes, values, traces, colours, sizes, and no external URL anywhere."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from geo.fetch import fetch
from geo.validate import prepare
from kla.core import config
from kla.figures import maps as map_figures
from kla.figures.charts import Stamp
from kla.read import boundaries as geostore
from kla.views import maps

MIRROR = Path(os.environ.get("KLA_GEO_MIRROR", Path(__file__).resolve().parents[1].parent / "shared" / "geo"))
needs_mirror = pytest.mark.skipif(not (MIRROR / "raw").is_dir(), reason=f"boundary mirror {MIRROR} not available")
STAMP = Stamp("Balita stunting per kecamatan", "Dinkes (data rutin)", "2024-07")


@pytest.fixture(scope="module")
def wilayah() -> pd.DataFrame:
    return pd.read_csv(config.load_city().wilayah, dtype=str)[["code", "level", "name", "parent_code"]]


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    frame = pd.read_csv(config.load_city().published_figures, dtype=str)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame["denominator"] = pd.to_numeric(frame["denominator"], errors="coerce")
    return frame


@pytest.fixture(scope="module")
def boundaries(wilayah: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Both levels through the real fetch + prepare path, as the app stores them."""
    if not (MIRROR / "raw").is_dir():
        pytest.skip("boundary mirror not available")
    frames = fetch(str(MIRROR), ["kecamatan", "kelurahan"])
    out = {}
    for level, gdf in frames.items():
        rows = prepare(gdf, level, wilayah, official_area_km2=266.314).rows
        frame = pd.DataFrame([r.__dict__ for r in rows])
        out[level] = geostore.feature_collection(frame)
    return out


def _areas(wilayah: pd.DataFrame, level: str) -> pd.DataFrame:
    return wilayah.loc[wilayah["level"] == level, ["code", "name"]].reset_index(drop=True)


# --------------------------------------------------------------------------- classes and numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (2.49, 0),
        (2.5, 1),
        (4.99, 1),
        (5, 2),
        (7.5, 3),
        (9.99, 3),
        (10, 4),
        (29.9, 5),
        (30, 6),
        (95, 6),
        (-1, 0),
        (math.nan, None),
    ],
)
def test_stunting_classes(value: float, expected: int | None) -> None:
    assert maps.MEASURES["stunting_prevalence"].scale.classify(value) == expected


def test_stunting_class_edges_keep_the_who_thresholds() -> None:
    assert {2.5, 10, 20, 30} <= set(maps.MEASURES["stunting_prevalence"].scale.breaks)


def test_class_labels_carry_units_and_indonesian_decimals() -> None:
    labels = maps.MEASURES["stunting_prevalence"].scale.labels("%")
    assert labels == ["0 – 2,5 %", "2,5 – 5 %", "5 – 7,5 %", "7,5 – 10 %", "10 – 20 %", "20 – 30 %", "≥ 30 %"]
    change = maps.change_measure(maps.MEASURES["stunting_cases_routine"]).scale.labels("anak")
    assert change[0] == "< −200 anak" and change[3] == "−20 – 20 anak"


def test_class_scale_rejects_bad_breaks() -> None:
    with pytest.raises(ValueError, match="one more"):
        maps.ClassScale((0, 1), ("#000", "#111"))
    with pytest.raises(ValueError, match="increase"):
        maps.ClassScale((0, 2, 1), ("#000", "#111"))


def test_stepped_colorscale_has_one_flat_band_per_class() -> None:
    scale = maps.MEASURES["stunting_cases_routine"].scale
    cs = scale.colorscale()
    assert len(cs) == 2 * scale.n and cs[0] == [0.0, scale.colours[0]] and cs[-1] == [1.0, scale.colours[-1]]


def test_fmt_num_indonesian() -> None:
    assert maps.fmt_num(1234.5, 1) == "1234,5"  # kla.core.fmt: thousands dot only from five digits on
    assert maps.fmt_num(12345.5, 1) == "12.345,5"
    assert maps.fmt_num(-3, 0) == "−3"
    assert maps.fmt_num(math.nan) == "–"


def test_wilson_interval_kasemen_2021() -> None:
    """The map's intervals are the one Wilson interval of kla.core.rates (z = 1.96)."""
    from kla.core.rates import wilson_interval

    assert maps.wilson_interval is wilson_interval
    lo, hi = maps.wilson_interval(792, 11108)
    assert lo == pytest.approx(6.66, abs=0.02) and hi == pytest.approx(7.62, abs=0.02)
    assert all(math.isnan(x) for x in maps.wilson_interval(3, 0))
    assert all(math.isnan(x) for x in maps.wilson_interval(math.nan, 100))


def test_flag_reason() -> None:
    assert maps.flag_reason(12, None, rate=True).startswith("penyebut kecil")
    assert "cakupan rendah (56,7%" in maps.flag_reason(500, 56.68, rate=True)
    assert maps.flag_reason(500, 90, rate=True) == ""
    assert maps.flag_reason(12, None, rate=False) == ""  # counts have no denominator to be small


# --------------------------------------------------------------------------- values from published figures


def test_published_counts_keep_every_area_and_mark_missing(figures: pd.DataFrame, wilayah: pd.DataFrame) -> None:
    v = maps.published_values(figures, _areas(wilayah, "kecamatan"), measure="stunting_cases_routine", period="2025-04")
    assert len(v) == 6
    assert math.isnan(v.set_index("name").at["Cipocok Jaya", "value"])  # "not reported" in the source
    assert v.set_index("name").at["Taktakan", "value"] == 374


def test_published_rate_with_ci_only_where_a_denominator_exists(figures: pd.DataFrame, wilayah: pd.DataFrame) -> None:
    areas = _areas(wilayah, "kecamatan")
    v = maps.published_values(figures, areas, measure="stunting_rate_routine", period="2021-06").set_index("name")
    assert v.at["Kasemen", "value"] == pytest.approx(792 / 11108 * 100)
    assert v.at["Kasemen", "ci_low"] < v.at["Kasemen", "value"] < v.at["Kasemen", "ci_high"]
    later = maps.published_values(figures, areas, measure="stunting_rate_routine", period="2024-07")
    assert later["value"].isna().all()  # 2024 counts came without denominators: no rate invented


def test_change_values(figures: pd.DataFrame, wilayah: pd.DataFrame) -> None:
    areas = _areas(wilayah, "kecamatan")
    a = maps.published_values(figures, areas, measure="stunting_cases_routine", period="2024-07")
    b = maps.published_values(figures, areas, measure="stunting_cases_routine", period="2025-04")
    ch = maps.change_values(a, b).set_index("name")
    assert ch.at["Taktakan", "value"] == 374 - 128
    assert math.isnan(ch.at["Cipocok Jaya", "value"])
    assert ch.at["Serang", "period"] == "2024-07 → 2025-04"


# --------------------------------------------------------------------------- figures


@needs_mirror
def test_kecamatan_choropleth_structure(figures: pd.DataFrame, wilayah: pd.DataFrame, boundaries: dict) -> None:
    measure = maps.MEASURES["stunting_cases_routine"]
    v = maps.published_values(figures, _areas(wilayah, "kecamatan"), measure=measure.key, period="2025-04")
    fig = map_figures.choropleth(v, boundaries["kecamatan"], measure=measure, stamp=STAMP)
    types = [t.type for t in fig.data]
    assert types == ["scattergeo", "choropleth", "choropleth"]  # names, valued areas, no-data areas
    names, valued, empty = fig.data
    # First trace positioned by lon/lat, without locationmode: keeps plotly.js from fetching TopoJSON.
    assert names.locations is None and names.locationmode is None and len(names.lon) == 6
    assert "Cipocok Jaya<br><i>tanpa data</i>" in names.text
    assert len(valued.locations) == 5 and list(empty.locations) == ["36.73.05"]
    assert (valued.zmin, valued.zmax) == (-0.5, measure.scale.n - 0.5)
    assert list(valued.z) == [measure.scale.classify(x) for x in v.dropna(subset=["value"])["value"]]
    assert valued.colorbar.ticktext[0] == "0 – 50 anak"
    assert empty.colorscale[0][1] == map_figures.NO_DATA_COLOUR and empty.showlegend
    geo = fig.layout.geo
    assert geo.visible is False and geo.fitbounds == "locations"
    assert not any(
        getattr(geo, f"show{layer}")
        for layer in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    )
    footer = fig.layout.annotations[0].text
    assert "Sumber: Dinkes (data rutin)" in footer and "Data per: 2024-07" in footer and "abu-abu" in footer
    assert fig.layout.title.text == STAMP.title


@needs_mirror
def test_hover_carries_value_denominator_ci_and_source(
    figures: pd.DataFrame, wilayah: pd.DataFrame, boundaries: dict
) -> None:
    measure = maps.MEASURES["stunting_rate_routine"]
    v = maps.published_values(figures, _areas(wilayah, "kecamatan"), measure=measure.key, period="2021-06")
    fig = map_figures.choropleth(v, boundaries["kecamatan"], measure=measure, stamp=STAMP)
    row = dict(zip(fig.data[1].locations, fig.data[1].customdata, strict=True))["36.73.02"]
    assert row[1] == "Kasemen" and row[2] == "7,1 %" and row[3] == "11.108"
    assert row[4].startswith("6,7–7,6") and "bantenintens.co.id" in row[5]
    for label in ("Nilai", "Penyebut", "IK 95%", "Sumber"):
        assert label in fig.data[1].hovertemplate


@needs_mirror
def test_flagged_areas_get_a_thick_outline_and_a_legend_entry(wilayah: pd.DataFrame, boundaries: dict) -> None:
    areas = _areas(wilayah, "kecamatan")
    v = maps.complete_values(
        pd.DataFrame(
            {
                "code": areas["code"],
                "value": [4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                "denominator": [400, 20, 300, 300, 300, 300],
            }
        ),
        areas,
    )
    v["flag"] = [maps.flag_reason(d, None, rate=True) for d in v["denominator"]]
    fig = map_figures.choropleth(v, boundaries["kecamatan"], measure=maps.MEASURES["stunting_prevalence"], stamp=STAMP)
    outline = fig.data[-1]
    assert list(outline.locations) == ["36.73.02"] and outline.marker.line.width >= 3
    assert "cakupan rendah / penyebut kecil" in outline.name and outline.showlegend
    assert "garis tebal" in fig.layout.annotations[0].text


@needs_mirror
def test_change_map_uses_the_diverging_scale(figures: pd.DataFrame, wilayah: pd.DataFrame, boundaries: dict) -> None:
    areas = _areas(wilayah, "kecamatan")
    a = maps.published_values(figures, areas, measure="stunting_cases_routine", period="2024-07")
    b = maps.published_values(figures, areas, measure="stunting_cases_routine", period="2025-04")
    measure = maps.change_measure(maps.MEASURES["stunting_cases_routine"])
    fig = map_figures.choropleth(maps.change_values(a, b), boundaries["kecamatan"], measure=measure, stamp=STAMP)
    colours = [c for _, c in fig.data[1].colorscale]
    assert set(colours) == set(maps.RDBU_REV) and measure.scale.kind == "diverging"
    z = dict(zip(fig.data[1].locations, fig.data[1].z, strict=True))
    assert z["36.73.06"] == measure.scale.n - 1  # Taktakan +246: the darkest red class
    assert z["36.73.01"] == 3  # Serang −20: the neutral middle class


@needs_mirror
@pytest.mark.parametrize(("level", "limit_kb"), [("kecamatan", 150), ("kelurahan", 400)])
def test_figure_json_size_and_no_external_url(
    level: str, limit_kb: int, figures: pd.DataFrame, wilayah: pd.DataFrame, boundaries: dict
) -> None:
    measure = maps.MEASURES["stunting_cases_routine"]
    v = maps.published_values(figures, _areas(wilayah, level), measure=measure.key, period="2024-07")
    fig = map_figures.choropleth(
        v, boundaries[level], measure=measure, stamp=STAMP, options=map_figures.MapOptions(label_size=8)
    )
    text = fig.to_json()
    assert len(text.encode()) < limit_kb * 1024
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text) == []  # no URL a browser could fetch
    assert "topojson" not in text.lower() and "mapbox" not in text.lower()
    filled = [t for t in fig.data if t.type == "choropleth" and not t.name.startswith("Garis")]
    locations = [code for t in filled for code in t.locations]
    assert len(locations) == len(set(locations)) == (6 if level == "kecamatan" else 67)


def test_ranked_bar_orders_colours_and_lists_missing(figures: pd.DataFrame, wilayah: pd.DataFrame) -> None:
    measure = maps.MEASURES["stunting_cases_routine"]
    v = maps.published_values(figures, _areas(wilayah, "kecamatan"), measure=measure.key, period="2025-04")
    fig = map_figures.ranked_bar(v, measure=measure, stamp=STAMP)
    bar, labels = fig.data
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.y)[-1] == "Taktakan" and list(bar.y)[0] == "Cipocok Jaya"  # top = highest, bottom = no data
    assert list(labels.text)[0] == "tanpa data" and list(labels.text)[-1] == "374 anak"
    assert bar.marker.color[0] == map_figures.NO_DATA_COLOUR
    assert bar.marker.color[-1] == measure.scale.colours[measure.scale.classify(374)]
    assert re.findall(r"https?://", fig.to_json()) == []


def test_ranked_bar_with_ci_has_error_bars(figures: pd.DataFrame, wilayah: pd.DataFrame) -> None:
    measure = maps.MEASURES["stunting_rate_routine"]
    v = maps.published_values(figures, _areas(wilayah, "kecamatan"), measure=measure.key, period="2021-06")
    fig = map_figures.ranked_bar(v, measure=measure, stamp=STAMP)
    assert fig.data[0].error_x.array is not None
    assert "interval kepercayaan 95%" in fig.layout.annotations[0].text


def test_sample_stamp_is_visible_in_title() -> None:
    v = maps.complete_values(
        pd.DataFrame({"code": ["a"], "value": [1.0]}), pd.DataFrame({"code": ["a"], "name": ["A"]})
    )
    fig = map_figures.ranked_bar(
        v, measure=maps.MEASURES["kla_achievement"], stamp=Stamp("Capaian", "contoh", "2025", sample=True)
    )
    assert "DATA CONTOH" in fig.layout.title.text and "DATA CONTOH" in fig.layout.annotations[0].text


def test_maps_module_has_no_streamlit_or_network_imports() -> None:
    for module in (maps, map_figures):
        source = Path(module.__file__).read_text(encoding="utf-8")
        for forbidden in ("import streamlit", "urllib", "requests", "http://", "https://"):
            assert forbidden not in source, module.__name__
    assert json.loads(json.dumps(maps.MEASURES["coverage"].scale.colours))  # plain data, serialisable


def test_rates_built_on_one_to_four_cases_are_hidden_with_their_interval() -> None:
    """Rate + denominator + CI would reveal a count under 5: the map shows no number for it."""
    import math

    import pandas as pd

    from kla.core.privacy import SUPPRESS_BELOW
    from kla.views import maps

    areas = pd.DataFrame(
        {"code": ["K1", "K2"], "name": ["Satu", "Dua"], "level": ["kecamatan"] * 2, "parent_code": ["C", "C"]}
    )
    nutrition = pd.DataFrame(
        {
            "level": ["kecamatan"] * 2,
            "area_code": ["K1", "K2"],
            "period": ["2025-12-01"] * 2,
            "source_type": ["eppgbm"] * 2,
            "source_kind": ["imported"] * 2,
            "stunted": [3, 40],
            "n_haz": [400, 800],
            "stunting_pct": [0.75, 5.0],
            "stunting_lo": [0.25, 3.7],
            "stunting_hi": [2.2, 6.7],
            "coverage_pct": [96.0, 97.0],
            "sasaran": [420, 830],
            "flag_small_n": [False, False],
            "flag_low_coverage": [False, False],
            "flag_conflict": [False, False],
        }
    )
    choice = maps.CHOICES["gizi_stunting"]
    inputs = maps.MapInputs(nutrition=nutrition, published=pd.DataFrame(), kla=pd.DataFrame())
    values = maps._nutrition_values(inputs, choice, "kecamatan", "2025-12", areas).set_index("code")
    assert values.at["K1", "value_text"] == f"< {SUPPRESS_BELOW} kasus (disamarkan)"
    assert math.isnan(values.at["K1", "ci_low"]) and math.isnan(values.at["K1", "ci_high"])
    assert values.at["K2", "value_text"] == "" and values.at["K2", "ci_low"] == 3.7
    text = maps.display_value(values.at["K1", "value"], values.at["K1", "value_text"], choice.measure)
    assert "0,75" not in text and "0.75" not in text and text.endswith("(disamarkan)")


def test_map_flag_judges_small_n_on_the_chosen_measure() -> None:
    """Stunting's n (n_haz) is large, wasting's (n_whz) is 12: only the wasting map says n < 30."""
    import pandas as pd

    from kla.views import maps

    areas = pd.DataFrame({"code": ["K1"], "name": ["Satu"], "level": ["kecamatan"], "parent_code": ["C"]})
    nutrition = pd.DataFrame(
        {
            "level": ["kecamatan"],
            "area_code": ["K1"],
            "period": ["2025-12-01"],
            "source_type": ["eppgbm"],
            "source_kind": ["imported"],
            "measured": [400],
            "stunted": [40],
            "n_haz": [400],
            "stunting_pct": [10.0],
            "stunting_lo": [7.4],
            "stunting_hi": [13.3],
            "wasted": [6],
            "n_whz": [12],
            "wasting_pct": [50.0],
            "wasting_lo": [25.4],
            "wasting_hi": [74.6],
            "coverage_pct": [float("nan")],
            "sasaran": [float("nan")],
            "flag_small_n": [False],  # stored flag: stunting's denominator
            "flag_low_coverage": [False],
            "flag_conflict": [False],
        }
    )
    inputs = maps.MapInputs(nutrition=nutrition, published=pd.DataFrame(), kla=pd.DataFrame())
    stunting = maps._nutrition_values(inputs, maps.CHOICES["gizi_stunting"], "kecamatan", "2025-12", areas)
    wasting = maps._nutrition_values(inputs, maps.CHOICES["gizi_wasting"], "kecamatan", "2025-12", areas)
    assert "n < 30" not in stunting.iloc[0]["flag"]
    assert "n < 30" in wasting.iloc[0]["flag"]
