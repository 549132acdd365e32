"""Press-ready PNG images and media packs of plotly figures, rendered on the server.

Three steps, each usable alone:

* :func:`press_figure` (pure): a **copy** of a figure laid out for one aspect ratio, with the
  title and subtitle on top, a footer with source, data date and rulebook, and, for sample data,
  the "DATA CONTOH" mark (a red line in the header and a large diagonal watermark over the plot).
* :func:`render_png`: that copy rendered to PNG bytes by a warm headless Chromium (kaleido), plus
  the caption and sources written into the PNG's text chunks, so the alt text travels with the file.
* :func:`media_pack`: a zip of one PNG per figure and ``keterangan.txt`` (captions, sources, data
  dates, rulebook, sample note), for a newsroom or a report.

Why this design
---------------
* **Same pixels for everyone.** Images are drawn on the server, not by the viewer's browser, at a
  fixed size: the plot is laid out at half the export size and rendered at ``scale=2``
  (:data:`SCALE`), so every font of *n* layout px is *2n* px in the image. Fonts below
  :data:`MIN_FONT_PX` in the image are raised (including the figure's own annotations).
* **Header and footer never collide with the plot.** They are annotations placed a computed
  number of px from the plot area, not plotly's title (a multi-line plotly title anchored at the
  top drifts upward and gets clipped). The margins are sized for them, for the y-axis labels
  (estimated from their text) and for the figure's own notes under the plot, so plotly's automatic
  margins have nothing to add and cannot move them. The figure's own title is dropped; its other
  annotations stay (a map's notes, or its own small source line).
* **Offline.** kaleido 1.x drives a Chrome/Chromium it does not ship. We point it at the system
  browser (``BROWSER_PATH`` if set, else ``chromium``/``google-chrome`` on ``PATH``, else
  kaleido's own download from ``kaleido_get_chrome``), load plotly.js from the installed plotly
  package (never the CDN), turn MathJax off (kaleido's default would fetch it from a CDN) and
  give Chromium a proxy that does not exist (:data:`NO_NETWORK_PROXY`): any request that tries
  to leave the machine (e.g. a world TopoJSON for a geo subplot with base layers) fails at once
  instead of leaking, and the render fails with :class:`RenderFailed`.
* **Warm.** The browser starts once per process (about 2 s) and stays open with
  :data:`TABS` tabs on a private event-loop thread; later images take a few hundred ms. Calls are
  thread-safe (every Streamlit session runs in its own thread). If the browser dies it is
  restarted once per failing call.
* **Clear failure.** Without kaleido or a browser, :class:`RendererMissing` carries an Indonesian
  message saying what to install; the UI shows it and keeps the in-browser (modebar) download.
  :func:`renderer_problem` answers the same question without starting anything.
* **The sample mark cannot be lost.** :func:`press_figure` refuses a figure that says
  "DATA CONTOH" with ``meta.sample=False``, and both it and :func:`render_png` check
  (:func:`has_sample_mark`, not ``assert``, which ``python -O`` strips) that a sample image carries
  the mark before it leaves this module.

Text in :class:`ImageMeta` is plain text: ``<``, ``>`` and ``&`` are shown as typed (``"< 5"``
stays ``< 5``), and a newline starts a new line. Long lines are wrapped to the image width.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import copy
import html
import io
import math
import os
import re
import shutil
import struct
import textwrap
import threading
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go

__all__ = [
    "ASPECTS",
    "SAMPLE_MARK",
    "ExportError",
    "ImageMeta",
    "RenderFailed",
    "RendererMissing",
    "SampleMarkError",
    "has_sample_mark",
    "media_pack",
    "png_size",
    "png_texts",
    "press_figure",
    "render_png",
    "renderer_problem",
    "start_renderer",
    "stop_renderer",
]

#: Export sizes in image pixels (width, height); the long side is at least 1600 px.
ASPECTS: dict[str, tuple[int, int]] = {
    "1:1": (1600, 1600),
    "4:5": (1600, 2000),
    "16:9": (2560, 1440),
}
#: Image px per layout px. The figure is laid out at ``size / SCALE`` and rendered at ``scale=SCALE``.
SCALE = 2
#: No text in an exported image is smaller than this (image px).
MIN_FONT_PX = 16
SAMPLE_MARK = "DATA CONTOH"
SAMPLE_NOTE = "ilustratif, bukan data resmi"
#: ``name`` of the watermark annotation; :func:`has_sample_mark` looks for it.
SAMPLE_MARK_NAME = "kla-data-contoh"

# Layout px (image px = 2 ×). Plotly spaces lines of text at 1.3 em.
_LINE = 1.3
_PAD = 24  # left/right edge of header and footer
_TOP_PAD = 18
_BOTTOM_PAD = 14
_TITLE_SIZE = 22
_SUBTITLE_SIZE = 15
_BANNER_SIZE = 16
_BLOCK_GAP = 8
_HEADER_GAP = 22  # between the header and the plot
_FOOTER_SIZE = 13
_AXIS_ROOM = 64  # below a cartesian plot: tick labels and an axis title
_MIN_FONT = MIN_FONT_PX / SCALE
_BASE_FONT = 12  # plotly's default layout font size
# Average advance of a character as a share of the font size (DejaVu Sans is wide; err long).
_CHAR_EM = 0.58
_BOLD_CHAR_EM = 0.64
_RED = "#b3001b"
_INK = "#111111"
_MUTED = "#333333"

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


class ExportError(Exception):
    """Base class of this module's errors."""


class RendererMissing(ExportError):
    """The server cannot render PNGs: kaleido or a Chrome/Chromium is missing or will not start.

    ``str(error)`` is an Indonesian message for the user that says what to install.
    """


class RenderFailed(ExportError):
    """The renderer is there, but this figure could not be drawn (bad figure, timeout, network needed)."""


class SampleMarkError(ExportError):
    """Sample data would leave without its "DATA CONTOH" mark (a programming error, never shown as-is)."""


@dataclass(frozen=True)
class ImageMeta:
    """What every exported image says about itself (plain text, Indonesian).

    Attributes
    ----------
    title, subtitle:
        shown on top; the subtitle may be empty.
    source:
        who published the data, with a URL where there is one ("Sumber: …").
    data_date:
        the date or period the data describe ("Data per …").
    rulebook:
        the active rulebook's key or name ("Aturan: …").
    sample:
        True when the figure shows sample (illustrative) data: the image gets the DATA CONTOH mark.
    caption:
        a short Indonesian description of what the image shows, usable as alt text.
    """

    title: str
    subtitle: str
    source: str
    data_date: str
    rulebook: str
    sample: bool
    caption: str

    def __post_init__(self) -> None:
        for name in ("title", "source", "data_date", "rulebook", "caption"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ImageMeta.{name} harus berisi teks (tidak boleh kosong)")
        if not isinstance(self.subtitle, str):
            raise ValueError("ImageMeta.subtitle harus teks (boleh kosong)")
        if not isinstance(self.sample, bool):  # "False" as a string would be truthy: demand a real bool
            raise ValueError(f"ImageMeta.sample harus True atau False, bukan {self.sample!r}")


# --- press_figure: pure layout ---------------------------------------------------------------------


def press_figure(fig: go.Figure, meta: ImageMeta, aspect: str) -> go.Figure:
    """A copy of ``fig`` laid out for ``aspect`` with title, subtitle, footer and (sample) mark.

    The copy is ``ASPECTS[aspect]`` / :data:`SCALE` layout px large; render it with
    ``scale=SCALE`` (as :func:`render_png` does). ``fig`` itself is never changed. The figure's
    own title is replaced by ``meta``; its other annotations (notes under a map, say) are kept.
    See the module docstring for how header and footer are placed.

    Raises
    ------
    ValueError
        unknown aspect, or texts too long for the image.
    SampleMarkError
        ``fig`` mentions DATA CONTOH (in its title or annotations) but ``meta.sample`` is False.
    """
    width, height = _size(aspect)
    if not meta.sample and _mentions_sample(fig):
        raise SampleMarkError(
            f"Gambar ini bertanda {SAMPLE_MARK}, tetapi ImageMeta.sample=False: data contoh tidak boleh "
            "diekspor tanpa tandanya."
        )
    w, h = width // SCALE, height // SCALE
    spec = copy.deepcopy(fig.to_dict())
    _raise_small_fonts(spec)
    out = go.Figure(spec)
    layout = out.layout

    left = math.ceil(max(_margin(layout.margin.l, 80), _PAD + 16, _left_room(out)))
    right = math.ceil(max(_margin(layout.margin.r, 80), _PAD + 16))
    header_w = w - left - right + (left - _PAD)  # header and footer start at the image's left padding
    blocks: list[tuple[str, str, int, str, bool]] = []  # (name, text, size, colour, bold)
    if meta.sample:
        blocks.append(("kla-sample-banner", f"{SAMPLE_MARK} · {SAMPLE_NOTE}", _BANNER_SIZE, _RED, True))
    blocks.append(("kla-title", meta.title, _TITLE_SIZE, _INK, True))
    if meta.subtitle.strip():
        blocks.append(("kla-subtitle", meta.subtitle, _SUBTITLE_SIZE, _MUTED, False))

    header: list[tuple[str, list[str], int, str, bool, float]] = []  # (..., offset from the top)
    offset: float = _TOP_PAD
    for name, text, size, colour, bold in blocks:
        lines = _wrap(text, size, header_w, bold=bold)
        header.append((name, lines, size, colour, bold, offset))
        offset += len(lines) * size * _LINE + _BLOCK_GAP
    top = offset - _BLOCK_GAP + _HEADER_GAP + _legend_room_above(out)

    footer_lines = [
        *_wrap(f"Sumber: {meta.source}", _FOOTER_SIZE, header_w),
        *_wrap(f"Data per {meta.data_date} · Aturan: {meta.rulebook}", _FOOTER_SIZE, header_w),
    ]
    footer_text = "<br>".join(_esc(line) for line in footer_lines)
    if meta.sample:
        footer_text = f'<span style="color:{_RED}"><b>{SAMPLE_MARK}</b> — {SAMPLE_NOTE}</span><br>{footer_text}'
        footer_lines.insert(0, SAMPLE_MARK)
    footer_h = len(footer_lines) * _FOOTER_SIZE * _LINE
    below = max(_AXIS_ROOM if _has_cartesian(out) else 0, _room_below_plot(out, h))
    bottom = _BOTTOM_PAD + footer_h + _BLOCK_GAP + below
    top, bottom = math.ceil(top), math.ceil(bottom)
    if top + bottom > 0.6 * h or left + right > 0.7 * w:
        raise ValueError(
            f"Teks terlalu panjang untuk rasio {aspect}: persingkat judul, subjudul, sumber atau label sumbu "
            f"(kepala {top} + kaki {bottom} dari {h} px tinggi; kiri {left} + kanan {right} dari {w} px lebar)."
        )

    out.layout.title = None  # text, subtitle and all: the header annotations replace it
    out.update_layout(
        width=w,
        height=h,
        autosize=False,
        margin=dict(l=left, r=right, t=top, b=bottom, pad=layout.margin.pad or 0),
        paper_bgcolor=layout.paper_bgcolor or "white",
    )
    if not layout.separators:
        out.update_layout(separators=",.")  # Indonesian: decimal comma, thousands dot
    if (layout.font.size or _BASE_FONT) < _MIN_FONT:
        out.update_layout(font_size=_MIN_FONT)
    for name, lines, size, colour, bold, from_top in header:
        text = "<br>".join(f"<b>{_esc(line)}</b>" if bold else _esc(line) for line in lines)
        out.add_annotation(
            **_edge_note(name, text, size, colour, left),
            y=1,
            yanchor="top",
            yshift=top - from_top,
        )
    out.add_annotation(
        **_edge_note("kla-footer", footer_text, _FOOTER_SIZE, _MUTED, left),
        y=0,
        yanchor="bottom",
        yshift=-(bottom - _BOTTOM_PAD),
    )
    if meta.sample:
        plot_w, plot_h = w - left - right, h - top - bottom
        size = max(36, min(120, int(min(plot_w, plot_h) / (len(SAMPLE_MARK) * _BOLD_CHAR_EM))))
        out.add_annotation(
            name=SAMPLE_MARK_NAME,
            text=f"<b>{SAMPLE_MARK}</b>",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            xanchor="center",
            yanchor="middle",
            textangle=-30 if plot_h >= 0.6 * plot_w else -15,
            showarrow=False,
            font=dict(size=size, color="rgba(179, 0, 27, 0.30)"),
        )
    _require_sample_mark(out, meta)
    return out


def _edge_note(name: str, text: str, size: int, colour: str, left: int) -> dict[str, Any]:
    """An annotation starting at the image's left padding (``left`` px left of the plot area)."""
    return dict(
        name=name,
        text=text,
        xref="paper",
        yref="paper",
        x=0,
        xanchor="left",
        xshift=-(left - _PAD),
        align="left",
        showarrow=False,
        borderpad=0,
        font=dict(size=size, color=colour),
    )


def has_sample_mark(fig: go.Figure) -> bool:
    """True if ``fig`` carries the visible DATA CONTOH watermark that :func:`press_figure` adds."""
    for ann in fig.layout.annotations:
        if ann.name != SAMPLE_MARK_NAME or SAMPLE_MARK not in (ann.text or ""):
            continue
        if ann.visible is False or (ann.opacity is not None and ann.opacity < 0.5):
            continue
        if (ann.font.size or _BASE_FONT) * SCALE < 2 * MIN_FONT_PX:
            continue
        return True
    return False


def _require_sample_mark(fig: go.Figure, meta: ImageMeta) -> None:
    if meta.sample and not has_sample_mark(fig):
        raise SampleMarkError(f"{SAMPLE_MARK} tidak ada pada gambar data contoh: ekspor dihentikan.")


def _size(aspect: str) -> tuple[int, int]:
    try:
        return ASPECTS[aspect]
    except KeyError:
        raise ValueError(f"Rasio {aspect!r} tidak dikenal; pilih salah satu dari {', '.join(ASPECTS)}") from None


def _margin(value: float | None, default: float) -> int:
    return int(default if value is None else value)


def _esc(text: str) -> str:
    """Plain text → plotly text: ``<``, ``>``, ``&`` shown literally (plotly decodes the entities)."""
    return html.escape(text, quote=False)


def _wrap(text: str, size: float, width_px: float, *, bold: bool = False) -> list[str]:
    """Lines of at most ``width_px`` at ``size`` (estimated); newlines in ``text`` are kept."""
    chars = max(12, int(width_px / (size * (_BOLD_CHAR_EM if bold else _CHAR_EM))))
    lines: list[str] = []
    for paragraph in text.strip().splitlines() or [""]:
        lines += textwrap.wrap(paragraph, chars, break_on_hyphens=False) or [""]
    return lines


_SAMPLE_RE = re.compile(r"DATA\s+CONTOH", re.IGNORECASE)


def _mentions_sample(fig: go.Figure) -> bool:
    title = fig.layout.title
    texts = [title.text, title.subtitle.text, *(a.text for a in fig.layout.annotations)]
    return any(t and _SAMPLE_RE.search(t) for t in texts)


def _raise_small_fonts(node: Any, in_font: bool = False) -> None:
    """Every ``…font.size`` in a figure dict raised to at least :data:`MIN_FONT_PX` / SCALE."""
    if isinstance(node, dict):
        for key, value in node.items():
            if in_font and key == "size":
                node[key] = _at_least(value, _MIN_FONT)
            elif isinstance(value, dict | list):
                _raise_small_fonts(value, key.endswith("font"))
    elif isinstance(node, list):
        for item in node:
            _raise_small_fonts(item)


def _at_least(value: Any, floor: float) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(value, floor)
    if hasattr(value, "__iter__") and not isinstance(value, str | bytes | dict):  # per-point sizes
        return [max(v, floor) if isinstance(v, int | float) else v for v in value]
    return value


def _has_cartesian(fig: go.Figure) -> bool:
    return any("xaxis" in trace and trace.visible is not False for trace in fig.data)


def _left_room(fig: go.Figure) -> float:
    """Layout px the y-axis tick labels (and title) need left of the plot, estimated from their text."""
    room = 0.0
    font = fig.layout.font.size or _BASE_FONT
    for trace in fig.data:
        if "yaxis" not in trace or trace.visible is False:
            continue
        axis = fig.layout[f"yaxis{(trace.yaxis or 'y')[1:]}"]
        if axis.side == "right" or axis.visible is False or axis.showticklabels is False:
            continue
        labels = axis.ticktext or ([] if trace.y is None else trace.y)
        values = list(labels)
        if axis.ticktext or axis.type == "category" or any(isinstance(v, str) for v in values[:100]):
            chars = max((len(_TAG.sub("", line)) for v in values for line in str(v).split("<br>")), default=4)
        else:
            chars = 7  # numbers: "1.234.567", "−12,5"
        need = chars * (axis.tickfont.size or font) * _CHAR_EM + 12
        if axis.title.text:
            need += (axis.title.font.size or font) * 1.6
        room = max(room, need)
    return room


_TAG = re.compile(r"<[^>]*>")


def _legend_room_above(fig: go.Figure) -> float:
    """Room for a legend drawn above the plot area (plotly would otherwise push the top margin)."""
    legend = fig.layout.legend
    if fig.layout.showlegend is False or legend.y is None or legend.y <= 1:
        return 0.0
    return (legend.font.size or fig.layout.font.size or _BASE_FONT) * _LINE + 16


def _room_below_plot(fig: go.Figure, height: int) -> float:
    """Layout px the figure's own annotations need under the plot area (e.g. a map's notes)."""
    need = 0.0
    for ann in fig.layout.annotations:
        if ann.yref != "paper" or ann.y is None or ann.y > 0 or ann.name == "kla-footer":
            continue
        lines = (ann.text or "").count("<br>") + 1
        size = ann.font.size or fig.layout.font.size or _BASE_FONT
        text_h = lines * size * _LINE if ann.yanchor in (None, "auto", "top") else 0
        # paper y below 0 is a share of the plot height, which is about 70 % of the figure's at most
        need = max(need, -(ann.yshift or 0) + text_h - ann.y * height * 0.7)
    return need


# --- render_png: kaleido with the system Chromium ---------------------------------------------------


def render_png(fig: go.Figure, meta: ImageMeta, aspect: str) -> bytes:
    """PNG bytes of :func:`press_figure` ``(fig, meta, aspect)``, exactly ``ASPECTS[aspect]`` px.

    The caption (alt text), title and sources are also written into the PNG's text chunks.

    Raises
    ------
    RendererMissing
        kaleido or a browser is missing or will not start (Indonesian message: what to install).
    RenderFailed
        this figure could not be drawn.
    """
    return _render_all([(fig, meta)], aspect)[0]


def media_pack(items: Sequence[tuple[str, go.Figure, ImageMeta]], aspect: str) -> bytes:
    """A zip: one PNG per ``(name, figure, meta)`` plus ``keterangan.txt`` with captions and sources.

    Files are numbered in the given order (``01-name.png``); names are reduced to ``a-z0-9-``.
    """
    if not items:
        raise ValueError("Paket media kosong: tidak ada gambar")
    width, height = _size(aspect)
    pngs = _render_all([(fig, meta) for _, fig, meta in items], aspect)
    names = _file_names([name for name, _, _ in items])
    notes = _keterangan([(n, meta) for n, (_, _, meta) in zip(names, items, strict=True)], aspect, width, height)
    buffer = io.BytesIO()
    stamp = datetime.now().timetuple()[:6]
    with zipfile.ZipFile(buffer, "w") as pack:
        for name, png in zip(names, pngs, strict=True):
            pack.writestr(zipfile.ZipInfo(name, stamp), png, compress_type=zipfile.ZIP_STORED)  # PNG is compressed
        pack.writestr(zipfile.ZipInfo("keterangan.txt", stamp), notes.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


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


def start_renderer() -> None:
    """Start the browser now (about 2 s) so the first PNG is fast. Raises :class:`RendererMissing`."""
    _RENDERER.ensure()


def stop_renderer() -> None:
    """Close the browser (it restarts on the next render). Also runs at interpreter exit."""
    _RENDERER.close()


def _render_all(jobs: Sequence[tuple[go.Figure, ImageMeta]], aspect: str) -> list[bytes]:
    width, height = _size(aspect)
    pressed = []
    for fig, meta in jobs:
        out = press_figure(fig, meta, aspect)
        _require_sample_mark(out, meta)  # checked again where the pixels are made
        pressed.append(out)
    opts = {"format": "png", "width": width // SCALE, "height": height // SCALE, "scale": SCALE}
    pngs = _RENDERER.render_many([out.to_dict() for out in pressed], opts)
    result = []
    for png, (_, meta) in zip(pngs, jobs, strict=True):
        if png_size(png) != (width, height):
            raise RenderFailed(f"PNG berukuran {png_size(png)}, seharusnya {(width, height)}")
        result.append(_with_text(png, _png_texts(meta)))
    return result


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


class _Renderer:
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


_RENDERER = _Renderer()
atexit.register(stop_renderer)


# --- PNG and zip details -----------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; ValueError if ``png`` is not a PNG."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise ValueError("bukan berkas PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def png_texts(png: bytes) -> dict[str, str]:
    """The iTXt/tEXt chunks of a PNG as {keyword: text}."""
    texts: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"iTXt":
            keyword, rest = data.split(b"\0", 1)
            _language, _translated, text = rest[2:].split(b"\0", 2)
            texts[keyword.decode("latin-1")] = text.decode("utf-8")
        elif kind == b"tEXt":
            keyword, text = data.split(b"\0", 1)
            texts[keyword.decode("latin-1")] = text.decode("latin-1")
        pos += 12 + length
    return texts


def _png_texts(meta: ImageMeta) -> dict[str, str]:
    texts = {
        "Title": meta.title if not meta.subtitle else f"{meta.title} — {meta.subtitle}",
        "Description": meta.caption,
        "Comment": f"Sumber: {meta.source}\nData per {meta.data_date}\nAturan: {meta.rulebook}",
        "Software": "Dasbor KLA",
    }
    if meta.sample:
        texts["Warning"] = f"{SAMPLE_MARK}: {SAMPLE_NOTE}"
    return texts


def _with_text(png: bytes, texts: dict[str, str]) -> bytes:
    """``png`` with one uncompressed iTXt chunk (UTF-8, language ``id``) per text, right after IHDR."""
    end_of_ihdr = 8 + 4 + 4 + 13 + 4
    chunks = b""
    for keyword, text in texts.items():
        data = keyword.encode("latin-1") + b"\0\0\0" + b"id\0" + b"\0" + text.encode("utf-8")
        body = b"iTXt" + data
        chunks += struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return png[:end_of_ihdr] + chunks + png[end_of_ihdr:]


def _file_names(names: Sequence[str]) -> list[str]:
    result = []
    for number, name in enumerate(names, start=1):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or "gambar"
        result.append(f"{number:02d}-{slug}.png")
    return result


def _keterangan(items: Sequence[tuple[str, ImageMeta]], aspect: str, width: int, height: int) -> str:
    lines = [
        "Paket media Dasbor KLA",
        f"{len(items)} gambar PNG, rasio {aspect} ({width} × {height} piksel).",
        "",
    ]
    samples = [name for name, meta in items if meta.sample]
    if samples:
        lines += [
            f"PERHATIAN: {len(samples)} gambar memuat {SAMPLE_MARK} ({SAMPLE_NOTE}): {', '.join(samples)}.",
            "Jangan dikutip sebagai angka resmi.",
            "",
        ]
    for number, (name, meta) in enumerate(items, start=1):
        lines.append(f"{number}. {name}")
        lines.append(f"   Judul: {meta.title}")
        if meta.subtitle.strip():
            lines.append(f"   Subjudul: {meta.subtitle}")
        lines += [
            f"   Keterangan (teks alternatif): {meta.caption}",
            f"   Sumber: {meta.source}",
            f"   Data per: {meta.data_date}",
            f"   Aturan: {meta.rulebook}",
        ]
        if meta.sample:
            lines.append(f"   {SAMPLE_MARK}: {SAMPLE_NOTE}.")
        lines.append("")
    return "\n".join(lines)
