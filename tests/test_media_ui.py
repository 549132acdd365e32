""" "Unduh gambar" under each chart and "Paket media" at the end of each page (kla.ui.media), via AppTest.

The fast tests replace the renderer by a counting stand-in (the real one is tested in
tests/test_export.py and, through this UI path, by the ``browser`` test at the end).
"""

from __future__ import annotations

import io
import statistics
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kla.figures import export
from kla.figures.press import ASPECTS, ImageMeta
from kla.figures.renderer import RenderFailed
from kla.ui import media
from kla.ui.keys import Export, Overview, Sources

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
FAKE_PNG = b"\x89PNG\r\n\x1a\nnot really"


def run_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    return at


def export_warnings(at: AppTest) -> list[str]:
    """Warnings of the export (the sidebar's own DATA CONTOH notice is not one)."""
    return [w.value for w in at.warning if "tidak bisa dibuat" in w.value]


def keys_of(elements: object) -> set[str]:
    return {e.key for e in elements if e.key}  # type: ignore[attr-defined]


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Calls of the renderer as (title, aspect); no browser is started."""
    calls: list[tuple[str, str]] = []

    def fake_png(fig: object, meta: ImageMeta, aspect: str) -> bytes:
        calls.append((meta.title, aspect))
        return FAKE_PNG

    def fake_pack(items: list, aspect: str) -> bytes:
        calls.append(("paket", aspect))
        return b"PK fake zip"

    monkeypatch.setattr(media, "render_png", fake_png)
    monkeypatch.setattr(media, "media_pack", fake_pack)
    monkeypatch.setattr(media, "renderer_problem", lambda: None)
    return calls


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_with_a_source_has_a_png_control_and_the_page_a_media_pack(
    app_env: Path, renders: list, page: str
) -> None:
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    charts = at.get("plotly_chart")
    radios = keys_of(at.radio)
    png_controls = {k.removeprefix(Export.PNG_ASPECT) for k in radios if k.startswith(Export.PNG_ASPECT)}
    registered = at.session_state[Export.REGISTRY]
    assert set(registered) == png_controls
    # every chart of the dashboard carries its source (Stamp), so every one can be exported
    assert len(png_controls) == len(charts)
    if charts:
        assert Export.PACK_ASPECT in radios
        assert Export.PACK_MAKE in keys_of(at.button)
    assert renders == [], "nothing is rendered until the user asks"


def test_png_is_made_on_request_once_per_aspect_and_kept_across_reruns(app_env: Path, renders: list) -> None:
    at = run_page("app.py")
    title = at.session_state[Export.REGISTRY][Overview.RADAR][1].title
    at.radio(key=Export.png_aspect(Overview.RADAR)).set_value("4:5").run()
    at.button(key=Export.png_make(Overview.RADAR)).click().run()
    assert not at.exception and not export_warnings(at), export_warnings(at)
    assert renders == [(title, "4:5")]
    assert at.session_state[Export.PNG_CACHE][(Overview.RADAR, "4:5")][1] == FAKE_PNG
    at.run()  # any rerun: the kept PNG is offered again, not drawn again
    at.run()
    assert renders == [(title, "4:5")]
    assert Export.png_make(Overview.RADAR) not in keys_of(at.button)  # the download replaced the button


def test_media_pack_is_made_on_request(app_env: Path, renders: list) -> None:
    at = run_page("pages/9_Sumber_Data.py")
    at.button(key=Export.PACK_MAKE).click().run()
    assert not at.exception and not export_warnings(at)
    assert renders == [("paket", "1:1")]
    assert at.session_state[Export.PACK_CACHE][1] == b"PK fake zip"
    at.run()
    assert renders == [("paket", "1:1")]


def test_render_failure_is_a_warning_not_a_traceback(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fig: object, meta: ImageMeta, aspect: str) -> bytes:
        raise RenderFailed("Gambar tidak bisa dibuat: TimeoutError")

    monkeypatch.setattr(media, "render_png", broken)
    monkeypatch.setattr(media, "renderer_problem", lambda: None)
    at = run_page("pages/9_Sumber_Data.py")
    at.button(key=Export.png_make(Sources.STATUS)).click().run()
    assert not at.exception
    assert any("tidak bisa dibuat" in w.value and "TimeoutError" in w.value for w in at.warning)
    assert Export.PNG_CACHE not in at.session_state or not at.session_state[Export.PNG_CACHE]


def test_without_a_browser_the_control_says_what_to_install(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/tidak/ada/chromium")
    at = run_page("pages/9_Sumber_Data.py")
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any("Chromium" in i and "apt-get install chromium" in i for i in infos), infos
    assert any("tombol kamera" in i for i in infos)  # the in-browser download still works
    assert Export.png_make(Sources.STATUS) not in keys_of(at.button)
    assert Export.PACK_MAKE not in keys_of(at.button)
    # the modebar (in-browser) download stays on the chart
    chart = at.get("plotly_chart")[0]
    assert '"displaylogo":false' in chart.proto.config.replace(" ", "")


@pytest.mark.browser
def test_real_png_and_media_pack_through_the_ui(app_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Chromium draws the PNG the UI offers, at the chosen aspect's size; timings printed (see -s)."""
    at = run_page("app.py")
    at.radio(key=Export.png_aspect(Overview.RADAR)).set_value("16:9").run()
    at.button(key=Export.png_make(Overview.RADAR)).click().run()
    assert not at.exception and not export_warnings(at), export_warnings(at)
    png = at.session_state[Export.PNG_CACHE][(Overview.RADAR, "16:9")][1]
    assert export.png_size(png) == ASPECTS["16:9"]
    texts = export.png_texts(png)
    assert "DATA CONTOH" in texts["Warning"]  # the overview's scores are sample data in the test database
    assert texts["Description"].startswith("Grafik: ")

    at.button(key=Export.PACK_MAKE).click().run()
    assert not at.exception and not export_warnings(at), export_warnings(at)
    pack = zipfile.ZipFile(io.BytesIO(at.session_state[Export.PACK_CACHE][1]))
    registered = at.session_state[Export.REGISTRY]
    pngs = [n for n in pack.namelist() if n.endswith(".png")]
    assert len(pngs) == len(registered) and "keterangan.txt" in pack.namelist()
    for name in pngs:
        assert export.png_size(pack.read(name)) == ASPECTS["1:1"]

    # the targets of issue 11: a PNG after the first under 3 s, a page's media pack under 10 s
    fig, meta = registered[Overview.LOST_POINTS]
    png_times, pack_times = [], []
    for _ in range(3):
        started = time.perf_counter()
        export.render_png(fig, meta, "4:5")
        png_times.append(time.perf_counter() - started)
    items = [(m.title, f, m) for f, m in registered.values()]
    for _ in range(3):
        started = time.perf_counter()
        export.media_pack(items, "16:9")
        pack_times.append(time.perf_counter() - started)
    png_s, pack_s = statistics.median(png_times), statistics.median(pack_times)
    with capsys.disabled():
        print(f"\n[press export] one PNG (warm): median {png_s:.2f} s; media pack of {len(items)}: {pack_s:.2f} s")
    assert png_s < 3.0
    assert pack_s < 10.0
