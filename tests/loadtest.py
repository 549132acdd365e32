"""Load test (issue 13 §5, §6 "Load"): browser sessions read pages while imports swap the database.

Run with ``make loadtest`` (or ``python tests/loadtest.py [options]``). Not a pytest module: the
name has no ``test_`` prefix, so ``make test`` never collects it.

What it does:

1. Copies the shipped city (``data/``, without its database and records) into a temp folder and
   builds a private database there with ``python -m kla build`` (``KLA_CITY``, ``KLA_CITY_CONFIG``,
   ``KLA_DB``, ``KLA_RECORDS_DIR`` and a random ``KLA_SECRET_KEY`` all point into the temp
   folder), so the user's ``data/kla.duckdb``, ``data/records`` and key are never touched.
   Boundaries are loaded from the offline mirror (``--geo-from``, default ``../shared/geo``) when
   it exists, so Peta draws its map.
2. Writes a synthetic e-PPGBM export of ``--rows`` rows (DATA CONTOH) with the project's own
   generator (``python -m kla.ingest.sample_nutrition export``). Importing the same file twice
   changes nothing (same sha256), so each import gets its own copy with every date moved back by
   ``k × span`` months (``span`` = months in the file): import ``k`` adds ``span`` months that no
   earlier import had, and the Gizi Anak trend shows exactly ``base + k × span`` months.
3. Starts ``streamlit run app.py`` on a free localhost port (``KLA_AUTO_BUILD=0``), warms every
   page once, then drives ``--sessions`` browser sessions (one headless Chromium, one context
   and page per session) that load Ringkasan (``/``), Peta (``/Peta``) and Gizi Anak
   (``/Gizi_Anak``) in turn, back to back, through three phases:

   * ``before``: ``--before`` seconds, no import;
   * ``during``: ``python -m kla import eppgbm COPY`` run back to back for ``--during`` seconds
     (the last one started finishes; each one swaps the database);
   * ``after``: ``--after`` seconds, no import.

   A page load is timed from navigation until Streamlit has finished the script run (``stApp``
   reports ``notRunning``, no running status widget) and the main block has rendered: its title
   (``h1``) and every visible Plotly chart drawn, or an exception or error box. A load belongs to
   the phase in which it started.
4. After each load: every ``stException`` box, every error alert, and every alert whose text
   looks like a failure ("Connection already closed", "No open result set", "Error", a Python
   exception name or traceback) is recorded with its session, page and phase. On Gizi Anak the
   number of months in the routine trend chart is read from the chart's data; it must never go
   down within a session, and must match a database state that existed while the load ran
   (``base + n × span`` with ``n`` between the imports finished when it started and those
   finished or running when it ended): anything else is a half-imported or stale view.
5. Report on stdout and in ``tests/artifacts/loadtest.json``: per phase the page loads, failures,
   error boxes (with their text), p50 and p95 page times (overall and per page), the ratio
   p95(during) / p95(before), the imports completed, the consistency findings, and the
   exceptions the Streamlit server logged.

The browser shows an uncaught exception redacted (``showErrorDetails = "none"``), so the report
adds to each such box the exception the server logged while that load ran.

Exit status: 0 when every load succeeded with no error box, no inconsistent view and no exception
in the server log, at least one import completed, and p95(during) <= 2 × p95(before); 1
otherwise; 2 when the set-up failed.

Options (defaults match the issue)::

    --sessions 10     browser sessions
    --before 60       seconds before the imports
    --during 120      seconds of back-to-back imports
    --after 60        seconds after the imports
    --rows 200000     rows in the generated e-PPGBM export
    --think 0         pause between two loads of a session, seconds
    --stagger 0.5     session n starts its first measured load n × this many seconds into `before`
    --load-timeout 90 seconds before a load counts as failed
    --max-ratio 2     allowed p95(during) / p95(before)
    --geo-from DIR    boundary mirror for Peta (default: ../shared/geo when present)
    --out PATH        JSON report (default tests/artifacts/loadtest.json)
    --keep            keep the temp folder (database, export copies, server log)

A small run: ``python tests/loadtest.py --sessions 3 --before 15 --during 30 --after 15 --rows 20000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "artifacts" / "loadtest.json"
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
PAGES: tuple[tuple[str, str], ...] = (("Ringkasan", "/"), ("Peta", "/Peta"), ("Gizi Anak", "/Gizi_Anak"))
PHASES = ("before", "during", "after")
#: the export generator, under its current and its older module name (modules move inside kla/)
GENERATOR_MODULES = ("kla.ingest.sample_nutrition",)
#: text that makes any alert (of any kind) an error box
ERROR_TEXT = re.compile(
    r"Connection already closed|No open result set|Error|Traceback|Exception|does not exist",
)
#: text that must never appear anywhere in the main block, boxed or not
BODY_ERROR_TEXT = re.compile(
    r"Connection already closed|No open result set|Traceback \(most recent call last\)|"
    r"\b(?:duckdb\.)?[A-Z][A-Za-z]*(?:Error|Exception): "
)

# Ready: the script run is over and the main block shows its title and its visible charts (or an error).
READY_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]'))
    return false;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return false;
  if (main.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]')) return true;
  if (!main.querySelector('h1')) return false;
  for (const chart of main.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    const box = chart.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && !chart.querySelector('.js-plotly-plot .main-svg')) return false;
  }
  return true;
}
"""

INSPECT_JS = """
() => {
  const text = (el) => (el ? (el.innerText || el.textContent || '').trim() : '');
  const main = document.querySelector('[data-testid="stMain"]');
  const exceptions = [...document.querySelectorAll('[data-testid="stException"]')].map(text);
  const alerts = [...document.querySelectorAll('[data-testid="stAlertContainer"]')]
    .filter((box) => !box.closest('[data-testid="stException"]'))
    .map((box) => {
    const inner = box.querySelector('[data-testid^="stAlertContent"]');
    const kind = inner ? inner.getAttribute('data-testid').replace('stAlertContent', '').toLowerCase() : 'unknown';
    return { kind, text: text(box) };
    });
  let months = null;
  const trend = document.querySelector('.st-key-gizi_tren .js-plotly-plot');
  if (trend) {
    const traces = trend._fullData || trend.data || [];
    const seen = new Set();
    for (const t of traces) {
      const xs = t.x || [];
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] !== null && xs[i] !== undefined) seen.add(String(xs[i]).slice(0, 7));
      }
    }
    months = seen.size;
  }
  return {
    exceptions,
    alerts,
    title: text(main && main.querySelector('h1')),
    months,
    body: text(main).slice(0, 50000),
    connection: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-connection-state') || null,
  };
}
"""


# ----------------------------------------------------------------------------- records
@dataclass
class Load:
    session: int
    page: str
    phase: str
    started: float  # seconds since the start of the `before` phase
    seconds: float | None
    ok: bool
    failure: str | None = None
    error_boxes: list[dict] = field(default_factory=list)
    months: int | None = None
    wall: tuple[float, float] = (0.0, 0.0)  # epoch seconds at start and end, to match the server log
    imports_done_at_start: int = 0
    imports_done_at_end: int = 0
    import_running_at_end: bool = False


@dataclass
class ImportRun:
    number: int
    file: str
    started: float
    seconds: float
    returncode: int
    status: str | None
    rows_imported: int | None
    message: str


@dataclass
class State:
    phase: str = "warmup"
    stop: bool = False
    warmed: int = 0  # sessions done with their warm-up
    go: asyncio.Event = field(default_factory=asyncio.Event)
    crashed: list[str] = field(default_factory=list)
    t0: float = 0.0
    imports_done: int = 0  # imports whose CLI has exited successfully (their swap is complete)
    import_running: bool = False
    loads: list[Load] = field(default_factory=list)
    imports: list[ImportRun] = field(default_factory=list)
    phase_times: dict[str, list[float]] = field(default_factory=dict)
    loadavg: dict[str, float] = field(default_factory=dict)  # 1-minute load average at the end of each phase

    def now(self) -> float:
        return time.perf_counter() - self.t0


# ----------------------------------------------------------------------------- set-up
def log(message: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class SetupError(RuntimeError):
    pass


def run(cmd: list[str], env: dict[str, str], what: str, timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise SetupError(f"{what} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-2000:]}")
    return proc


def private_city(work: Path, geo_from: Path | None) -> dict[str, str]:
    """A copy of the shipped city with its own database, records and key; returns the environment."""
    city = work / "city"
    shutil.copytree(
        ROOT / "data",
        city,
        ignore=shutil.ignore_patterns("kla.duckdb*", "records", "records.lock", "*.lock", "*.tmp*", "*.wal"),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLA_")}
    env.update(
        {
            "KLA_CITY": str(city),
            "KLA_CITY_CONFIG": str(city / "city.toml"),
            "KLA_DATA_DIR": str(city),
            "KLA_DB": str(work / "kla.duckdb"),
            "KLA_RECORDS_DIR": str(work / "records"),
            "KLA_SECRET_KEY": secrets.token_hex(32),  # never the user's key file
            "KLA_AUTO_BUILD": "0",
            "PYTHONPATH": str(ROOT),
            "TZ": "UTC",  # the server log's timestamps are read as UTC
        }
    )
    t = time.perf_counter()
    run([sys.executable, "-m", "kla", "build", "--db", env["KLA_DB"], "--quiet"], env, "kla build")
    log(f"private database built in {time.perf_counter() - t:.1f} s: {env['KLA_DB']}")
    if geo_from is not None and geo_from.exists():
        try:
            cmd = [sys.executable, "-m", "kla", "geo", "fetch", "--from", str(geo_from), "--db", env["KLA_DB"]]
            run(cmd, env, "kla geo fetch", timeout=300)
            log(f"boundaries loaded from {geo_from}")
        except SetupError as exc:
            log(f"WARNING: no boundaries, Peta shows its notice instead of the map ({exc})")
    else:
        log("WARNING: no boundary mirror; Peta shows its notice instead of the map")
    return env


def generator_module(env: dict[str, str]) -> str:
    for name in GENERATOR_MODULES:
        probe = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({name!r}) else 1)"
        if subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True).returncode == 0:
            return name
    raise SetupError(f"no e-PPGBM generator module found (tried {', '.join(GENERATOR_MODULES)})")


def generate_export(work: Path, rows: int, env: dict[str, str]) -> Path:
    """A clean (ISO dates) synthetic export of ``rows`` rows, from the project's generator CLI."""
    out = work / f"eppgbm_{rows}.csv"
    module = generator_module(env)
    t = time.perf_counter()
    run([sys.executable, "-m", module, "export", str(out), "--rows", str(rows)], env, f"{module} export")
    log(f"generated {out.name} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    return out


DATE_COLUMNS = ("Tgl Lahir", "Tanggal Pengukuran")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_span(export: Path) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute(
            "SELECT count(DISTINCT strftime(CAST(\"Tanggal Pengukuran\" AS DATE), '%Y-%m')) "
            "FROM read_csv(?, delim=';', header=true, all_varchar=true)",
            [str(export)],
        ).fetchone()[0]
    finally:
        con.close()


def shifted_copy(export: Path, k: int, span: int) -> Path:
    """The export with every date ``k × span`` months earlier (a new sha256 and new months)."""
    import duckdb

    months = k * span
    out = export.with_name(f"{export.stem}_minus{months}m.csv")
    con = duckdb.connect(config={"threads": 1})
    try:
        cols = [
            r[0]
            for r in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true)", [str(export)]
            ).fetchall()
        ]
        moved = f'(CAST("Tanggal Pengukuran" AS DATE) - INTERVAL {months} MONTH)'
        exprs = []
        for c in cols:
            if c in DATE_COLUMNS:
                exprs.append(
                    f"strftime(CAST({_quote(c)} AS DATE) - INTERVAL {months} MONTH, '%Y-%m-%d') AS {_quote(c)}"
                )
            elif c == "Bulan Pengukuran":
                exprs.append(f"CAST(month({moved}) AS VARCHAR) AS {_quote(c)}")
            elif c == "status tahun":
                exprs.append(f"CAST(year({moved}) AS VARCHAR) AS {_quote(c)}")
            else:
                exprs.append(_quote(c))
        select = f"SELECT {', '.join(exprs)} FROM read_csv(?, delim=';', header=true, all_varchar=true)"  # noqa: S608
        target = str(out).replace("'", "''")
        con.execute(f"COPY ({select}) TO '{target}' (FORMAT csv, DELIMITER ';', HEADER true)", [str(export)])
    finally:
        con.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(env: dict[str, str], work: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log_path = work / "streamlit.log"
    handle = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed with the process
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"streamlit exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    log(f"streamlit ready at {url} (pid {proc.pid})")
                    return proc, url, log_path
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SetupError(f"streamlit did not answer within 60 s: {log_path.read_text()[-2000:]}")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ----------------------------------------------------------------------------- one page load
def error_boxes(found: dict) -> list[dict]:
    boxes = [{"kind": "exception", "text": t[:2000]} for t in found["exceptions"]]
    for alert in found["alerts"]:
        if alert["kind"] == "error" or ERROR_TEXT.search(alert["text"]):
            boxes.append({"kind": f"alert-{alert['kind']}", "text": alert["text"][:2000]})
    if not boxes:
        match = BODY_ERROR_TEXT.search(found["body"])
        if match:
            start = max(0, match.start() - 200)
            boxes.append({"kind": "text", "text": found["body"][start : match.end() + 300]})
    return boxes


async def load_page(page, url: str, timeout: float) -> tuple[float | None, str | None, dict | None]:
    """Navigate and wait until ready; returns (seconds, failure, inspection)."""
    from playwright.async_api import Error as PlaywrightError

    t = time.perf_counter()
    deadline = t + timeout
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError
            await page.wait_for_function(READY_JS, polling=50, timeout=left * 1000)
            ready_at = time.perf_counter()
            await asyncio.sleep(0.2)  # a rerun right after the first run (e.g. a widget callback) is part of the load
            if await page.evaluate(READY_JS):
                break
        seconds = ready_at - t
        found = await page.evaluate(INSPECT_JS)
    except (TimeoutError, PlaywrightError) as exc:
        text = "timeout" if isinstance(exc, TimeoutError) or "Timeout" in str(exc) else str(exc).splitlines()[0]
        found = None
        with contextlib.suppress(Exception):
            found = await page.evaluate(INSPECT_JS)
        return None, f"{text} after {time.perf_counter() - t:.1f} s", found
    if not found["title"] and not found["exceptions"]:
        return seconds, "no title rendered", found
    return seconds, None, found


async def session_loop(n: int, browser, url: str, state: State, args: argparse.Namespace) -> None:
    """One browser session: its own context and page. It first loads every page once (a warm-up,
    not recorded: the context's first load fetches Streamlit's scripts), waits for the start
    signal, then loads the pages in turn until told to stop."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = await context.new_page()
    seen_months = 0
    try:
        for k in range(len(PAGES)):
            name, path = PAGES[(n + k) % len(PAGES)]
            _, failure, _found = await load_page(page, url + path, args.load_timeout)
            if failure:
                log(f"session {n} warm-up {name}: {failure}")
        state.warmed += 1
        await state.go.wait()
        await asyncio.sleep(n * args.stagger)  # not all at once: arrivals spread like real users'
        i = n  # sessions start on different pages
        while not state.stop:
            name, path = PAGES[i % len(PAGES)]
            i += 1
            phase = state.phase
            started = state.now()
            done_at_start = state.imports_done
            wall_start = time.time()
            seconds, failure, found = await load_page(page, url + path, args.load_timeout)
            rec = Load(
                wall=(wall_start, time.time()),
                session=n,
                page=name,
                phase=phase,
                started=round(started, 2),
                seconds=None if seconds is None else round(seconds, 3),
                ok=failure is None,
                failure=failure,
                imports_done_at_start=done_at_start,
                imports_done_at_end=state.imports_done,
                import_running_at_end=state.import_running,
            )
            if found is not None:
                rec.error_boxes = error_boxes(found)
                if name == "Gizi Anak":
                    rec.months = found["months"]
            state.loads.append(rec)
            if rec.months is not None:
                if rec.months < seen_months:
                    rec.error_boxes.append(
                        {"kind": "consistency", "text": f"months went back from {seen_months} to {rec.months}"}
                    )
                seen_months = max(seen_months, rec.months)
            if not rec.ok or rec.error_boxes:
                what = rec.failure or "; ".join(b["text"][:120].replace("\n", " ") for b in rec.error_boxes)
                log(f"session {n} {phase} {name}: {what}")
            if args.think:
                await asyncio.sleep(args.think)
    finally:
        with contextlib.suppress(Exception):
            await context.close()


# ----------------------------------------------------------------------------- imports
async def import_loop(state: State, export: Path, span: int, env: dict[str, str], until: float) -> None:
    """Imports of fresh shifted copies, back to back, the next copy prepared while one imports."""
    k = 1
    nxt = asyncio.create_task(asyncio.to_thread(shifted_copy, export, k, span))
    while state.now() < until:
        copy = await nxt
        k += 1
        nxt = asyncio.create_task(asyncio.to_thread(shifted_copy, export, k, span))
        started = state.now()
        state.import_running = True
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kla",
            "import",
            "eppgbm",
            str(copy),
            "--json",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        state.import_running = False
        status = rows = None
        message = err.decode("utf-8", "replace").strip()[-500:]
        with contextlib.suppress(ValueError, AttributeError):
            report = json.loads(out.decode("utf-8", "replace"))
            status = report.get("status")
            rows = report.get("rows_imported")
            message = report.get("message") or message
        if proc.returncode == 0 and status == "imported":
            state.imports_done += 1
        run_ = ImportRun(
            number=k - 1,
            file=copy.name,
            started=round(started, 2),
            seconds=round(state.now() - started, 2),
            returncode=proc.returncode,
            status=status,
            rows_imported=rows,
            message=message if status != "imported" else "",
        )
        state.imports.append(run_)
        log(f"import {run_.number}: {status or 'FAILED'} rc={proc.returncode} {run_.seconds:.1f} s {run_.message}")
        copy.unlink(missing_ok=True)
    nxt.cancel()
    with contextlib.suppress(BaseException):
        (await nxt).unlink(missing_ok=True)


async def controller(state: State, export: Path, span: int, env: dict[str, str], args) -> None:
    state.phase_times["before"] = [0.0]
    log(f"phase before: {args.before} s")
    await asyncio.sleep(args.before)
    state.loadavg["before"] = round(os.getloadavg()[0], 1)
    state.phase = "during"
    start = state.now()
    state.phase_times["before"].append(start)
    log(f"phase during: imports back to back for {args.during} s")
    await import_loop(state, export, span, env, until=start + args.during)
    state.phase_times["during"] = [start, state.now()]
    state.loadavg["during"] = round(os.getloadavg()[0], 1)
    state.phase = "after"
    start = state.now()
    log(f"phase after: {args.after} s")
    await asyncio.sleep(args.after)
    state.phase_times["after"] = [start, state.now()]
    state.loadavg["after"] = round(os.getloadavg()[0], 1)
    state.stop = True


async def drive(url: str, export: Path, span: int, env: dict[str, str], args) -> State:
    from playwright.async_api import async_playwright

    state = State()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            log(f"warm-up: {args.sessions} sessions load every page once")
            sessions = [asyncio.create_task(session_loop(n, browser, url, state, args)) for n in range(args.sessions)]
            while state.warmed < args.sessions and not any(t.done() for t in sessions):
                await asyncio.sleep(0.2)
            state.t0 = time.perf_counter()
            state.phase = "before"
            state.go.set()
            if not any(t.done() for t in sessions):
                await controller(state, export, span, env, args)
            state.stop = True
            for n, outcome in enumerate(await asyncio.gather(*sessions, return_exceptions=True)):
                if isinstance(outcome, BaseException):
                    state.crashed.append(f"session {n}: {type(outcome).__name__}: {outcome}")
                    log(f"session {n} crashed: {outcome!r}")
        finally:
            await browser.close()
    return state


# ----------------------------------------------------------------------------- report
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(s[lo] + (s[hi] - s[lo]) * (pos - lo), 3)


def check_consistency(state: State, span: int) -> tuple[int | None, list[dict]]:
    """Months on Gizi Anak against the database states that existed while each load ran."""
    base_seen = [ld.months for ld in state.loads if ld.months is not None and ld.phase == "before"]
    if not base_seen:
        return None, []
    base = min(base_seen)
    findings = []
    for ld in state.loads:
        if ld.months is None:
            continue
        lo = ld.imports_done_at_start
        hi = ld.imports_done_at_end + (1 if ld.import_running_at_end else 0)
        allowed = [base + n * span for n in range(lo, hi + 1)]
        if ld.months not in allowed:
            kind = "stale" if ld.months < allowed[0] else "inconsistent"
            text = f"{kind}: Gizi Anak shows {ld.months} months; database states while it loaded had {allowed}"
            ld.error_boxes.append({"kind": "consistency", "text": text})
            findings.append({"session": ld.session, "phase": ld.phase, "started": ld.started, "text": text})
        for box in ld.error_boxes:
            if box["kind"] == "consistency" and "went back" in box["text"]:
                findings.append({"session": ld.session, "phase": ld.phase, "started": ld.started, "text": box["text"]})
    return base, findings


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ")


def server_exceptions(log_path: Path) -> list[dict]:
    """Exceptions the Streamlit server logged (the browser shows them redacted: showErrorDetails is
    "none"): time (epoch), the exception line, and the frames in the project."""
    lines = log_path.read_text("utf-8", "replace").splitlines() if log_path.exists() else []
    events = []
    stamp = None
    i = 0
    while i < len(lines):
        m = LOG_TIME.match(lines[i])
        if m:
            stamp = datetime.strptime(m.group(1)[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
        if not lines[i].startswith("Traceback (most recent call last)"):
            i += 1
            continue
        frames = []
        i += 1
        while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
            line = lines[i].strip()
            if line.startswith("File ") and ("/kla/" in line or "/pages/" in line or "app.py" in line):
                frames.append(line)
            i += 1
        error = lines[i].strip() if i < len(lines) else "(end of log)"
        events.append({"time": stamp, "error": error, "frames": frames[-6:]})
    return events


def server_summary(events: list[dict]) -> dict:
    by_error: dict[str, dict] = {}
    for e in events:
        entry = by_error.setdefault(e["error"], {"count": 0, "frames": e["frames"]})
        entry["count"] += 1
    return {"tracebacks": len(events), "by_error": by_error}


def attach_server_errors(loads: list[Load], events: list[dict]) -> None:
    """Give each redacted exception box the server's exception text logged while that load ran."""
    for ld in loads:
        if not any(b["kind"] == "exception" for b in ld.error_boxes):
            continue
        during = [e["error"] for e in events if e["time"] and ld.wall[0] - 0.5 <= e["time"] <= ld.wall[1] + 0.5]
        for box in ld.error_boxes:
            if box["kind"] == "exception":
                box["server_errors"] = during


def phase_summary(loads: list[Load], phase: str) -> dict:
    mine = [ld for ld in loads if ld.phase == phase]
    times = [ld.seconds for ld in mine if ld.ok and ld.seconds is not None]
    boxes = [
        {
            "session": ld.session,
            "page": ld.page,
            "started": ld.started,
            "swap_during_load": ld.imports_done_at_end > ld.imports_done_at_start,
            **box,
        }
        for ld in mine
        for box in ld.error_boxes
        if box["kind"] != "consistency"
    ]
    per_page = {}
    for name, _ in PAGES:
        page_times = [ld.seconds for ld in mine if ld.page == name and ld.ok and ld.seconds is not None]
        per_page[name] = {
            "loads": sum(1 for ld in mine if ld.page == name),
            "failures": sum(1 for ld in mine if ld.page == name and not ld.ok),
            "error_boxes": sum(1 for b in boxes if b["page"] == name),
            "p50_s": percentile(page_times, 50),
            "p95_s": percentile(page_times, 95),
        }
    return {
        "loads": len(mine),
        "failures": sum(1 for ld in mine if not ld.ok),
        "failed_loads": [
            {"session": ld.session, "page": ld.page, "started": ld.started, "failure": ld.failure}
            for ld in mine
            if not ld.ok
        ],
        "loads_with_error_box": sum(1 for ld in mine if any(b["kind"] != "consistency" for b in ld.error_boxes)),
        "error_boxes": boxes,
        "p50_s": percentile(times, 50),
        "p95_s": percentile(times, 95),
        "max_s": round(max(times), 3) if times else None,
        "per_page": per_page,
    }


def report(state: State, args, span: int, rows: int, log_path: Path, wall: float) -> tuple[dict, bool]:
    base, consistency = check_consistency(state, span)
    events = server_exceptions(log_path)
    attach_server_errors(state.loads, events)
    phases = {p: phase_summary(state.loads, p) for p in PHASES}
    for p in PHASES:
        phases[p]["seconds"] = round(state.phase_times.get(p, [0, 0])[-1] - state.phase_times.get(p, [0, 0])[0], 1)
        phases[p]["load_average_1min_at_end"] = state.loadavg.get(p)
    before, during = phases["before"]["p95_s"], phases["during"]["p95_s"]
    ratio = round(during / before, 2) if before and during else None
    completed = sum(1 for r in state.imports if r.status == "imported" and r.returncode == 0)
    failures = sum(phases[p]["failures"] for p in PHASES)
    boxes = sum(len(phases[p]["error_boxes"]) for p in PHASES)
    verdicts = {
        "no_failed_loads": failures == 0,
        "no_error_boxes": boxes == 0,
        "consistent_views": not consistency,
        "imports_completed": completed > 0,
        "no_crashed_sessions": not state.crashed,
        "no_server_tracebacks": not events,
        "p95_ratio_within_limit": ratio is not None and ratio <= args.max_ratio,
    }
    out = {
        "settings": {
            "sessions": args.sessions,
            "before_s": args.before,
            "during_s": args.during,
            "after_s": args.after,
            "rows": rows,
            "months_per_import": span,
            "think_s": args.think,
            "stagger_s": args.stagger,
            "load_timeout_s": args.load_timeout,
            "max_ratio": args.max_ratio,
            "cpus": os.cpu_count(),
        },
        "wall_seconds": round(wall, 1),
        "phases": phases,
        "p95_ratio_during_before": ratio,
        "imports": {
            "completed": completed,
            "attempted": len(state.imports),
            "seconds": [r.seconds for r in state.imports],
            "runs": [asdict(r) for r in state.imports],
        },
        "gizi_anak_months": {
            "base": base,
            "per_import": span,
            "findings": consistency,
            "seen": sorted({ld.months for ld in state.loads if ld.months is not None}),
        },
        "server_log": server_summary(events),
        "loads": [
            {k: v for k, v in asdict(ld).items() if k not in ("wall", "error_boxes")} | {"boxes": len(ld.error_boxes)}
            for ld in state.loads
        ],
        "crashed_sessions": state.crashed,
        "verdicts": verdicts,
        "passed": all(verdicts.values()),
    }
    return out, out["passed"]


def print_report(r: dict) -> None:
    s = r["settings"]
    print(
        f"\nLoad test: {s['sessions']} sessions, {s['rows']:,} rows per import, "
        f"{s['cpus']} CPUs, wall {r['wall_seconds']} s"
    )
    print(
        f"{'phase':<8}{'secs':>6}{'loads':>7}{'failed':>8}{'err.box':>9}"
        f"{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'loadavg':>9}"
    )
    for p in PHASES:
        ph = r["phases"][p]
        print(
            f"{p:<8}{ph['seconds']:>6}{ph['loads']:>7}{ph['failures']:>8}{ph['loads_with_error_box']:>9}"
            f"{ph['p50_s'] or '-':>8}{ph['p95_s'] or '-':>8}{ph['max_s'] or '-':>8}"
            f"{ph['load_average_1min_at_end'] or '-':>9}"
        )
        for name, pp in ph["per_page"].items():
            print(
                f"  {name:<12}{pp['loads']:>7}{pp['failures']:>8}{pp['error_boxes']:>9}"
                f"{pp['p50_s'] or '-':>8}{pp['p95_s'] or '-':>8}"
            )
    print(f"p95 during / before: {r['p95_ratio_during_before']} (limit {s['max_ratio']})")
    imp = r["imports"]
    print(f"imports completed: {imp['completed']} of {imp['attempted']} (seconds each: {imp['seconds']})")
    for p in PHASES:
        texts: dict[tuple[str, str], int] = {}
        for box in r["phases"][p]["error_boxes"]:
            text = box["text"].replace("\n", " ")[:160]
            if box.get("server_errors"):
                text = f"{text[:60]}… [server: {' | '.join(sorted(set(box['server_errors'])))[:200]}]"
            key = (box["page"], text)
            texts[key] = texts.get(key, 0) + 1
        for (page, text), count in sorted(texts.items(), key=lambda kv: -kv[1]):
            print(f"  [{p}] {count}× {page}: {text}")
        for f in r["phases"][p]["failed_loads"]:
            print(f"  [{p}] FAILED session {f['session']} {f['page']} at {f['started']} s: {f['failure']}")
    g = r["gizi_anak_months"]
    print(f"Gizi Anak months: base {g['base']}, +{g['per_import']} per import, seen {g['seen']}")
    for f in g["findings"]:
        print(f"  [{f['phase']}] session {f['session']} at {f['started']} s: {f['text']}")
    sl = r["server_log"]
    print(f"server tracebacks: {sl['tracebacks']}")
    for last, e in sl["by_error"].items():
        print(f"  {e['count']}× {last[:200]}")
        for frame in e["frames"]:
            print(f"      {frame[:200]}")
    print("verdicts: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in r["verdicts"].items()))
    print("PASSED" if r["passed"] else "FAILED")


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--before", type=float, default=60)
    ap.add_argument("--during", type=float, default=120)
    ap.add_argument("--after", type=float, default=60)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--think", type=float, default=0.0)
    ap.add_argument("--stagger", type=float, default=0.5)
    ap.add_argument("--load-timeout", type=float, default=90)
    ap.add_argument("--max-ratio", type=float, default=2.0)
    default_geo = Path(os.environ.get("KLA_SHARED", ROOT.parent / "shared")) / "geo"
    ap.add_argument("--geo-from", type=Path, default=default_geo)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--keep", action="store_true")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"Chromium not found at {CHROMIUM}; `make chromium` installs Debian's chromium")
        return 2
    wall = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="kla-loadtest-"))
    server = None
    try:
        env = private_city(work, args.geo_from)
        export = generate_export(work, args.rows, env)
        span = month_span(export)
        server, url, log_path = start_streamlit(env, work)
        state = asyncio.run(drive(url, export, span, env, args))
    except SetupError as exc:
        log(f"set-up failed: {exc}")
        return 2
    finally:
        if server is not None:
            stop_process(server)
    result, passed = report(state, args, span, args.rows, log_path, time.perf_counter() - wall)
    result["workdir"] = str(work) if args.keep else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(result)
    print(f"report: {args.out}")
    if args.keep:
        print(f"temp folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
