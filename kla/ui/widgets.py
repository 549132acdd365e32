"""Shared widgets: figures with a PNG download, the sidebar pickers and the sidebar footer."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kla.core import config, planner
from kla.core import links as url
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook
from kla.figures.charts import Stamp
from kla.figures.imagemeta import figure_meta, rulebook_label
from kla.read.db import fingerprint
from kla.ui import links
from kla.ui.keys import Clusters, Map, Plan, Shared, ensure_default
from kla.ui.loaders import Fingerprint, load_areas, load_meta, load_provenance, load_rulebook, load_score_years
from kla.ui.media import png_control
from kla.ui.page import fail_without_scores
from kla.views import analysis, maps


def _config(key: str) -> dict:
    """Modebar without the Plotly logo; its PNG download at twice the size, named after the figure."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2, "filename": key}}


def _rulebook_text() -> str:
    """The active rulebook as the image footers name it (read from the database the page shows)."""
    try:
        return rulebook_label(load_rulebook(fingerprint(config.db_path())))
    except (OSError, KlaError, duckdb.Error) as error:  # the page itself says what is wrong
        return f"aturan aktif tidak terbaca ({type(error).__name__})"


def _press_control(fig: go.Figure, key: str, stamp: Stamp | None, caption: str | None) -> None:
    """Under the chart: "Unduh gambar" (server PNG) when the chart has a source; see :mod:`kla.ui.media`."""
    png_control(fig, key, figure_meta(fig, rulebook=_rulebook_text(), stamp=stamp, caption=caption))


def plot(fig: go.Figure, key: str, *, stamp: Stamp | None = None, caption: str | None = None) -> None:
    """Render a figure with its modebar PNG download and, under it, the press-ready PNG ("Unduh gambar").

    ``stamp`` is the figure's :class:`~kla.figures.charts.Stamp` when the page has it (else it is
    read back from the figure); ``caption`` a better alt text than the one made from the title.
    A figure with no source gets no press PNG (and is left out of the page's media pack).
    """
    st.plotly_chart(fig, key=key, width="stretch", config=_config(key))
    _press_control(fig, key, stamp, caption)


def plot_selectable(fig: go.Figure, key: str, *, stamp: Stamp | None = None, caption: str | None = None) -> list[dict]:
    """Render a figure whose areas can be clicked; returns the selected points (may be empty).

    Gets the same "Unduh gambar" control as :func:`plot`.
    """
    event = st.plotly_chart(
        fig, key=key, width="stretch", on_select="rerun", selection_mode="points", config=_config(key)
    )
    _press_control(fig, key, stamp, caption)
    return list(getattr(getattr(event, "selection", None), "points", None) or [])


def sidebar_footer(fp: Fingerprint) -> None:
    """Data date, the sample-data warning and the link to this view, on every page (call it last:
    the link holds the selections made before it)."""
    meta = load_meta(fp)
    prov = load_provenance(fp)
    with st.sidebar:
        st.caption(f"{meta.get('city_name', '')} · basis data dibangun {meta.get('built_at', '?')} UTC")
        if (prov["kind"] == "sample").any():
            st.warning("Sebagian angka adalah **DATA CONTOH** (ilustratif), ditandai di setiap grafik.")
        rb = load_rulebook(fp)
        if not rb.weights_official:
            st.caption(f"Bobot indikator: **{rb.weights_label}** (bobot resmi belum publik).")
    links.commit()


def year_picker(years: list[int], *, key: str = Shared.YEAR, label: str = "Tahun penilaian") -> int:
    """Sidebar choice among ``years`` (oldest first), newest on top and chosen by default."""
    ensure_default(key, years, years[-1])
    return st.sidebar.selectbox(label, years[::-1], key=key)


def area_picker(fp: Fingerprint, codes: list[str], *, label: str = "Wilayah") -> str:
    """Sidebar choice among ``codes`` (city first), kept in ``Shared.AREA`` across pages."""
    areas = load_areas(fp).set_index("code")["name"].to_dict()
    # the widget mirrors the area chosen on any page (the map may have picked it)
    st.session_state[Shared.AREA_PICK] = ensure_default(Shared.AREA, codes, codes[0])

    def _sync() -> None:
        st.session_state[Shared.AREA] = st.session_state[Shared.AREA_PICK]

    chosen = st.sidebar.selectbox(
        label, codes, key=Shared.AREA_PICK, on_change=_sync, format_func=lambda c: f"{areas.get(c, c)} ({c})"
    )
    st.session_state[Shared.AREA] = chosen
    return chosen


def map_area_picker(fp: Fingerprint, areas: pd.DataFrame, clicked: list[dict]) -> str | None:
    """The map's area detail choice among ``areas`` (``code, name``), also set by a click on the map.

    Kept in ``Shared.AREA`` across pages; an area chosen at another level shows as its own area at
    this one (a kelurahan as its kecamatan). A click is applied once, not again on every rerun.
    """
    codes = areas["code"].tolist()
    names = dict(zip(areas["code"], areas["name"], strict=True))
    click = maps.selected_code(clicked, codes)
    if click and click != st.session_state.get(Map.LAST_CLICK):
        st.session_state[Shared.AREA] = click
    st.session_state[Map.LAST_CLICK] = click
    parents = load_areas(fp).set_index("code")["parent_code"].to_dict()
    ensure_default(Shared.AREA, [None, *parents], None)  # any area of the city; a link may name one
    st.session_state[Map.AREA_PICK] = maps.area_for_level(st.session_state.get(Shared.AREA), codes, parents)

    def _pick() -> None:
        st.session_state[Shared.AREA] = st.session_state[Map.AREA_PICK]

    return st.selectbox(
        "Rincian wilayah (atau klik wilayah di peta)",
        [None, *codes],
        format_func=lambda c: "— pilih wilayah —" if c is None else f"{names[c]} ({c})",
        key=Map.AREA_PICK,
        on_change=_pick,
    )


@dataclass(frozen=True)
class ScoreChoice:
    """The area and year a KLA page shows, chosen in the sidebar."""

    area: str
    area_label: str
    year: int
    years: list[int]  # every scored year of the area, oldest first
    scored_areas: list[str]  # the city first, then kecamatan, each with at least one scored year
    names: dict[str, str]  # code -> name for every area


def choose_scored_area_and_year(fp: Fingerprint, *, year_label: str = "Tahun penilaian") -> ScoreChoice:
    """Sidebar choice of an area with KLA scores (kept in ``Shared.AREA``) and one of its years.

    Stops the page with an Indonesian message when there are no scores at all.
    """
    city = load_meta(fp)["city_code"]
    areas = load_areas(fp)
    names = areas.set_index("code")["name"].to_dict()
    candidates = [city, *areas.loc[areas["level"] == "kecamatan", "code"].tolist()]
    scored = [c for c in candidates if not load_score_years(fp, c).empty]
    if not scored:
        fail_without_scores()
    area = area_picker(fp, scored)
    years = load_score_years(fp, area)["year"].tolist()
    year = year_picker(years, label=year_label)
    return ScoreChoice(
        area=area, area_label=names.get(area, area), year=year, years=years, scored_areas=scored, names=names
    )


@dataclass(frozen=True)
class Comparison:
    """What the Klaster radar sets beside the chosen scores: an area and a year."""

    area: str
    year: int


def comparison_picker(fp: Fingerprint, choice: ScoreChoice) -> Comparison | None:
    """Sidebar choice of another scored year of the area, or another area scored the same year.

    Defaults to the area's previous scored year; ``None`` means no comparison.
    """
    other_years = [Comparison(choice.area, y) for y in choice.years if y != choice.year]
    other_areas = [
        Comparison(c, choice.year)
        for c in choice.scored_areas
        if c != choice.area and choice.year in load_score_years(fp, c)["year"].tolist()
    ]
    options = [None, *other_years, *other_areas]

    def token(option: Comparison | None) -> str:
        """In the link: the year (same area), the area code (same year), or "tanpa"."""
        if option is None:
            return url.NO_COMPARISON
        return str(option.year) if option.area == choice.area else option.area

    ensure_default(Clusters.COMPARE, options, other_years[-1] if other_years else None, token=token)

    def label(option: Comparison | None) -> str:
        if option is None:
            return "tanpa pembanding"
        if option.area == choice.area:
            return f"tahun {option.year}"
        return choice.names.get(option.area, option.area)

    return st.sidebar.selectbox("Bandingkan dengan", options, key=Clusters.COMPARE, format_func=label)


def difficulty_settings(rulebook: Rulebook) -> dict[str, tuple[int, bool]]:
    """Difficulty (1-5) and lock per indicator, from an uploaded file and an editable table.

    Kept in ``Plan.SETTINGS`` for the whole session (also across pages): ``{code: (difficulty, locked)}``.
    """
    settings: dict = ensure_default(Plan.SETTINGS, None, {})
    with st.expander("Kesulitan (1 = mudah … 5 = sangat sulit) dan kunci per indikator", expanded=False):
        upload = st.file_uploader(
            "Unggah berkas kesulitan (CSV: kode_indikator,kesulitan; atau JSON)",
            type=["csv", "json"],
            key=Plan.UPLOAD,
        )
        if upload is not None:
            try:
                loaded = planner.parse_difficulty_bytes(upload.getvalue(), upload.name, rulebook)
            except KlaError as exc:
                st.warning(str(exc))
            else:
                for code, d in loaded.items():
                    settings[code] = (d, settings.get(code, (1, False))[1])
                # the editor starts again from the uploaded difficulties
                st.session_state.pop(Plan.BASE, None)
                st.session_state.pop(Plan.EDITOR, None)
                st.caption(f"Kesulitan dari {upload.name} dipakai untuk {len(loaded)} indikator.")
        # the editor's input frame stays the same while its edits live, else Streamlit re-applies them
        if Plan.BASE not in st.session_state or Plan.EDITOR not in st.session_state:
            st.session_state[Plan.BASE] = analysis.difficulty_frame(rulebook, settings)
        edited = st.data_editor(
            st.session_state[Plan.BASE],
            key=Plan.EDITOR,
            hide_index=True,
            width="stretch",
            disabled=["Kode", "No", "Indikator", "OPD"],
            column_config={
                "Kesulitan": st.column_config.NumberColumn(min_value=1, max_value=5, step=1, format="%d"),
                "Kunci": st.column_config.CheckboxColumn(help="tidak bisa diubah tahun ini"),
            },
        )
        settings.update(analysis.settings_from_frame(edited))
    return settings
