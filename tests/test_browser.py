"""Real browser test: `streamlit run` on a free localhost port, every page in headless Chromium.

Asserts each page renders its title and a chart, shows no Streamlit exception box, and makes
no request to any host other than localhost. Screenshots go to tests/artifacts/screenshots/
(git-ignored). Chromium is Debian's /usr/bin/chromium (installed by `make test`), driven by
Playwright's Python API; `playwright install` is never needed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.cli import run_kla

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("KLA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

pytestmark = pytest.mark.browser


def page_slug(path: Path) -> str:
    """URL path Streamlit gives a page file: the name without its number prefix."""
    stem = path.stem
    head, _, tail = stem.partition("_")
    return tail if head.isdigit() else stem


PAGES = [("", "ringkasan")] + [(page_slug(p), p.stem) for p in sorted((ROOT / "pages").glob("*.py"))]
#: pages that draw no chart by design (forms and tables only): their test waits for the page, not a chart
WITHOUT_CHARTS = {"10_Kelola_Data"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str]) -> Iterator[tuple[str, float]]:
    """`streamlit run app.py` on a free localhost port with ``env``; yields (url, start time), stops it after."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (proc.stdout.read() if proc.stdout else ""))
    try:
        yield url, started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(built_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """Streamlit serving the session database (copied, plus boundaries when the geo code exists)."""
    db = tmp_path_factory.mktemp("browser") / "kla.duckdb"
    shutil.copyfile(built_db, db)
    env = {**os.environ, "KLA_DB": str(db), "KLA_AUTO_BUILD": "0"}
    mirror = ROOT.parent / "shared" / "geo"
    if (ROOT / "geo" / "__init__.py").exists() and mirror.exists():
        proc = run_kla("geo", "fetch", "--from", str(mirror), "--db", str(db), env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
    with streamlit_server(env) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def open_page(browser, url: str, name: str, *, charts: bool = True):
    """Open a page at 1366x768, wait for it to settle, return (page, external request hosts)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    external: list[str] = []

    def note(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        if parsed.hostname not in LOCAL_HOSTS:
            external.append(request.url)

    page.on("request", note)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=60_000)
    if charts:
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    else:  # wait for the script run to finish instead
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    page.wait_for_timeout(1500)  # let plotly finish drawing and any stray request fire
    return context, page, external


@pytest.mark.parametrize(("slug", "name"), PAGES, ids=[p[1] for p in PAGES])
def test_page_renders_offline_in_chromium(server, browser, slug: str, name: str) -> None:
    url, _ = server
    charts = name not in WITHOUT_CHARTS
    context, page, external = open_page(browser, f"{url}/{slug}", name, charts=charts)
    try:
        assert page.locator("h1").first.inner_text().strip()
        assert page.locator(".js-plotly-plot").count() >= (1 if charts else 0)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert external == [], f"requests outside localhost: {external}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
    finally:
        context.close()


def test_overview_shows_sample_label_and_category(server, browser) -> None:
    url, _ = server
    context, page, _ = open_page(browser, url, "ringkasan")
    try:
        body = page.locator("body").inner_text()
        assert "Pratama" in body
        assert "DATA CONTOH" in body
        # the title, source and data date are drawn inside the figure itself (they survive a PNG download)
        svg_text = page.locator(".js-plotly-plot").first.inner_text()
        assert (
            "Sumber:" in page.locator(".js-plotly-plot").first.locator("svg").first.inner_html()
            or "Sumber:" in svg_text
        )
    finally:
        context.close()


KECAMATAN = ("Serang", "Kasemen", "Walantaka", "Curug", "Cipocok Jaya", "Taktakan")


def test_peta_draws_the_six_named_kecamatan_offline_and_a_click_opens_the_detail(server, browser) -> None:
    """Issue 4: the map renders the six kecamatan with their names, makes no request outside
    localhost (no tiles, no CDN TopoJSON), and clicking an area opens its drill-down."""
    url, _ = server
    context, page, external = open_page(browser, f"{url}/Peta", "peta")
    try:
        plot = page.locator(".js-plotly-plot").first
        labels = plot.locator("text").all_text_contents()  # SVG text has no innerText
        for name in KECAMATAN:
            assert any(name in t for t in labels), (name, labels)
        assert plot.locator("path.choroplethlocation").count() >= 6
        assert "Sumber:" in plot.inner_html()  # source and data date drawn inside the figure
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "peta_kecamatan.png"), full_page=False)
        box = plot.locator("text", has_text="Kasemen").first.bounding_box()
        assert box is not None
        # Just below the label is still inside Kasemen (the label sits at the area's widest point).
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 12)
        page.wait_for_selector("h3:has-text('Kecamatan Kasemen')", timeout=30_000)
        page.wait_for_timeout(1500)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert external == [], f"requests outside localhost: {external}"
        page.screenshot(path=str(ARTIFACTS / "peta_rincian.png"), full_page=True)
    finally:
        context.close()
