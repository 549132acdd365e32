"""Press layout of a plotly figure: a copy laid out for one aspect ratio, header, footer, sample mark.

:func:`press_figure` is pure (no browser): :mod:`kla.figures.export` renders its result to PNG with
:mod:`kla.figures.renderer`. The design (fixed sizes at ``scale=2``, header and footer as
annotations at a computed distance from the plot, fonts never below :data:`MIN_FONT_PX`, the
sample mark that cannot be lost) is explained in :mod:`kla.figures.export`.

Text in :class:`ImageMeta` is plain text: ``<``, ``>`` and ``&`` are shown as typed (``"< 5"``
stays ``< 5``), and a newline starts a new line. Long lines are wrapped to the image width.
"""

from __future__ import annotations

import copy
import html
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

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


class ExportError(Exception):
    """Base class of the PNG export errors (this module, :mod:`kla.figures.renderer`, :mod:`kla.figures.export`)."""


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
