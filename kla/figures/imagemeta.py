"""What an exported image says about itself (:class:`~kla.figures.press.ImageMeta`), made from a chart.

Every dashboard chart carries a :class:`~kla.figures.charts.Stamp` (title, source, data date,
sample flag, extra note). The PNG export needs a little more: the active rulebook and an
Indonesian caption usable as alt text. This module builds that :class:`ImageMeta`, pure:

* :func:`image_meta` from a Stamp (what a page passes when it has one at hand);
* :func:`stamp_from_figure` reads the Stamp back from a figure drawn by
  :func:`kla.figures.charts.apply_stamp` or :func:`kla.figures.maps` (title, and the footer line
  "Sumber: … / Data per: …"), so a page that only has the figure still gets a full meta;
* :func:`figure_meta` combines both, and returns ``None`` for a figure with no source: an image
  without its source is not exported (the UI then offers no PNG control for it);
* :func:`rulebook_label` names the active rulebook the same way on every image.

The sample flag is never weaker than what the figure shows: a figure that says "DATA CONTOH"
anywhere gets ``sample=True`` even when a caller's Stamp says otherwise, so the export's own
check (:class:`~kla.figures.press.SampleMarkError`) is never the first line of defence.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import replace

import plotly.graph_objects as go

from kla.core.rulebook import Rulebook
from kla.figures.charts import SAMPLE_LABEL, Stamp
from kla.figures.press import ImageMeta

_TAG = re.compile(r"<[^>]*>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SAMPLE = re.compile(r"DATA\s+CONTOH", re.IGNORECASE)
_SAMPLE_SUFFIX = re.compile(r"\s*[—–-]\s*DATA\s+CONTOH\s*$", re.IGNORECASE)
# Stamp.footer() puts this before "Data per" on sample figures
_SAMPLE_NOTE = re.compile(r"^\s*DATA CONTOH\s*\(ilustratif, bukan data resmi\)\s*(·\s*)?", re.IGNORECASE)
_SOURCE = "Sumber: "
_DATE = "Data per: "
#: Longest caption (characters) built by default: alt text should be short.
CAPTION_MAX = 300


def plain(text: object) -> str:
    """Plotly text → plain text: ``<br>`` as a newline, other tags dropped, entities decoded."""
    if not text:
        return ""
    lines = [html.unescape(_TAG.sub("", part)).strip() for part in _BR.split(str(text))]
    return "\n".join(line for line in lines if line)


def rulebook_label(rulebook: Rulebook) -> str:
    """The active rulebook as an image footer names it: title, version, and unofficial weights."""
    label = rulebook.title.strip() or rulebook.id
    if rulebook.version:
        label += f" (versi {rulebook.version})"
    if not rulebook.weights_official and rulebook.weights_label.lower() not in label.lower():
        label += f", {rulebook.weights_label}"
    return label


def figure_mentions_sample(fig: go.Figure) -> bool:
    """True when the figure's title, subtitle or any annotation says DATA CONTOH."""
    title = fig.layout.title
    texts = [title.text, title.subtitle.text, *(a.text for a in fig.layout.annotations)]
    return any(t and _SAMPLE.search(str(t)) for t in texts)


def stamp_from_figure(fig: go.Figure) -> tuple[Stamp, str] | None:
    """The Stamp a dashboard figure was drawn with, and its subtitle (a title's second line, or "").

    Reads the title and the footer that :meth:`Stamp.footer` writes (the title's subtitle for
    :func:`~kla.figures.charts.apply_stamp`, an annotation for the maps). ``None`` when the figure
    has no title or no "Sumber:" line: such a figure cannot say where its numbers come from.
    """
    lines = plain(fig.layout.title.text).splitlines()
    if not lines:
        return None
    title = _SAMPLE_SUFFIX.sub("", lines[0]).strip()
    subtitle = " ".join(lines[1:])
    footers = [fig.layout.title.subtitle.text, *(a.text for a in fig.layout.annotations)]
    footer = next((f for f in footers if f and plain(f).startswith(_SOURCE)), None)
    if not title or footer is None:
        return None
    footer_lines = plain(footer).splitlines()
    source = footer_lines[0].removeprefix(_SOURCE).strip()
    data_date, extra = "", []
    for line in footer_lines[1:]:
        line = _SAMPLE_NOTE.sub("", line)
        if line.startswith(_DATE) and not data_date:
            data_date, *rest = line.removeprefix(_DATE).split(" · ")
            extra += rest
        elif line:
            extra.append(line)
    if not source or not data_date.strip():
        return None
    stamp = Stamp(
        title=title,
        source=source,
        data_date=data_date.strip(),
        sample=figure_mentions_sample(fig),
        extra=" · ".join(extra),
    )
    return stamp, subtitle


def default_caption(stamp: Stamp, subtitle: str = "") -> str:
    """A short Indonesian alt text from the Stamp: what the image shows, for when, and from whom."""
    what = plain(stamp.title)
    if subtitle.strip():
        what += f" ({subtitle.strip()})"
    caption = f"Grafik: {what}. Data per {plain(stamp.data_date)}; sumber: {plain(stamp.source)}."
    if stamp.sample:
        caption += f" {SAMPLE_LABEL}: angka ilustratif, bukan data resmi."
    if len(caption) > CAPTION_MAX:
        caption = caption[: CAPTION_MAX - 1].rstrip() + "…"
    return caption


def image_meta(stamp: Stamp, *, rulebook: str, caption: str | None = None, subtitle: str = "") -> ImageMeta:
    """The :class:`ImageMeta` of a chart drawn with ``stamp``, under the active ``rulebook`` label.

    ``caption`` is the alt text; without one (or with a blank one) it is derived from the title,
    data date and source (:func:`default_caption`). The Stamp's extra note becomes the subtitle
    when no subtitle is given.
    """
    sub = (subtitle or plain(stamp.extra)).replace("\n", " · ")
    text = caption.strip() if caption and caption.strip() else default_caption(stamp, sub)
    return ImageMeta(
        title=plain(stamp.title).replace("\n", " ") or "Grafik",
        subtitle=sub,
        source=plain(stamp.source).replace("\n", " "),
        data_date=plain(stamp.data_date).replace("\n", " "),
        rulebook=rulebook,
        sample=bool(stamp.sample),
        caption=text,
    )


def figure_meta(
    fig: go.Figure, *, rulebook: str, stamp: Stamp | None = None, caption: str | None = None
) -> ImageMeta | None:
    """The ImageMeta of ``fig``: from ``stamp`` when given, else read from the figure.

    ``None`` when there is no stamp and the figure carries no title, source or data date (it is
    then not exported). ``sample`` is True whenever the stamp says so *or* the figure shows
    DATA CONTOH anywhere.
    """
    subtitle = ""
    if stamp is None:
        found = stamp_from_figure(fig)
        if found is None:
            return None
        stamp, subtitle = found
    if not stamp.source.strip() or not stamp.data_date.strip() or not plain(stamp.title):
        return None
    if figure_mentions_sample(fig) and not stamp.sample:
        stamp = replace(stamp, sample=True)
    return image_meta(stamp, rulebook=rulebook, caption=caption, subtitle=subtitle)


def figure_digest(fig: go.Figure) -> str:
    """A short hash of the figure's JSON: the same figure (data and layout) gives the same digest."""
    return hashlib.sha256(fig.to_json().encode("utf-8")).hexdigest()[:24]
