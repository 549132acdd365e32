"""Benchmarks for the issue targets. Measures and prints; asserts nothing (tests check behaviour).

    .venv/bin/python tests/benchmarks.py [build] [pages] [peta] [startup] [makerun] [rulebook]

Timings are medians of several runs because the machines are shared and noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.0f} ms (n={len(samples)}, min {min(samples) * 1000:.0f})"


def bench_build(runs: int = 5) -> Path:
    from kla.ingest import build

    tmp = Path(tempfile.mkdtemp()) / "kla.duckdb"
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        build.build(tmp)
        samples.append(time.perf_counter() - t)
    print(f"python -m kla build (in-process, shipped data): {median_ms(samples)}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kla", "build", "--quiet", "--db", str(tmp)], check=True, cwd=ROOT)
    print(f"python -m kla build (whole command incl. interpreter start): {(time.perf_counter() - t) * 1000:.0f} ms")
    mirror = ROOT.parent / "shared" / "geo"
    if mirror.exists():  # the Peta page needs boundaries to be measured doing real work
        subprocess.run(
            [sys.executable, "-m", "kla", "geo", "fetch", "--from", str(mirror), "--db", str(tmp)],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    return tmp


def bench_pages(db: Path, runs: int = 5) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["KLA_DB"] = str(db)
    os.environ["KLA_AUTO_BUILD"] = "0"
    pages = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
    for page in pages:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        if page != "app.py":
            at.switch_page(page)
        at.run()  # cold for this page
        warm = []
        for _ in range(runs):
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        print(f"warm render {page}: {median_ms(warm)}")


def bench_map_page(db: Path, runs: int = 7) -> None:
    """Peta page warm render (target < 1 s) and a measure switch (< 0.5 s server time), via AppTest.

    Needs boundaries in ``db`` (:func:`bench_build` fetches them when the ``../shared/geo`` mirror exists).
    """
    from streamlit.testing.v1 import AppTest

    from kla.ui.keys import Map

    os.environ["KLA_DB"] = str(db)
    os.environ["KLA_AUTO_BUILD"] = "0"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/2_Peta.py")
    t = time.perf_counter()
    at.run()
    print(f"Peta page cold (first run, caches empty): {(time.perf_counter() - t) * 1000:.0f} ms")
    warm = []
    for _ in range(runs):
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
    print(f"Peta page warm render (AppTest rerun): {median_ms(warm)}")
    switch = []
    for i in range(runs):
        at.selectbox(key=Map.MEASURE).set_value("terbitan_stunting" if i % 2 == 0 else "gizi_stunting")
        t = time.perf_counter()
        at.run()
        switch.append(time.perf_counter() - t)
    print(f"Peta measure switch (AppTest rerun, warm caches after the first two): {median_ms(switch)}")
    assert not at.exception, [e.value for e in at.exception]


def time_to_first_render(command: list[str], *, env: dict[str, str] | None = None, runs: int = 3) -> list[float]:
    """Seconds from starting ``command`` (given ``{port}`` to fill in) to the overview fully drawn.

    The command runs in its own process group so ``make`` and the Streamlit it starts stop together.
    """
    import signal

    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port

    samples = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(runs):
            port = free_port()
            t = time.perf_counter()
            proc = subprocess.Popen(
                [part.format(port=port) for part in command],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            page = browser.new_page()
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:  # server not listening yet
                    time.sleep(0.1)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            samples.append(time.perf_counter() - t)
            page.close()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
        browser.close()
    return samples


def bench_startup(db: Path) -> None:
    """From `streamlit run` to the first full render (title + chart) in headless Chromium."""
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        "{port}",
        "--server.headless",
        "true",
    ]
    env = {**os.environ, "KLA_DB": str(db), "KLA_AUTO_BUILD": "0"}
    print(f"streamlit run -> first full render in Chromium: {median_ms(time_to_first_render(command, env=env))}")


def bench_make_run() -> None:
    """From `make run` (set-up already done) to the first full render of the overview."""
    print(
        f"make run -> first full render in Chromium: {median_ms(time_to_first_render(['make', 'run', 'PORT={port}']))}"
    )


def bench_import_rulebook(runs: int = 5) -> None:
    """`python -m kla import rulebook` of a 24-row XLSX as a whole process (target < 2 s), private city folder."""
    import shutil

    from kla.ingest import build
    from tests import test_rulebook_import as t

    folder = Path(tempfile.mkdtemp())
    # the shipped data folder (nutrition sample included, so the rebuild does its full work); the city
    # config, records folder and database are private
    env = {**os.environ, "KLA_CITY_CONFIG": str(t.write_city(folder)), "KLA_DB": str(folder / "kla.duckdb")}
    old = {k: os.environ.get(k) for k in ("KLA_CITY_CONFIG", "KLA_DB")}
    os.environ.update({k: env[k] for k in old})
    try:
        build.build(folder / "kla.duckdb")
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    sheet = t.write_xlsx(folder / "lembar.xlsx", t.sheet_rows())
    samples = []
    for _ in range(runs):
        shutil.rmtree(folder / "records", ignore_errors=True)  # import for real each time, not "already active"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kla", "import", "rulebook", str(sheet), "--quiet"], check=True, cwd=ROOT, env=env
        )
        samples.append(time.perf_counter() - start)
    print(f"python -m kla import rulebook (24-row XLSX, whole command incl. rebuild): {median_ms(samples)}")


if __name__ == "__main__":
    wanted = set(sys.argv[1:]) or {"build", "pages", "peta", "startup", "makerun", "rulebook"}
    if wanted == {"rulebook"}:
        bench_import_rulebook()
        sys.exit(0)
    db = bench_build()
    if "pages" in wanted:
        bench_pages(db)
    if "peta" in wanted:
        bench_map_page(db)
    if "startup" in wanted:
        bench_startup(db)
    if "makerun" in wanted:
        bench_make_run()
    if "rulebook" in wanted:
        bench_import_rulebook()
