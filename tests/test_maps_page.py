"""AppTest for the Peta page: without boundaries it explains how to get them; with them it
draws the map and the ranking, switches measure/level/mode, and opens the drill-down."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.ingest.boundaries import fetch_into
from kla.ui.keys import Map, Shared

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/2_Peta.py"
MIRROR = Path(os.environ.get("KLA_GEO_MIRROR", ROOT.parent / "shared" / "geo"))


def _run(area: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if area is not None:
        at.session_state[Shared.AREA] = area
    at.switch_page(PAGE)
    at.run()
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def geo_db(built_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (MIRROR / "raw").is_dir():
        pytest.skip("boundary mirror not available")
    db = tmp_path_factory.mktemp("peta") / "kla.duckdb"
    shutil.copyfile(built_db, db)
    fetch_into(db, source=str(MIRROR))
    return db


@pytest.fixture
def geo_env(geo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KLA_DB", str(geo_db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield geo_db
    st.cache_data.clear()
    st.cache_resource.clear()


def test_without_boundaries_the_page_says_how_to_get_them(app_env: Path) -> None:
    at = _run()
    _ok(at)
    assert any("Batas wilayah belum ada" in i.value for i in at.info)
    assert any("python -m kla geo fetch" in m.value for m in at.markdown)
    assert not at.get("plotly_chart")


def test_map_and_ranking_render_with_six_kecamatan(geo_env: Path) -> None:
    at = _run()
    _ok(at)
    assert at.title[0].value.startswith("Peta wilayah")
    figs = _figures(at)
    assert len(figs) == 2
    map_fig, bar_fig = figs
    assert map_fig["data"][0]["type"] == "scattergeo"  # names first: no TopoJSON fetch
    located = [
        c
        for t in map_fig["data"]
        if t["type"] == "choropleth" and not t["name"].startswith("Garis")
        for c in t["locations"]
    ]
    assert sorted(located) == [f"36.73.0{i}" for i in range(1, 7)]
    assert bar_fig["data"][0]["type"] == "bar" and len(bar_fig["data"][0]["y"]) == 6
    assert "DATA CONTOH" in map_fig["layout"]["title"]["text"]  # the shipped nutrition data are samples


@pytest.mark.parametrize("measure", ["terbitan_stunting", "terbitan_stunting_per100", "gizi_buruk", "cakupan", "kla"])
def test_every_measure_renders(geo_env: Path, measure: str) -> None:
    at = _run()
    at.selectbox(key=Map.MEASURE).set_value(measure)
    at.run()
    _ok(at)
    assert len(at.get("plotly_chart")) == 2


def test_kelurahan_level_and_change_mode(geo_env: Path) -> None:
    at = _run()
    at.radio(key=Map.LEVEL).set_value("kelurahan")
    at.run()
    _ok(at)
    located = {
        c
        for t in _figures(at)[0]["data"]
        if t["type"] == "choropleth" and not t["name"].startswith("Garis")
        for c in t["locations"]
    }
    assert len(located) == 67
    at.radio(key=Map.MODE).set_value("perubahan")
    at.run()
    _ok(at)
    assert "Perubahan" in _figures(at)[0]["layout"]["title"]["text"]


def test_choosing_an_area_opens_the_drill_down_and_is_shared(geo_env: Path) -> None:
    at = _run()
    at.selectbox(key=Map.AREA_PICK).set_value("36.73.02")
    at.run()
    _ok(at)
    assert at.session_state[Shared.AREA] == "36.73.02"
    assert [s.value for s in at.subheader] == ["Kecamatan Kasemen"]
    assert len(at.get("plotly_chart")) == 3  # map, ranking, trend
    tables = [d.value for d in at.dataframe]
    assert any(len(t) == 10 and "Wilayah" in t.columns for t in tables)  # Kasemen's 10 kelurahan
    assert any("Indikator" in t.columns and len(t) == 24 for t in tables)  # its KLA indicators


def test_area_chosen_elsewhere_carries_over(geo_env: Path) -> None:
    at = _run(area="36.73.04.1007")  # Sukawana in Curug, chosen on another page
    _ok(at)
    assert at.selectbox(key=Map.AREA_PICK).value == "36.73.04"  # shown as its kecamatan here
    assert [s.value for s in at.subheader] == ["Kecamatan Curug"]
