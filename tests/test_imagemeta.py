"""ImageMeta from a chart's Stamp (kla.figures.imagemeta): what every exported image says about itself."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from kla.core.rulebook import Rulebook
from kla.figures import charts, maps
from kla.figures.charts import Stamp
from kla.figures.imagemeta import (
    figure_digest,
    figure_meta,
    image_meta,
    plain,
    rulebook_label,
    stamp_from_figure,
)

STAMPS = [
    Stamp("Balita stunting per kecamatan", "Dinkes Kota Serang (e-PPGBM)", "Juli 2024"),
    Stamp("Capaian per klaster, Kota Serang 2025", "penilaian mandiri KLA", "2025", sample=True),
    Stamp("Tren", "BPS; SSGI 2022", "2022", sample=True, extra="survei ≠ rutin"),
    Stamp("Cakupan < 5 anak & lainnya", "e-PPGBM — DATA CONTOH", "Des 2025", sample=True, extra="a · b"),
]


def bar(stamp: Stamp) -> go.Figure:
    return charts.apply_stamp(go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h")), stamp)


@pytest.mark.parametrize("stamp", STAMPS, ids=lambda s: s.title[:20])
def test_the_stamp_is_read_back_from_a_chart(stamp: Stamp) -> None:
    found = stamp_from_figure(bar(stamp))
    assert found is not None
    back, subtitle = found
    assert (back.title, back.source, back.data_date, back.sample) == (
        stamp.title,
        stamp.source,
        stamp.data_date,
        stamp.sample,
    )
    assert back.extra == stamp.extra
    assert subtitle == ""


def test_the_stamp_is_read_back_from_a_map_footer_with_its_notes() -> None:
    fig = go.Figure()
    stamp = Stamp("Balita stunting per kecamatan<br>Juli 2024", "Dinkes", "2024-07", sample=True)
    maps._layout(fig, stamp, height=400, notes=["abu-abu = tanpa data"])
    found = stamp_from_figure(fig)
    assert found is not None
    back, subtitle = found
    assert back.title == "Balita stunting per kecamatan"  # "— DATA CONTOH" is the mark, not the title
    assert subtitle == "Juli 2024"
    assert (back.source, back.data_date, back.sample) == ("Dinkes", "2024-07", True)
    assert "abu-abu = tanpa data" in back.extra


def test_sample_stamp_gives_a_sample_meta_with_a_caption() -> None:
    meta = image_meta(STAMPS[1], rulebook="KLA uji")
    assert meta.sample is True
    assert meta.caption.strip()
    assert "DATA CONTOH" in meta.caption
    assert STAMPS[1].title in meta.caption and "2025" in meta.caption
    assert meta.rulebook == "KLA uji"
    assert (meta.title, meta.source, meta.data_date) == (STAMPS[1].title, STAMPS[1].source, STAMPS[1].data_date)


def test_the_extra_note_becomes_the_subtitle() -> None:
    assert image_meta(STAMPS[2], rulebook="r").subtitle == "survei ≠ rutin"


def test_a_given_caption_wins_and_a_blank_one_does_not() -> None:
    assert image_meta(STAMPS[0], rulebook="r", caption="Peta enam kecamatan.").caption == "Peta enam kecamatan."
    assert image_meta(STAMPS[0], rulebook="r", caption="   ").caption.startswith("Grafik: ")


def test_the_figure_saying_sample_makes_the_meta_sample_whatever_the_stamp_says() -> None:
    fig = bar(STAMPS[1])  # drawn as sample data
    honest = Stamp(STAMPS[1].title, STAMPS[1].source, STAMPS[1].data_date, sample=False)
    meta = figure_meta(fig, rulebook="r", stamp=honest)
    assert meta is not None and meta.sample is True


def test_a_figure_without_source_or_title_is_not_exported() -> None:
    no_source = go.Figure(layout=dict(title=dict(text="Judul saja")))
    assert stamp_from_figure(no_source) is None
    assert figure_meta(no_source, rulebook="r") is None
    assert figure_meta(go.Figure(), rulebook="r") is None
    # with a stamp at hand the page's stamp is used
    meta = figure_meta(no_source, rulebook="r", stamp=STAMPS[0])
    assert meta is not None and meta.source == STAMPS[0].source


def test_html_in_texts_becomes_plain_text() -> None:
    assert plain("<b>Kasus</b> &lt; 5 &amp; lainnya<br>baris dua") == "Kasus < 5 & lainnya\nbaris dua"
    meta = figure_meta(bar(STAMPS[3]), rulebook="r")
    assert meta is not None
    assert meta.title == "Cakupan < 5 anak & lainnya"
    assert "<" not in meta.source.replace("< 5", "")


def test_rulebook_label_names_title_version_and_unofficial_weights() -> None:
    rb = Rulebook(
        id="kla-x",
        title="24 indikator KLA",
        weights_official=False,
        weights_label="bobot ilustratif",
        groups=(),
        bands=(),
        indicators=(),
        version="2026.12",
    )
    assert rulebook_label(rb) == "24 indikator KLA (versi 2026.12), bobot ilustratif"
    official = Rulebook(
        id="kla-y", title="KLA resmi", weights_official=True, weights_label="", groups=(), bands=(), indicators=()
    )
    assert rulebook_label(official) == "KLA resmi"


def test_digest_follows_the_figure() -> None:
    a, b = bar(STAMPS[0]), bar(STAMPS[0])
    assert figure_digest(a) == figure_digest(b)
    b.update_traces(x=[1, 3])
    assert figure_digest(a) != figure_digest(b)
