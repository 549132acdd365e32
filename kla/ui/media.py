"""Server-rendered images: "Unduh gambar" under each chart and "Paket media" at the end of each page.

* :func:`png_control` (called by :func:`kla.ui.widgets.plot`): a small popover under the chart with
  the aspect (1:1, 4:5, 16:9), a "Buat PNG" button and then the download. Rendering is **lazy**:
  nothing is drawn until the user asks, and the bytes are kept in the session keyed by chart,
  aspect and a digest of the figure and its meta, so reruns (any widget change) do not re-render
  an unchanged chart. The digest is computed only for a chart that already has a PNG kept, so a
  normal page run costs nothing extra.
* :func:`media_pack_section` (one call at the end of each page): every chart this page run
  plotted with a source, as one zip (PNGs + ``keterangan.txt``) from :func:`kla.figures.export.media_pack`.
  :func:`start_page` (from :func:`kla.ui.page.page_setup`) empties the list at the start of each run.

Where the server cannot render (no kaleido or Chromium), the popover says in Indonesian what to
install (:func:`kla.figures.export.renderer_problem`) and the chart's own camera button (modebar)
still downloads a PNG from the browser. A render that fails shows a warning, never a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict

import plotly.graph_objects as go
import streamlit as st

from kla.figures.export import ASPECTS, ExportError, ImageMeta, media_pack, render_png, renderer_problem
from kla.figures.imagemeta import figure_digest
from kla.ui.keys import Export

log = logging.getLogger("kla.ui")

#: PNGs kept per session (a 16:9 PNG is a few hundred KB); the oldest goes first.
PNG_CACHE_SIZE = 12
ASPECT_LABELS = {"1:1": "1:1 persegi", "4:5": "4:5 tegak", "16:9": "16:9 lebar"}


def start_page(title: str) -> None:
    """Forget the charts of the previous run: each run registers what it plots again."""
    st.session_state[Export.REGISTRY] = {}
    st.session_state[Export.PAGE] = title


def _registry() -> dict[str, tuple[go.Figure, ImageMeta]]:
    if Export.REGISTRY not in st.session_state:
        st.session_state[Export.REGISTRY] = {}
    return st.session_state[Export.REGISTRY]


def _digest(figs: list[tuple[go.Figure, ImageMeta]], aspect: str) -> str:
    """Same charts with the same texts at the same aspect → same digest."""
    h = hashlib.sha256(aspect.encode())
    for fig, meta in figs:
        h.update(figure_digest(fig).encode())
        h.update(repr(meta).encode("utf-8"))
    return h.hexdigest()[:32]


def _file_stem(text: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].strip("-")
    return stem or "grafik"


def _render(what: str, make: object) -> bytes | None:
    """Run ``make()`` under a spinner; an export error becomes a warning (Indonesian), never a traceback."""
    started = time.perf_counter()
    try:
        with st.spinner(f"Membuat {what}…"):
            data = make()  # type: ignore[operator]
    except ExportError as error:  # RendererMissing, RenderFailed, SampleMarkError
        log.warning("export failed: %s", error)
        st.warning(f"{what.capitalize()} tidak bisa dibuat. {error}")
        return None
    except ValueError as error:  # texts too long for the aspect, an empty pack
        st.warning(f"{what.capitalize()} tidak bisa dibuat: {error}")
        return None
    log.info("%s made in %.2f s", what, time.perf_counter() - started)
    return data


def png_control(fig: go.Figure, key: str, meta: ImageMeta | None) -> None:
    """The "Unduh gambar" popover under a chart, and the chart's entry in the page's media pack.

    ``meta`` None (a chart without source or data date) draws nothing: such an image is not shared.
    """
    if meta is None:
        return
    _registry()[key] = (fig, meta)
    with st.popover("Unduh gambar", icon=":material/download:", key=Export.png_menu(key)):
        problem = renderer_problem()
        if problem:
            st.info(problem)
            return
        aspect = st.radio(
            "Rasio gambar",
            list(ASPECTS),
            format_func=lambda a: f"{ASPECT_LABELS.get(a, a)} ({ASPECTS[a][0]}×{ASPECTS[a][1]} px)",
            key=Export.png_aspect(key),
        )
        cache: OrderedDict = st.session_state.setdefault(Export.PNG_CACHE, OrderedDict())
        slot = (key, aspect)
        png = None
        if slot in cache:
            digest = _digest([(fig, meta)], aspect)
            if cache[slot][0] == digest:
                png = cache[slot][1]
                cache.move_to_end(slot)
        if png is None and st.button("Buat PNG", key=Export.png_make(key), help="Digambar di server, sekali per rasio"):
            png = _render("gambar PNG", lambda: render_png(fig, meta, aspect))
            if png is not None:
                cache[slot] = (_digest([(fig, meta)], aspect), png)
                while len(cache) > PNG_CACHE_SIZE:
                    cache.popitem(last=False)
        if png is not None:
            sample = "-DATA-CONTOH" if meta.sample else ""
            st.download_button(
                "Unduh PNG",
                png,
                file_name=f"{_file_stem(meta.title)}-{aspect.replace(':', 'x')}{sample}.png",
                mime="image/png",
                key=Export.png_download(key),
                on_click="ignore",
                icon=":material/download:",
            )
        st.caption(f"Teks alternatif: {meta.caption}")


def media_pack_section() -> None:
    """At the end of a page: every sourced chart of this run as one zip with captions and sources."""
    items = list(_registry().items())
    with st.expander("Paket media: semua gambar halaman ini (PNG + keterangan)", icon=":material/photo_library:"):
        if not items:
            st.caption("Halaman ini belum menampilkan grafik bersumber untuk dipaketkan.")
            return
        problem = renderer_problem()
        if problem:
            st.info(problem)
            return
        titles = "; ".join(meta.title for _, (_, meta) in items)
        st.caption(f"{len(items)} gambar: {titles}. Disertai keterangan.txt (teks alternatif, sumber, tanggal data).")
        aspect = st.radio(
            "Rasio gambar",
            list(ASPECTS),
            format_func=lambda a: ASPECT_LABELS.get(a, a),
            key=Export.PACK_ASPECT,
            horizontal=True,
        )
        figs = [(fig, meta) for _, (fig, meta) in items]
        cached = st.session_state.get(Export.PACK_CACHE)
        pack = None
        if cached is not None and cached[0] == _digest(figs, aspect):
            pack = cached[1]
        if pack is None and st.button("Buat paket media", key=Export.PACK_MAKE):
            named = [(meta.title, fig, meta) for fig, meta in figs]
            pack = _render("paket media", lambda: media_pack(named, aspect))
            if pack is not None:
                st.session_state[Export.PACK_CACHE] = (_digest(figs, aspect), pack)
        if pack is not None:
            page = _file_stem(str(st.session_state.get(Export.PAGE, "halaman")))
            sample = "-DATA-CONTOH" if any(meta.sample for _, meta in figs) else ""
            st.download_button(
                "Unduh paket media (.zip)",
                pack,
                file_name=f"paket-media-{page}-{aspect.replace(':', 'x')}{sample}.zip",
                mime="application/zip",
                key=Export.PACK_DOWNLOAD,
                on_click="ignore",
                icon=":material/download:",
            )
