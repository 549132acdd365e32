"""Press-ready PNG export (kla.figures.export): the pressed figure, and real renders in Chromium.

Tests marked ``browser`` start the system Chromium through kaleido. They fail, never skip, when it
is missing: ``make test`` installs it (Makefile target ``chromium``).
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image  # a dependency of streamlit

from kla.figures import export, press
from kla.figures.press import ASPECTS, SAMPLE_MARK, SCALE, ImageMeta

GREY = "#8c8c8c"


def meta(*, sample: bool = False, **changes: object) -> ImageMeta:
    fields: dict[str, object] = dict(
        title="Balita stunting per kecamatan",
        subtitle="Kota Serang, Juli 2024, kasus dari data rutin",
        source="Dinas Kesehatan, e-PPGBM (https://sigiziterpadu.kemkes.go.id/)",
        data_date="31 Juli 2024",
        rulebook="KLA 2024 ilustratif",
        sample=sample,
        caption="Diagram batang kasus balita stunting di enam kecamatan; Serang tertinggi.",
    )
    fields.update(changes)
    return ImageMeta(**fields)  # type: ignore[arg-type]


def bar_figure() -> go.Figure:
    """Grey bars (no red anywhere), a title of its own and a tiny note, as the dashboard's charts have."""
    fig = go.Figure(
        go.Bar(
            x=[309, 132, 128, 78, 49, 36],
            y=["Serang", "Kasemen", "Taktakan", "Curug", "Walantaka", "Cipocok Jaya"],
            orientation="h",
            marker_color=GREY,
            text=["309", "132", "128", "78", "49", "36"],
            textfont=dict(size=7),
        )
    )
    fig.update_layout(
        title=dict(text="Judul dasbor", subtitle=dict(text="Sumber: lama")),
        height=380,
        xaxis_title="anak",
        plot_bgcolor="white",
        annotations=[dict(text="catatan kecil", xref="paper", yref="paper", x=0, y=-0.1, showarrow=False, font_size=6)],
    )
    return fig


def geo_figure(**geos: object) -> go.Figure:
    """A choropleth drawn as kla.maps does it: the first trace has no locationmode, base layers off."""
    square = [[[106.1, -6.1], [106.2, -6.1], [106.2, -6.2], [106.1, -6.2], [106.1, -6.1]]]
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "A", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}
        ],
    }
    fig = go.Figure(
        [
            go.Scattergeo(lon=[106.15], lat=[-6.15], text=["Kecamatan A"], mode="text"),
            go.Choropleth(geojson=boundaries, featureidkey="id", locations=["A"], z=[1], colorscale="Greys"),
        ]
    )
    off = dict.fromkeys(["showcoastlines", "showland", "showocean", "showlakes", "showrivers", "showcountries"], False)
    fig.update_geos(fitbounds="locations", visible=False, **{**off, **geos})
    return fig


def texts(fig: go.Figure) -> str:
    """All text a reader sees in the header and footer, with line breaks as spaces."""
    parts = [a.text or "" for a in fig.layout.annotations]
    return " ".join(parts).replace("<br>", " ").replace("<b>", "").replace("</b>", "")


def font_sizes(node: object, in_font: bool = False) -> list[float]:
    sizes: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if in_font and key == "size":
                sizes += value if isinstance(value, list) else [value]
            else:
                sizes += font_sizes(value, key.endswith("font"))
    elif isinstance(node, list):
        for item in node:
            sizes += font_sizes(item)
    return sizes


def png_chunks(png: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kinds.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def red_pixels(png: bytes) -> int:
    """Pixels clearly redder than grey (the mark is red; the test figures have no red)."""
    data = Image.open(io.BytesIO(png)).convert("RGB").reduce(4).tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for r, g, b in pixels if r - g > 40 and r - b > 30)


# --- the pressed figure (pure) -----------------------------------------------------------------------


def test_every_aspect_is_at_least_1600_px_on_the_long_side() -> None:
    assert set(ASPECTS) == {"1:1", "4:5", "16:9"}
    for width, height in ASPECTS.values():
        assert max(width, height) >= 1600
        assert width % SCALE == 0 and height % SCALE == 0
    assert ASPECTS["4:5"][0] * 5 == ASPECTS["4:5"][1] * 4
    assert ASPECTS["16:9"][0] * 9 == ASPECTS["16:9"][1] * 16


@pytest.mark.parametrize("aspect", list(ASPECTS))
def test_pressed_figure_carries_title_subtitle_source_date_and_rulebook(aspect: str) -> None:
    m = meta()
    pressed = export.press_figure(bar_figure(), m, aspect)
    shown = texts(pressed)
    for text in (m.title, m.subtitle, f"Sumber: {m.source}", f"Data per {m.data_date}", f"Aturan: {m.rulebook}"):
        assert text in shown, text
    assert SAMPLE_MARK not in shown
    assert not export.has_sample_mark(pressed)
    assert (pressed.layout.width * SCALE, pressed.layout.height * SCALE) == ASPECTS[aspect]
    assert pressed.layout.autosize is False
    # the figure's own title and subtitle give way to the header
    assert not pressed.layout.title.text and not pressed.layout.title.subtitle.text
    assert "Sumber: lama" not in json.dumps(pressed.to_dict())


@pytest.mark.parametrize("aspect", list(ASPECTS))
def test_sample_figure_carries_data_contoh_in_header_watermark_and_footer(aspect: str) -> None:
    pressed = export.press_figure(bar_figure(), meta(sample=True), aspect)
    assert export.has_sample_mark(pressed)
    names = {a.name: a for a in pressed.layout.annotations}
    assert SAMPLE_MARK in names["kla-sample-banner"].text
    assert SAMPLE_MARK in names["kla-footer"].text
    watermark = names[export.SAMPLE_MARK_NAME]
    assert (watermark.x, watermark.y, watermark.xref, watermark.yref) == (0.5, 0.5, "paper", "paper")
    assert watermark.font.size * SCALE >= 72  # large, not a footnote


def test_original_figure_is_not_changed() -> None:
    fig = bar_figure()
    before = fig.to_json()
    for sample in (False, True):
        for aspect in ASPECTS:
            export.press_figure(fig, meta(sample=sample), aspect)
    assert fig.to_json() == before


def test_no_text_in_the_image_is_smaller_than_16_px() -> None:
    pressed = export.press_figure(bar_figure(), meta(sample=True), "16:9")
    sizes = font_sizes(pressed.to_dict())
    assert sizes, "no font sizes found"
    assert min(sizes) * SCALE >= export.MIN_FONT_PX
    assert (pressed.layout.font.size or 12) * SCALE >= export.MIN_FONT_PX


def test_meta_text_is_plain_text_not_markup() -> None:
    pressed = export.press_figure(bar_figure(), meta(title="Kasus < 5 & <b>tebal</b>"), "1:1")
    title = next(a.text for a in pressed.layout.annotations if a.name == "kla-title")
    assert "Kasus &lt; 5 &amp; &lt;b&gt;tebal&lt;/b&gt;" in title


def test_long_texts_wrap_and_the_plot_makes_room() -> None:
    short = export.press_figure(bar_figure(), meta(), "1:1")
    long_title = "Balita stunting per kecamatan menurut data rutin e-PPGBM, dibandingkan dengan survei " * 2
    long = export.press_figure(bar_figure(), meta(title=long_title, source="Sumber yang panjang sekali " * 6), "1:1")
    title = next(a.text for a in long.layout.annotations if a.name == "kla-title")
    assert title.count("<br>") >= 2
    estimated_chars = long.layout.width / (press._TITLE_SIZE * press._BOLD_CHAR_EM)
    assert all(len(line) <= estimated_chars for line in title.replace("<b>", "").replace("</b>", "").split("<br>"))
    assert long.layout.margin.t > short.layout.margin.t
    assert long.layout.margin.b > short.layout.margin.b


def test_texts_too_long_for_the_image_are_refused() -> None:
    with pytest.raises(ValueError, match="terlalu panjang"):
        export.press_figure(bar_figure(), meta(title="kata " * 400), "16:9")


def test_a_figure_that_says_data_contoh_cannot_leave_without_the_mark() -> None:
    fig = bar_figure()
    fig.update_layout(title_text="Skor KLA — DATA CONTOH")
    with pytest.raises(export.SampleMarkError):
        export.press_figure(fig, meta(sample=False), "1:1")
    with pytest.raises(export.SampleMarkError):
        export.render_png(fig, meta(sample=False), "1:1")  # refused before any renderer is asked
    assert export.has_sample_mark(export.press_figure(fig, meta(sample=True), "1:1"))


def test_the_sample_mark_is_checked_in_code_not_only_here() -> None:
    with pytest.raises(export.SampleMarkError):
        export._require_sample_mark(go.Figure(), meta(sample=True))
    faint = go.Figure()
    faint.add_annotation(name=export.SAMPLE_MARK_NAME, text=SAMPLE_MARK, opacity=0.1, font_size=60)
    assert not export.has_sample_mark(faint)
    hidden = go.Figure()
    hidden.add_annotation(name=export.SAMPLE_MARK_NAME, text=SAMPLE_MARK, visible=False, font_size=60)
    assert not export.has_sample_mark(hidden)


@pytest.mark.parametrize(
    "changes", [dict(title=""), dict(source="  "), dict(data_date=""), dict(rulebook=""), dict(caption="")]
)
def test_meta_needs_every_text(changes: dict) -> None:
    with pytest.raises(ValueError):
        meta(**changes)


def test_meta_sample_must_be_a_real_bool() -> None:
    with pytest.raises(ValueError):
        meta(sample="False")  # type: ignore[arg-type]


def test_unknown_aspect_is_refused() -> None:
    with pytest.raises(ValueError, match="1:1"):
        export.press_figure(bar_figure(), meta(), "3:2")


def test_png_text_chunks_round_trip() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    tiny = (
        export.PNG_SIGNATURE
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )
    m = meta(sample=True, caption="Peta – kasus < 5 ditulis “< 5”")
    out = export._with_text(tiny, export._png_texts(m))
    assert export.png_size(out) == (1, 1)
    assert export.png_texts(out)["Description"] == m.caption
    assert SAMPLE_MARK in export.png_texts(out)["Warning"]
    assert Image.open(io.BytesIO(out)).size == (1, 1)  # still a valid PNG for a real decoder


def test_media_pack_file_names_are_safe_and_ordered() -> None:
    assert export._file_names(["Peta Stunting", "../../etc/passwd", "Skor: 573/1000", "Ärger", ""]) == [
        "01-peta-stunting.png",
        "02-etc-passwd.png",
        "03-skor-573-1000.png",
        "04-arger.png",
        "05-gambar.png",
    ]


# --- the renderer is missing or broken: a clear Indonesian message, nothing started -----------------


def test_missing_browser_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export, "_RENDERER", export._Renderer())
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "tidak-ada" / "chromium"))
    problem = export.renderer_problem()
    assert problem is not None and "apt-get install chromium" in problem and "BROWSER_PATH" in problem
    with pytest.raises(export.RendererMissing, match="apt-get install chromium") as error:
        export.render_png(bar_figure(), meta(), "1:1")
    assert isinstance(error.value, Exception)
    assert "tombol kamera" in str(error.value)  # the in-browser download still works


def test_missing_kaleido_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "_RENDERER", export._Renderer())
    monkeypatch.setitem(sys.modules, "kaleido", None)  # import kaleido -> ImportError
    assert "kaleido" in (export.renderer_problem() or "")
    with pytest.raises(export.RendererMissing, match="kaleido"):
        export.media_pack([("a", bar_figure(), meta())], "1:1")


def test_browser_that_will_not_start_is_renderer_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "_RENDERER", export._Renderer())
    monkeypatch.setenv("BROWSER_PATH", "/bin/false")  # runs, exits at once
    with pytest.raises(export.RendererMissing, match="tidak bisa dijalankan"):
        export.render_png(bar_figure(), meta(), "1:1")


# --- real renders in Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer() -> Iterator[object]:
    export.start_renderer()  # fails (not skips) when Chromium is missing
    yield export._RENDERER
    export.stop_renderer()


@pytest.mark.browser
@pytest.mark.parametrize("aspect", list(ASPECTS))
def test_png_is_exactly_the_aspect_size_and_carries_its_caption(renderer: object, aspect: str) -> None:
    m = meta()
    png = export.render_png(bar_figure(), m, aspect)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_chunks(png)[0] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == ASPECTS[aspect]
    assert Image.open(io.BytesIO(png)).size == ASPECTS[aspect]
    chunks = export.png_texts(png)
    assert chunks["Description"] == m.caption
    assert m.source in chunks["Comment"] and m.rulebook in chunks["Comment"]
    assert "Warning" not in chunks


@pytest.mark.browser
def test_sample_png_visibly_differs_by_its_red_mark(renderer: object) -> None:
    plain = export.render_png(bar_figure(), meta(sample=False), "4:5")
    sample = export.render_png(bar_figure(), meta(sample=True), "4:5")
    plain_pixels = Image.open(io.BytesIO(plain)).convert("RGB").tobytes()
    sample_pixels = Image.open(io.BytesIO(sample)).convert("RGB").tobytes()
    assert plain_pixels != sample_pixels
    width, height = ASPECTS["4:5"]
    area = (width // 4) * (height // 4)
    assert red_pixels(plain) == 0
    assert red_pixels(sample) > 0.01 * area  # the watermark and red lines: clearly visible
    assert SAMPLE_MARK in export.png_texts(sample)["Warning"]


@pytest.mark.browser
def test_renderer_stays_warm_and_serves_several_sessions_at_once(renderer: object) -> None:
    export.render_png(bar_figure(), meta(), "1:1")
    generation = export._RENDERER.generation
    jobs = [list(ASPECTS)[i % 3] for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        pngs = list(pool.map(lambda aspect: export.render_png(bar_figure(), meta(), aspect), jobs))
    assert [export.png_size(png) for png in pngs] == [ASPECTS[a] for a in jobs]
    assert export._RENDERER.generation == generation  # no new browser


@pytest.mark.browser
def test_map_renders_without_network(renderer: object) -> None:
    png = export.render_png(geo_figure(), meta(), "16:9")
    assert export.png_size(png) == ASPECTS["16:9"]


@pytest.mark.browser
def test_a_figure_that_needs_the_internet_fails_instead_of_fetching(renderer: object) -> None:
    # Country outlines come from a TopoJSON on cdn.plot.ly: the renderer has no network.
    with pytest.raises(export.RenderFailed, match="topojson"):
        export.render_png(geo_figure(showcountries=True), meta(), "1:1")


@pytest.mark.browser
def test_media_pack_holds_every_png_and_the_captions(renderer: object) -> None:
    items = [
        ("Peta stunting", geo_figure(), meta(caption="Peta kasus per kecamatan.")),
        ("Peringkat", bar_figure(), meta(title="Peringkat kecamatan", caption="Batang per kecamatan.")),
        ("Skor KLA", bar_figure(), meta(title="Skor KLA", sample=True, caption="Skor contoh.", rulebook="Uji")),
        ("Tren", bar_figure(), meta(title="Tren", data_date="Agustus 2024", caption="Tren bulanan.")),
    ]
    pack = export.media_pack(items, "16:9")
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["01-peta-stunting.png", "02-peringkat.png", "03-skor-kla.png", "04-tren.png", "keterangan.txt"]
        for name in names[:-1]:
            assert export.png_size(archive.read(name)) == ASPECTS["16:9"]
        notes = archive.read("keterangan.txt").decode("utf-8")
    for name, _, m in items:
        for text in (m.title, m.caption, m.source, m.data_date, m.rulebook):
            assert text in notes, (name, text)
    assert "PERHATIAN" in notes and "03-skor-kla.png" in notes.split("\n\n")[1]
    sections = notes.split("\n\n")
    marked = [s for s in sections if SAMPLE_MARK in s and s.lstrip()[0].isdigit()]
    assert len(marked) == 1 and "03-skor-kla.png" in marked[0]


def test_media_pack_needs_items() -> None:
    with pytest.raises(ValueError):
        export.media_pack([], "1:1")
