"""The PNG renderer: kaleido driving the system Chrome/Chromium, warm, offline, thread-safe.

One browser with :data:`TABS` tabs on a private event-loop thread, started on first use (about
2 s) and kept open; later images take a few hundred ms. It loads plotly.js from the installed
plotly package (never the CDN), turns MathJax off and gives Chromium a proxy that does not exist
(:data:`NO_NETWORK_PROXY`), so a figure that tries to fetch anything fails instead of leaking.
Without kaleido or a browser, :class:`RendererMissing` says in Indonesian what to install.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly

from kla.figures.press import ExportError

#: Chromium tabs kept open: two renders at a time on a 2-core server.
TABS = 2
#: Seconds for one image (kaleido's own limit) and for starting the browser.
RENDER_TIMEOUT = 30.0
START_TIMEOUT = 60.0
#: Chromium's proxy for http(s): the discard port on localhost, where nothing listens. Only
#: ``file://`` (our page and plotly.js) loads; anything else fails fast, so nothing leaves the machine.
NO_NETWORK_PROXY = "127.0.0.1:9"
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")

INSTALL_BROWSER = (
    "Pasang Chromium di server: `sudo apt-get install chromium` (Debian/Ubuntu; sama dengan `make chromium`), "
    "atau isi variabel lingkungan BROWSER_PATH dengan lokasi Chrome/Chromium."
)
INSTALL_KALEIDO = "Pasang paket Python kaleido: `pip install -r requirements.txt` (atau `make install`)."
FALLBACK = "Sementara itu, unduh gambar lewat tombol kamera di pojok kanan atas grafik."


class RendererMissing(ExportError):
    """The server cannot render PNGs: kaleido or a Chrome/Chromium is missing or will not start.

    ``str(error)`` is an Indonesian message for the user that says what to install.
    """


class RenderFailed(ExportError):
    """The renderer is there, but this figure could not be drawn (bad figure, timeout, network needed)."""


def renderer_problem() -> str | None:
    """Why PNGs cannot be rendered here (Indonesian, with what to install), or None if they likely can.

    Cheap: looks for kaleido and a browser without starting anything.
    """
    try:
        _find_kaleido()
        _browser_path()
    except RendererMissing as error:
        return str(error)
    return None


def _find_kaleido() -> Any:
    try:
        import kaleido
    except ImportError as error:
        raise RendererMissing(f"Ekspor PNG di server butuh paket kaleido. {INSTALL_KALEIDO} {FALLBACK}") from error
    return kaleido


def _browser_path() -> str:
    """``BROWSER_PATH`` if set, else a Chrome/Chromium on ``PATH``, else kaleido's download or a typical path."""
    if configured := os.environ.get("BROWSER_PATH"):
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise RendererMissing(
            f"BROWSER_PATH={configured!r} bukan berkas Chrome/Chromium yang bisa dijalankan. "
            f"{INSTALL_BROWSER} {FALLBACK}"
        )
    for name in _BROWSER_NAMES:
        if found := shutil.which(name):
            return found
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - a best-effort search; missing means missing
        found = None
    if found and Path(found).is_file():
        return str(found)
    raise RendererMissing(f"Ekspor PNG di server butuh Chrome/Chromium. {INSTALL_BROWSER} {FALLBACK}")


def _plotly_js() -> Path:
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise RendererMissing(
            f"plotly.js tidak ditemukan di {path}: pasang ulang plotly (`pip install -r requirements.txt`)."
        )
    return path


class Renderer:
    """One kaleido (one Chromium, :data:`TABS` tabs) on a private event-loop thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self.generation = 0  # +1 per browser start (tests: the renderer stays warm)
        self.browser: str | None = None

    def ensure(self) -> int:
        with self._lock:
            if self._kaleido is None or self._thread is None or not self._thread.is_alive():
                self._stop_locked()
                self._start_locked()
            return self.generation

    def _start_locked(self) -> None:
        kaleido = _find_kaleido()
        browser = _browser_path()
        page = kaleido.PageGenerator(plotly=str(_plotly_js()), mathjax=False)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kla-png-renderer", daemon=True)
        thread.start()

        opened: list[Any] = []

        async def open_browser() -> None:
            k = kaleido.Kaleido(
                n=TABS, timeout=RENDER_TIMEOUT, page_generator=page, path=browser, proxy_server=NO_NETWORK_PROXY
            )
            opened.append(k)
            await k.open()

        future = asyncio.run_coroutine_threadsafe(open_browser(), loop)
        try:
            future.result(START_TIMEOUT)
        except Exception as error:
            future.cancel()
            with contextlib.suppress(Exception):  # a half-started browser must not outlive the failure
                asyncio.run_coroutine_threadsafe(_close(opened[0] if opened else None), loop).result(20)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            raise RendererMissing(
                f"Chrome/Chromium di {browser} tidak bisa dijalankan ({_short(error)}). {INSTALL_BROWSER} {FALLBACK}"
            ) from error
        k = opened[0]
        self._loop, self._thread, self._kaleido, self.browser = loop, thread, k, browser
        self.generation += 1

    def close(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        loop, thread, k = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        if thread is not None and thread.is_alive():
            with contextlib.suppress(Exception):  # closing a browser that may already be dead
                asyncio.run_coroutine_threadsafe(_close(k), loop).result(20)
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        if not loop.is_running():
            loop.close()

    def _restart(self, generation: int) -> None:
        """Restart the browser unless another thread already did since ``generation`` failed."""
        with self._lock:
            if self.generation == generation:
                self._stop_locked()
                self._start_locked()

    def render_many(self, specs: Sequence[dict], opts: dict) -> list[bytes]:
        """Render all specs concurrently (on :data:`TABS` tabs); a failed one is retried once."""
        generation = self.ensure()
        loop, k = self._loop, self._kaleido
        assert loop is not None  # noqa: S101 - set by ensure(); for the type checker
        futures = [asyncio.run_coroutine_threadsafe(k.calc_fig(spec, opts=opts), loop) for spec in specs]
        wait = RENDER_TIMEOUT * (1 + len(specs) / TABS) + 5
        results: list[bytes] = []
        for spec, future in zip(specs, futures, strict=True):
            try:
                results.append(future.result(wait))
            except Exception as error:  # noqa: BLE001 - sorted out in _retry
                future.cancel()
                results.append(self._retry(spec, opts, error, generation))
        return results

    def _retry(self, spec: dict, opts: dict, error: BaseException, generation: int) -> bytes:
        if _is_figure_error(error):
            raise RenderFailed(f"Gambar tidak bisa dibuat: {_short(error)}") from error
        self._restart(generation)  # the browser may have died or hung
        generation = self.ensure()
        future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(spec, opts=opts), self._loop)
        try:
            return future.result(RENDER_TIMEOUT + 5)
        except Exception as again:
            future.cancel()
            raise RenderFailed(f"Gambar tidak bisa dibuat: {_short(again)}") from again


def _short(error: BaseException) -> str:
    """``Type: first line`` of an error from kaleido/choreographer (their messages run long, in English)."""
    first = str(error.args[0]) if error.args else str(error)
    first = first.strip().splitlines()[0] if first.strip() else ""
    return f"{type(error).__name__}: {first[:200]}" if first else type(error).__name__


async def _close(k: Any) -> None:
    """Close kaleido, then cancel what is left on the loop (choreographer's watchdog of a dead browser)."""
    try:
        if k is not None:
            await asyncio.wait_for(k.close(), 15)
    finally:
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)


def _is_figure_error(error: BaseException) -> bool:
    """Errors plotly.js raised about this figure: retrying in a new browser would not help."""
    try:
        from kaleido.errors import JavascriptError, KaleidoError
    except ImportError:
        return False
    return isinstance(error, JavascriptError | KaleidoError)
