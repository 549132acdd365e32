"""Links that restore the view, in the app (AppTest): every page with selections writes them to the
URL; opening that URL in a new session shows the same selections and the same numbers; bad links
fall back to the defaults with a notice, never an error, and the database is not touched.

The oracle is the app itself: the view reached by *clicking* (widgets) must equal the view reached
by *the link* (a fresh session on the page, with only the query string), compared with the golden
snapshot (title, metrics, first rows of tables, chart values).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core.catalog import RATES
from kla.core.config import load_city
from kla.core.rulebook import load_rulebook
from kla.ui.keys import Clusters, Kecamatan, Map, Nutrition, Opd, Plan, Shared, WhatIf
from kla.ui.widgets import Comparison
from tests.test_golden_pages import geo_db, snapshot  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[1]
KASEMEN, CURUG, OTHER_CITY_KECAMATAN = "36.73.02", "36.73.04", "36.72.01"
XWALK_MEASURES = list(dict.fromkeys(r.measure for r in load_rulebook(load_city().rulebook).crosswalk))

Step = Callable[[AppTest], object]


def by_widgets(page: str, steps: list[Step]) -> AppTest:
    """A session that starts on Ringkasan, goes to ``page`` and makes its choices with the widgets."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    for step in steps:
        step(at)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_link(page: str, query: dict[str, str]) -> AppTest:
    """A new session opened straight on ``page`` with only ``query`` (as a shared link does)."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def copied(at: AppTest) -> dict[str, str]:
    """The query of the link in the "Salin tautan" box (relative in AppTest: no browser address)."""
    boxes = [c.value for c in at.code]
    if not boxes:
        return {}
    assert len(boxes) == 1 and boxes[0].startswith("?"), boxes
    return {k: v[0] for k, v in parse_qs(boxes[0][1:]).items()}


def _link_notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "tautan" in i.value.lower()]


# what each page's user changes (every page with selections; Riwayat and Sumber Data have none)
CHANGES: dict[str, list[Step]] = {
    "app.py": [lambda at: at.selectbox(key=Shared.YEAR).set_value(2023)],
    "pages/1_Klaster.py": [
        lambda at: at.selectbox(key=Shared.AREA_PICK).set_value(KASEMEN),
        lambda at: at.selectbox(key=Clusters.COMPARE).set_value(Comparison(CURUG, 2025)),
    ],
    "pages/3_Gizi_Anak.py": [
        lambda at: at.selectbox(key=Nutrition.MEASURE).set_value(list(RATES)[1]),
        # (select_index cannot be used where the options have a format_func: AppTest limitation)
        lambda at: at.selectbox(key=Nutrition.PERIOD).set_value(
            pd.Timestamp(at.session_state[Nutrition.PERIOD]) - pd.DateOffset(months=5)
        ),
        lambda at: at.selectbox(key=Nutrition.AREA).set_value(KASEMEN),
    ],
    "pages/4_Jalan_ke_Madya.py": [
        lambda at: at.selectbox(key=Shared.AREA_PICK).set_value(KASEMEN),
        lambda at: at.selectbox(key=Plan.TARGET).select_index(len(at.selectbox(key=Plan.TARGET).options) - 1),
    ],
    "pages/5_Simulasi.py": [lambda at: at.selectbox(key=Shared.AREA_PICK).set_value(KASEMEN)],
    "pages/6_OPD.py": [
        lambda at: at.selectbox(key=Shared.YEAR).set_value(2023),
        lambda at: at.selectbox(key=Opd.OPD).select_index(2),
    ],
    "pages/7_Kecamatan.py": [
        lambda at: at.selectbox(key=Kecamatan.XWALK_AREA).set_value(KASEMEN),
        lambda at: at.selectbox(key=Kecamatan.XWALK_MEASURE).set_value(XWALK_MEASURES[-1]),
    ],
    "pages/8_Riwayat.py": [],
    "pages/9_Sumber_Data.py": [],
}
#: the session-state keys whose values must come back from the link
SELECTIONS: dict[str, list[str]] = {
    "app.py": [Shared.YEAR],
    "pages/1_Klaster.py": [Shared.AREA, Shared.YEAR, Clusters.COMPARE],
    "pages/3_Gizi_Anak.py": [Nutrition.SOURCE, Nutrition.MEASURE, Nutrition.PERIOD, Nutrition.AREA],
    "pages/4_Jalan_ke_Madya.py": [Shared.AREA, Shared.YEAR, Plan.TARGET],
    "pages/5_Simulasi.py": [Shared.AREA, Shared.YEAR],
    "pages/6_OPD.py": [Shared.YEAR, Opd.OPD],
    "pages/7_Kecamatan.py": [Kecamatan.YEAR, Kecamatan.XWALK_AREA, Kecamatan.XWALK_MEASURE],
    "pages/8_Riwayat.py": [],
    "pages/9_Sumber_Data.py": [],
}


@pytest.mark.parametrize("page", list(CHANGES))
def test_the_link_of_a_changed_view_restores_it_in_a_new_session(app_env: Path, page: str) -> None:
    clicked = by_widgets(page, CHANGES[page])
    bar = dict(clicked.query_params)  # the address bar: the choices that differ from the defaults
    link = copied(clicked)  # the "Salin tautan" box: every selection
    assert bar.items() <= link.items()
    if CHANGES[page]:
        assert bar, "the address bar names the changed selections"
        assert set(link) >= {p for p in bar}, "the box pins every selection"
    else:
        assert bar == {} and link == {} and [c.value for c in clicked.code] == []
    for query in (link, bar):  # the copied link, and the address bar as it stands
        opened = by_link(page, query)
        assert _link_notices(opened) == []
        for key in SELECTIONS[page]:
            assert opened.session_state[key] == clicked.session_state[key], key
        assert snapshot(opened) == snapshot(clicked)
        assert dict(opened.query_params) == query, "an opened link stays in the address bar as it was"
        assert copied(opened) == link


def test_kasemen_against_curug_on_klaster_survives_a_new_session(app_env: Path) -> None:
    """The issue's case: Kasemen vs Curug, then the same URL elsewhere showed Kota Serang again."""
    opened = by_link("pages/1_Klaster.py", {"wilayah": KASEMEN, "tahun": "2025", "banding": CURUG})
    metrics = {m.label: m.value for m in opened.metric}
    assert any(label.startswith("Nilai Kasemen 2025") for label in metrics), metrics
    assert opened.selectbox(key=Clusters.COMPARE).value == Comparison(CURUG, 2025)
    radar = [t["name"] for t in snapshot(opened)["charts"][0]["traces"]]
    assert any("Curug" in name for name in radar), radar


def test_the_full_link_uses_the_browser_address(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "1_Klaster.py"), default_timeout=60)
    at.context["url"] = "http://127.0.0.1:8501/Klaster"
    at.query_params.update({"wilayah": KASEMEN})
    at.run()
    links = [c.value for c in at.code]
    assert any(v.startswith("http://127.0.0.1:8501/Klaster?") and f"wilayah={KASEMEN}" in v for v in links), links


def test_the_link_carries_the_area_to_the_next_page(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/1_Klaster.py")
    at.query_params.clear()
    at.query_params["wilayah"] = KASEMEN
    at.run()
    at.switch_page("pages/4_Jalan_ke_Madya.py")
    at.query_params.clear()  # as the browser does on a menu click
    at.run()
    assert not at.exception
    assert at.session_state[Shared.AREA] == KASEMEN
    assert at.query_params.get("wilayah") == KASEMEN
    assert _link_notices(at) == []


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


BAD_LINKS = {
    "kunci tak dikenal": ({"warna": "merah", "tahun": "2025"}, "tidak dikenal"),
    "tahun tanpa data": ({"tahun": "1999"}, "`1999`"),
    "kecamatan kota lain": ({"wilayah": OTHER_CITY_KECAMATAN}, "`36.72.01`"),
    "SQL": ({"wilayah": "'; DROP TABLE kla_score; --"}, "`wilayah`"),
    "HTML": ({"tahun": "<script>alert(1)</script>", "banding": "<img src=x onerror=alert(1)>"}, "`tahun`"),
    "markdown": ({"wilayah": "**x** :red[y] [z](http://contoh.invalid)"}, "`wilayah`"),
    "10 KB": ({"tahun": "2023", "wilayah": KASEMEN, "x": "A" * 10_240}, "terlalu panjang"),
}


@pytest.mark.parametrize("case", list(BAD_LINKS))
def test_a_bad_link_shows_the_default_view_with_a_notice(app_env: Path, case: str) -> None:
    query, needle = BAD_LINKS[case]
    page = "pages/1_Klaster.py"
    before = _sha(app_env)
    default = by_link(page, {})
    opened = by_link(page, query)
    notices = _link_notices(opened)
    assert notices and any(needle in n for n in notices), notices
    for text in notices:
        assert "<" not in text and "](" not in text and ":red[" not in text and "**" not in text, text
    assert snapshot(opened) == snapshot(default), "the default view, not an error"
    # the URL is rewritten to the view shown: no refused value stays in it
    assert dict(opened.query_params).items() <= copied(default).items()
    assert copied(opened) == copied(default)
    assert _sha(app_env) == before, "the database is not touched"


@pytest.mark.parametrize("page", ["app.py", "pages/6_OPD.py", "pages/7_Kecamatan.py", "pages/3_Gizi_Anak.py"])
def test_hostile_values_on_other_pages_give_notices_not_errors(app_env: Path, page: str) -> None:
    query = {p: "'; DROP TABLE kla_score; --<script>" for p in ("tahun", "wilayah", "ukuran", "opd", "periode")}
    opened = by_link(page, query)
    assert _link_notices(opened)
    assert snapshot(opened) == snapshot(by_link(page, {}))


def test_a_valid_part_of_a_link_is_kept_when_another_part_is_refused(app_env: Path) -> None:
    opened = by_link("pages/1_Klaster.py", {"wilayah": KASEMEN, "banding": "1999"})
    assert opened.session_state[Shared.AREA] == KASEMEN
    assert any("`1999`" in n for n in _link_notices(opened))


def test_a_widget_change_after_opening_a_link_is_not_undone(app_env: Path) -> None:
    at = by_link("app.py", {"tahun": "2023"})
    assert at.session_state[Shared.YEAR] == 2023
    at.selectbox(key=Shared.YEAR).set_value(2025)
    at.run()
    assert at.session_state[Shared.YEAR] == 2025
    assert at.query_params.get("tahun") == "2025"


def test_the_map_link_restores_measure_period_and_area(geo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("KLA_DB", str(geo_db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        page = "pages/2_Peta.py"
        clicked = by_widgets(
            page,
            [
                lambda at: at.radio(key=Map.MODE).set_value("perubahan"),
                lambda at: at.selectbox(key=Map.PERIOD).select_index(2),
                lambda at: at.selectbox(key=Map.PERIOD_FROM).select_index(3),
                lambda at: at.selectbox(key=Map.AREA_PICK).set_value(KASEMEN),
            ],
        )
        bar, link = dict(clicked.query_params), copied(clicked)
        assert bar.get("wilayah") == KASEMEN and bar.get("tampilan") == "perubahan"
        assert {"ukuran", "tingkat", "tampilan", "periode", "periode_awal", "wilayah"} == set(link)
        for query in (link, bar):
            opened = by_link(page, query)
            for key in (Map.MEASURE, Map.LEVEL, Map.MODE, Map.PERIOD, Map.PERIOD_FROM, Shared.AREA):
                assert opened.session_state[key] == clicked.session_state[key], key
            assert snapshot(opened) == snapshot(clicked)
            assert [h.value for h in opened.subheader] == [h.value for h in clicked.subheader]
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_saved_scenario_is_named_in_the_link(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kla.core.password import ENV_VAR, hash_password
    from kla.ui.keys import Admin

    password = "kuda-lumping-hujan-sore-42"  # noqa: S105 - the test's own admin password
    monkeypatch.setenv(ENV_VAR, hash_password(password))  # saving a scenario needs the admin session
    page = "pages/5_Simulasi.py"

    def log_in(at: AppTest) -> None:
        at.text_input(key=Admin.PASSWORD).input(password)
        at.button(key=Admin.LOGIN).click()

    names = ["Rencana A", "Rencana B & C / 2026"]  # spaces, & and / must survive the URL

    def save(name: str) -> Step:
        def step(at: AppTest) -> None:
            at.text_input(key=WhatIf.SCENARIO_NAME).input(name)
            at.button(key=WhatIf.SCENARIO_SAVE).click()

        return step

    clicked = by_widgets(
        page,
        [
            lambda at: at.selectbox(key=Shared.AREA_PICK).set_value(KASEMEN),
            log_in,
            save(names[0]),
            save(names[1]),
            # the one not shown first (the store decides the order)
            lambda at: at.selectbox(key=WhatIf.SCENARIO_PICK).set_value(
                next(n for n in names if n != at.session_state[WhatIf.SCENARIO_PICK])
            ),
        ],
    )
    picked = clicked.session_state[WhatIf.SCENARIO_PICK]
    assert clicked.query_params.get("skenario") == picked  # not the default: in the address bar
    query = copied(clicked)
    assert query["skenario"] == picked
    opened = by_link(page, query)
    assert opened.session_state[WhatIf.SCENARIO_PICK] == picked
    assert snapshot(opened) == snapshot(clicked)
    refused = by_link(page, {**query, "skenario": "Tidak ada"})
    without = by_link(page, {k: v for k, v in query.items() if k != "skenario"})
    assert refused.session_state[WhatIf.SCENARIO_PICK] == without.session_state[WhatIf.SCENARIO_PICK]
    assert snapshot(refused) == snapshot(without)
    assert any("`Tidak-ada`" in n or "`Tidak?ada`" in n for n in _link_notices(refused))
