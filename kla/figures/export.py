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

import atexit
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from datetime import datetime

import plotly.graph_objects as go

from kla.figures.press import (
    ASPECTS,
    MIN_FONT_PX,
    SAMPLE_MARK,
    SAMPLE_MARK_NAME,
    SAMPLE_NOTE,
    SCALE,
    ExportError,
    ImageMeta,
    SampleMarkError,
    _require_sample_mark,
    _size,
    has_sample_mark,
    press_figure,
)
from kla.figures.renderer import Renderer as _Renderer
from kla.figures.renderer import RendererMissing, RenderFailed, renderer_problem

__all__ = [
    "ASPECTS",
    "MIN_FONT_PX",
    "SAMPLE_MARK_NAME",
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


# --- render_png and media_pack: press layout, then the warm renderer ------------------------------


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
