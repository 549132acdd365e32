"""Streamlit glue: the ONLY module in ``kla/`` that imports streamlit.

Holds the cached connection (keyed on the database fingerprint, so a rebuilt file is picked
up without a restart), cached loaders, session-state keys and small shared widgets. Pages call
these and the pure builders in :mod:`kla.figures.charts`; they hold no SQL and no logic of their own.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from kla.core import config
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook
from kla.ingest import build
from kla.read import repository
from kla.read.db import connect_readonly, fingerprint

log = logging.getLogger("kla.ui")
Fingerprint = tuple[str, int, int]


class Keys:
    """Session-state and widget keys, in one place so pages and tests agree on them."""

    YEAR = "tahun"
    COMPARE_YEAR = "tahun_banding"
    AREA = "wilayah_terpilih"  # chosen area code; carried across pages
    # KLA analysis pages (issue 5)
    AREA_PICK = "wilayah_pilih_analisis"  # widget mirroring AREA on the analysis pages
    KLASTER_COMPARE = "klaster_banding"  # "tahun:2023" or "wilayah:36.73.01"
    PLAN_TARGET = "rencana_target"
    PLAN_EDITOR = "rencana_kesulitan_editor"
    PLAN_BASE = "rencana_kesulitan_dasar"  # the editor's input frame (kept so edits are not re-applied)
    PLAN_SETTINGS = "rencana_kesulitan"  # {code: (difficulty, locked)}, persisted for the session
    PLAN_UPLOAD = "rencana_unggah_kesulitan"
    WHATIF_PREFIX = "simulasi_poin_"  # + indicator code
    WHATIF_BASE = "simulasi_dasar"  # (year, area) the inputs were initialised from
    WHATIF_RESET = "simulasi_reset"
    WHATIF_USE_MEASURE = "simulasi_pakai_ukuran_"  # + measure code
    WHATIF_MEASURE = "simulasi_ukuran_"  # + measure code
    SCENARIO_NAME = "simulasi_nama_skenario"
    SCENARIO_SAVE = "simulasi_simpan"
    SCENARIO_PICK = "simulasi_banding_skenario"
    SCENARIO_NEW_NAME = "simulasi_nama_baru"
    SCENARIO_RENAME = "simulasi_ubah_nama"
    SCENARIO_DELETE_CONFIRM = "simulasi_yakin_hapus"
    SCENARIO_DELETE = "simulasi_hapus"
    SCENARIO_MESSAGE = "simulasi_pesan"  # (kind, text) shown once after a rename/delete
    OPD = "opd_terpilih"
    KEC_YEAR = "kecamatan_tahun"
    XWALK_AREA = "crosswalk_wilayah"
    XWALK_MEASURE = "crosswalk_ukuran"
    XWALK_VALUE = "crosswalk_nilai"


# Sidebar menu in Indonesian, with Material icons (bundled with Streamlit: no emoji font or CDN
# needed). Streamlit's own pages/ menu would label the entry page "app"
# (its file name), so it is switched off in .streamlit/config.toml and drawn here instead;
# the pages/ mechanism itself is unchanged (no st.navigation).
NAV: tuple[tuple[str, str, str], ...] = (
    ("app.py", "Ringkasan", ":material/dashboard:"),
    ("pages/1_Klaster.py", "Klaster KLA", ":material/radar:"),
    ("pages/2_Peta.py", "Peta wilayah", ":material/map:"),
    ("pages/3_Gizi_Anak.py", "Gizi anak", ":material/child_care:"),
    ("pages/4_Jalan_ke_Madya.py", "Jalan ke kategori berikut", ":material/route:"),
    ("pages/5_Simulasi.py", "Simulasi (what-if)", ":material/tune:"),
    ("pages/6_OPD.py", "Per OPD", ":material/apartment:"),
    ("pages/7_Kecamatan.py", "Per kecamatan", ":material/holiday_village:"),
    ("pages/8_Riwayat.py", "Riwayat", ":material/timeline:"),
    ("pages/9_Sumber_Data.py", "Sumber data", ":material/receipt_long:"),
)


def page_setup(title: str, icon: str = "📊") -> None:
    """First call of every page: config and the sidebar menu."""
    st.set_page_config(page_title=f"{title} · Dasbor KLA", page_icon=icon, layout="wide")
    st.session_state.setdefault(Keys.AREA, None)
    with st.sidebar:
        try:
            for path, label, nav_icon in NAV:
                st.page_link(path, label=label, icon=nav_icon)
        except StreamlitPageNotFoundError:
            log.info("page started on its own, not through app.py: no menu")
        st.divider()


def fail(message: str, *, hint: str | None = None) -> None:
    """Show a clear Indonesian message and stop the page (no traceback reaches the browser)."""
    st.error(message)
    if hint:
        st.info(hint)
    st.stop()


def _auto_build_enabled() -> bool:
    return os.environ.get("KLA_AUTO_BUILD", "1") != "0"


def database_fingerprint() -> Fingerprint:
    """Fingerprint of a usable database; builds it on first start, or stops with a message."""
    path = config.db_path()
    if not path.exists() and _auto_build_enabled():
        st.info(f"Basis data belum ada; sedang dibangun dari berkas kota di {config.city_dir()} (sekali saja).")
        bar = st.progress(0.0, text="Membangun basis data…")
        try:
            build.build(path, progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        except KlaError as exc:
            fail(f"Basis data gagal dibangun: {exc}", hint="Perbaiki berkas sumber lalu muat ulang halaman ini.")
        bar.empty()
    try:
        fp = fingerprint(path)
        _forget_replaced_database(fp)
        _connection(fp)
    except FileNotFoundError:
        fail(
            f"Basis data belum ada ({path.name}).",
            hint="Jalankan `make run` atau `python -m kla build`, lalu muat ulang halaman ini.",
        )
    except KlaError as exc:
        fail(str(exc), hint="Jalankan `python -m kla build`, lalu muat ulang halaman ini.")
    return fp


_last_fingerprint: list[Fingerprint] = []


def _forget_replaced_database(fp: Fingerprint) -> None:
    """Close the connection to a file the build has since replaced.

    DuckDB keeps one database instance per path and process, so a new ``connect`` to the same
    path would silently reuse the old instance (the old, replaced inode). Closing it first makes
    the next connect open the new file.
    """
    if _last_fingerprint and _last_fingerprint[0] != fp:
        _connection.clear()
    _last_fingerprint[:] = [fp]


def _close(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    except duckdb.Error:  # already closed
        log.debug("connection already closed")


@st.cache_resource(max_entries=1, on_release=_close)
def _connection(fp: Fingerprint) -> duckdb.DuckDBPyConnection:
    """One read-only connection per database file version."""
    return connect_readonly(Path(fp[0]))


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook(fp: Fingerprint) -> Rulebook:
    return repository.rulebook(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook_info(fp: Fingerprint) -> pd.DataFrame:
    """The active rulebook with its source's provenance (Sumber Data page)."""
    return repository.rulebook_info(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_meta(fp: Fingerprint) -> dict[str, str]:
    return repository.meta(_connection(fp))


@st.cache_data(max_entries=16, show_spinner=False)
def load_score_years(fp: Fingerprint, area: str) -> pd.DataFrame:
    return repository.score_years(_connection(fp), area=area)


@st.cache_data(max_entries=64, show_spinner=False)
def load_scores(fp: Fingerprint, year: int, area: str) -> pd.DataFrame:
    return repository.kla_scores(_connection(fp), year=year, area=area)


@st.cache_data(max_entries=16, show_spinner=False)
def load_published_stunting(fp: Fingerprint, area: str) -> pd.DataFrame:
    return repository.published_stunting(_connection(fp), area=area)


@st.cache_data(max_entries=4, show_spinner=False)
def load_provenance(fp: Fingerprint) -> pd.DataFrame:
    return repository.provenance(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_areas(fp: Fingerprint) -> pd.DataFrame:
    return repository.area_names(_connection(fp))


def sidebar_footer(fp: Fingerprint) -> None:
    """Data date and the sample-data warning, on every page."""
    meta = load_meta(fp)
    prov = load_provenance(fp)
    with st.sidebar:
        st.caption(f"{meta.get('city_name', '')} · basis data dibangun {meta.get('built_at', '?')} UTC")
        if (prov["kind"] == "sample").any():
            st.warning("Sebagian angka adalah **DATA CONTOH** (ilustratif), ditandai di setiap grafik.")
        rb = load_rulebook(fp)
        if not rb.weights_official:
            st.caption(f"Bobot indikator: **{rb.weights_label}** (bobot resmi belum publik).")


def plot(fig: object, key: str) -> None:
    """Render a figure with a high-resolution PNG download button in the modebar."""
    st.plotly_chart(
        fig,
        key=key,
        width="stretch",
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2, "filename": key}},
    )


# --------------------------------------------------------------------------- KLA analysis pages (issue 5)


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook_crosswalk(fp: Fingerprint) -> Rulebook:
    """The rulebook with its health crosswalk rules (planner, what-if and crosswalk page share it)."""
    from kla.read import analysis as analysis_data

    return analysis_data.rulebook_with_crosswalk(_connection(fp))


@st.cache_data(max_entries=8, show_spinner=False)
def load_area_scores(fp: Fingerprint, year: int) -> pd.DataFrame:
    from kla.read import analysis as analysis_data

    return analysis_data.area_scores(_connection(fp), year=year)


@st.cache_data(max_entries=16, show_spinner=False)
def load_area_totals(fp: Fingerprint, area: str) -> pd.DataFrame:
    from kla.read import analysis as analysis_data

    return analysis_data.area_totals(_connection(fp), area=area)


@st.cache_data(max_entries=16, show_spinner=False)
def load_published_all(fp: Fingerprint, area: str) -> pd.DataFrame:
    from kla.read import analysis as analysis_data

    return analysis_data.published(_connection(fp), area=area)


@st.cache_data(max_entries=4, show_spinner=False)
def load_measure_values(fp: Fingerprint) -> pd.DataFrame:
    from kla.read import analysis as analysis_data

    return analysis_data.measure_values(_connection(fp))


def scenarios_fingerprint() -> tuple[str, int, int]:
    """Cache key of the scenario store (``records/scenarios.json``): a save shows on the next run."""
    from kla.read import records

    return records.scenarios_fingerprint()


@st.cache_data(max_entries=4, show_spinner=False)
def load_scenarios(sfp: tuple[str, int, int]) -> pd.DataFrame:
    """Saved scenarios, read from their own store (not the database); ``sfp`` from :func:`scenarios_fingerprint`."""
    from kla.read import analysis as analysis_data

    return analysis_data.scenarios(Path(sfp[0]))


@st.cache_data(max_entries=16, show_spinner=False)
def load_scenario_points(sfp: tuple[str, int, int], name: str, year: int, area: str) -> dict[str, float]:
    from kla.read import analysis as analysis_data

    return analysis_data.scenario_points(Path(sfp[0]), name=name, year=year, area=area)


def area_picker(fp: Fingerprint, codes: list[str], *, label: str = "Wilayah") -> str:
    """Sidebar choice among ``codes`` (city first), kept in ``Keys.AREA`` across pages."""
    areas = load_areas(fp).set_index("code")["name"].to_dict()
    current = st.session_state.get(Keys.AREA)
    if current not in codes:
        current = codes[0]
    if st.session_state.get(Keys.AREA_PICK) not in codes or st.session_state.get(Keys.AREA_PICK) != current:
        st.session_state[Keys.AREA_PICK] = current

    def _sync() -> None:
        st.session_state[Keys.AREA] = st.session_state[Keys.AREA_PICK]

    chosen = st.sidebar.selectbox(
        label, codes, key=Keys.AREA_PICK, on_change=_sync, format_func=lambda c: f"{areas.get(c, c)} ({c})"
    )
    st.session_state[Keys.AREA] = chosen
    return chosen


@st.cache_data(max_entries=4, show_spinner=False)
def load_published_figures(fp: Fingerprint) -> pd.DataFrame:
    """Every published figure with its source URL (Sumber Data page)."""
    return repository.published_all(_connection(fp))


# --------------------------------------------------------------------------- Peta (issue 4: maps)


class MapKeys:
    """Widget and state keys of the Peta page (the chosen area itself is ``Keys.AREA``)."""

    MEASURE = "peta_ukuran"
    LEVEL = "peta_tingkat"
    MODE = "peta_tampilan"  # "nilai" | "perubahan"
    PERIOD = "peta_periode"
    PERIOD_FROM = "peta_periode_awal"
    AREA_PICK = "peta_wilayah_pilih"  # widget mirroring Keys.AREA on the map page
    CHART = "peta_choropleth"
    BAR = "peta_peringkat"
    LAST_CLICK = "peta_klik_terakhir"  # last processed map selection, so a rerun does not re-apply it


@st.cache_data(max_entries=4, show_spinner=False)
def load_boundary_levels(fp: Fingerprint) -> dict[str, int]:
    """``{level: count}`` of stored boundaries (empty: the page explains how to fetch them)."""
    from kla.read import boundaries as geostore

    return geostore.boundary_levels(_connection(fp))


@st.cache_resource(max_entries=4)
def load_boundaries(fp: Fingerprint, level: str) -> tuple[dict, pd.DataFrame]:
    """Parsed boundaries of one level: (GeoJSON FeatureCollection, ``code, name, parent_code``).

    ``cache_resource`` because the parsed GeoJSON is large and only ever read (never mutated);
    the fingerprint argument drops it when the database is rebuilt.
    """
    from kla.read import boundaries as geostore

    frame = geostore.load_boundaries(_connection(fp), level)
    return geostore.feature_collection(frame), frame[["code", "name", "parent_code"]].reset_index(drop=True)


@st.cache_data(max_entries=2, show_spinner=False)
def load_map_inputs(fp: Fingerprint) -> object:
    """Everything the map's measures are computed from (:class:`kla.views.maps.MapInputs`)."""
    from kla.read import mapdata
    from kla.views.maps import MapInputs

    con = _connection(fp)
    return MapInputs(mapdata.nutrition(con), mapdata.published(con), mapdata.kla_achievement(con))


def plot_selectable(fig: object, key: str) -> list[dict]:
    """Render a figure whose areas can be clicked; returns the selected points (may be empty)."""
    event = st.plotly_chart(
        fig,
        key=key,
        width="stretch",
        on_select="rerun",
        selection_mode="points",
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2, "filename": key}},
    )
    return list(getattr(getattr(event, "selection", None), "points", None) or [])


# --------------------------------------------------------------------------- child nutrition (issue 3)


class GiziKeys:
    """Widget keys of the Gizi Anak page."""

    SOURCE = "gizi_sumber"
    MEASURE = "gizi_ukuran"
    PERIOD = "gizi_bulan"
    AREA = "gizi_wilayah"
    UPLOAD_KIND = "gizi_impor_jenis"
    UPLOAD = "gizi_impor_berkas"
    UPLOAD_GO = "gizi_impor_mulai"
    UPLOAD_SHEET = "gizi_impor_lembar"
    UPLOAD_NONCE = "gizi_impor_ke"  # bumped after an import so the uploader starts empty
    UPLOAD_RESULT = "gizi_impor_hasil"  # outcome shown once after the rerun


@st.cache_data(max_entries=4, show_spinner=False)
def load_nutrition_agg(fp: Fingerprint) -> pd.DataFrame:
    """Routine nutrition figures per month and area with rates and Wilson CIs (small table)."""
    from kla.read import nutrition as nutrition_read

    return nutrition_read.agg_frame(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_nutrition_published(fp: Fingerprint) -> pd.DataFrame:
    """Published child-nutrition figures (survey and routine, labelled) with source URLs."""
    from kla.read import nutrition as nutrition_read

    return nutrition_read.published_frame(_connection(fp))


def _xlsx_sheets(data: bytes) -> list[str]:
    """Sheet names of an uploaded workbook (empty when it cannot be opened; the import says why)."""
    import io

    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - a broken workbook is reported by the import itself
        return []
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _run_import(kind: str, name: str, data: bytes, db: Path, sheet: str | None, bar) -> object:
    """Import an uploaded file; e-PPGBM straight from memory so no child's data touches the disk."""
    import tempfile

    from kla.ingest import nutrition

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)

    if kind == "eppgbm":
        return nutrition.import_eppgbm(data, db, name=name, sheet=sheet, progress=progress)
    # a recap sheet holds counts per area only (no personal data): a private temp copy is fine
    with tempfile.TemporaryDirectory(prefix="kla-rekap-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(data)
        return nutrition.import_rekap(path, db, progress=progress)


def nutrition_import_panel(fp: Fingerprint) -> None:
    """Upload an e-PPGBM export or a recap sheet and import it with a progress bar.

    Same build-then-swap import as the CLI. An e-PPGBM export is parsed from memory (names and
    NIKs never reach the disk). After a successful import the page reruns on the new database
    and shows the outcome; the uploader is emptied so the same file is not sent twice.
    """
    from kla.core.fmt import integer, number
    from kla.ingest import nutrition
    from kla.views import nutrition as nutrition_view

    done = st.session_state.pop(GiziKeys.UPLOAD_RESULT, None)
    with st.expander("Impor ekspor e-PPGBM atau rekap bulanan", expanded=done is not None):
        if done is not None:
            (st.success if done["ok"] else st.info)(done["text"])
            if done["problems"]:
                st.markdown("**Baris yang ditolak atau dicatat** (nomor baris dan kolom; isi sel tidak ditampilkan)")
                st.dataframe(pd.DataFrame(done["problems"]), hide_index=True, key="gizi_impor_masalah")
        kind = st.radio(
            "Jenis berkas",
            ["eppgbm", "rekap"],
            horizontal=True,
            key=GiziKeys.UPLOAD_KIND,
            format_func=nutrition_view.SOURCE_LABELS.get,
        )
        limit = int(st.get_option("server.maxUploadSize"))
        st.caption(
            f"CSV (pemisah ';') atau XLSX, maks. {limit} MB lewat halaman ini. Berkas lebih besar: "
            f"`python -m kla import {kind} BERKAS` di komputer ini. "
            + ("NIK disimpan hanya sebagai hash; nama dan alamat tidak disimpan." if kind == "eppgbm" else "")
        )
        nonce = st.session_state.get(GiziKeys.UPLOAD_NONCE, 0)
        up = st.file_uploader("Berkas", type=["csv", "xlsx"], key=f"{GiziKeys.UPLOAD}_{nonce}")
        if up is None:
            return
        data = up.getvalue()
        sheet = None
        if up.name.lower().endswith(".xlsx"):
            sheets = _xlsx_sheets(data)
            if len(sheets) > 1:
                sheet = st.selectbox("Lembar (sheet) yang berisi data", sheets, key=GiziKeys.UPLOAD_SHEET)
        if not st.button("Impor sekarang", key=GiziKeys.UPLOAD_GO):
            return
        bar = st.progress(0.0, text="Menyiapkan…")
        try:
            report = _run_import(kind, up.name, data, Path(fp[0]), sheet, bar)
        except KlaError as exc:
            bar.empty()
            other = "rekap" if kind == "eppgbm" else "eppgbm"
            hint = (
                f" Jika berkas ini {nutrition_view.SOURCE_LABELS[other]}, pilih jenis berkas itu di atas."
                if "kolom" in str(exc).lower()
                else ""
            )
            st.error(f"{exc}{hint}")
            return
        except Exception:  # noqa: BLE001 - never a traceback on screen; the database is unchanged by construction
            bar.empty()
            log.exception("impor %s gagal", kind)
            st.error(
                "Impor gagal karena kesalahan tak terduga; basis data tidak diubah. "
                "Coba lewat baris perintah untuk pesan lengkap: "
                f"`python -m kla import {kind} BERKAS`."
            )
            return
        bar.empty()
        if report.status == "already-imported":
            text = f"{report.file} sudah pernah diimpor (sha256 sama); tidak ada perubahan."
            ok = False
        else:
            text = (
                f"Diimpor {integer(report.rows_imported)} dari {integer(report.rows_total)} baris "
                f"({integer(report.rows_rejected)} ditolak) dalam {number(report.seconds, 1)} detik: {report.file}."
            )
            check = nutrition.export_zscore_check(report.stats or {})
            text += f" {check}" if check else ""
            ok = True
        st.session_state[GiziKeys.UPLOAD_RESULT] = {
            "ok": ok,
            "text": text,
            "problems": [{"baris": p.row, "kolom": p.column, "masalah": p.message} for p in report.problems[:500]],
        }
        st.session_state[GiziKeys.UPLOAD_NONCE] = nonce + 1  # a fresh, empty uploader
        st.cache_data.clear()
        st.rerun()


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
    """Sidebar choice of an area with KLA scores (kept in ``Keys.AREA``) and one of its years.

    Stops the page with an Indonesian message when there are no scores at all.
    """
    city = load_meta(fp)["city_code"]
    areas = load_areas(fp)
    names = areas.set_index("code")["name"].to_dict()
    candidates = [city, *areas.loc[areas["level"] == "kecamatan", "code"].tolist()]
    scored = [c for c in candidates if not load_score_years(fp, c).empty]
    if not scored:
        fail(
            "Belum ada nilai KLA di basis data.",
            hint="Impor dengan: python -m kla import kla-scores BERKAS --year TAHUN",
        )
    area = area_picker(fp, scored)
    years = load_score_years(fp, area)["year"].tolist()
    if st.session_state.get(Keys.YEAR) not in years:
        st.session_state[Keys.YEAR] = years[-1]
    year = st.sidebar.selectbox(year_label, years[::-1], key=Keys.YEAR)
    return ScoreChoice(
        area=area, area_label=names.get(area, area), year=year, years=years, scored_areas=scored, names=names
    )


# --------------------------------------------------------------------------- among its peers (issue 9 §7)


class PeerKeys:
    """Element keys of the "among its peers" section (Ringkasan adds a prefix so the two differ)."""

    MATRIX = "sejawat_kategori"
    SURVEY = "sejawat_stunting_survei"
    AWARDS = "sejawat_sebaran_nasional"
    TABLE = "_tabel"


@st.cache_data(max_entries=4, show_spinner=False)
def load_peer_figures(fp: Fingerprint) -> pd.DataFrame:
    """Published KLA categories, scores, survey stunting and award counts (:mod:`kla.views.peers` selects peers)."""
    from kla.views.peers import INDICATORS

    return repository.peer_figures(_connection(fp), INDICATORS)


def _source_list(table: pd.DataFrame, key: str) -> None:
    """The figures of one chart with their status and a link to each source."""
    st.dataframe(
        table,
        key=key,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 320),
        column_config={
            "Tautan": st.column_config.LinkColumn("Sumber (tautan)", display_text=r"https?://(?:www\.)?([^/]+)"),
            "Wilayah ini": st.column_config.CheckboxColumn("Wilayah ini", width="small"),
        },
    )


def peer_section(fp: Fingerprint, *, category_order: list[str], compact: bool) -> None:
    """The city among the kabupaten/kota of its province, and the national award distribution.

    Three figures, each followed by the list of its numbers with status and source link:
    KLA categories by year (dot matrix), survey stunting by kabupaten/kota (bars per year) and
    the national distribution of the latest awards. ``compact`` (Ringkasan): inside an
    expander, one tab per figure; otherwise (Riwayat) a full section.
    """
    from kla.core import fmt
    from kla.figures import charts
    from kla.figures import peers as peer_charts
    from kla.views import peers

    meta = load_meta(fp)
    city, city_name = meta["city_code"], meta["city_name"]
    published = load_peer_figures(fp)
    province = peers.province_name(published, city) or "provinsi yang sama"
    heading = f"Di antara kabupaten/kota di {province}"
    prefix = "ringkasan_" if compact else ""
    cells = peers.category_cells(published, city)
    areas = peers.peer_areas(published, city)
    survey = peers.survey_stunting(published, city)
    years = peers.comparison_years(survey)
    dist = peers.award_distribution(published, category_order=category_order)
    status_note = (
        "Status: **terverifikasi** = hasil penghargaan atau angka resmi yang dicek; **dikutip** = disebut "
        "pejabat atau berita (mis. sebelum penghargaan diumumkan), belum terverifikasi; **bertentangan** = "
        "sumber lain menyebut angka berbeda."
    )

    def matrix() -> None:
        if cells.empty:
            st.info(f"Belum ada kategori KLA terbitan untuk kabupaten/kota di {province}.")
            return
        table = peers.source_table(peers.rows_for(published, city, [peers.CATEGORY, peers.SCORE]))
        fig = peer_charts.peer_category_matrix(
            cells,
            areas,
            category_order=category_order,
            stamp=charts.Stamp(
                f"Kategori KLA kabupaten/kota di {province} per tahun",
                "angka terbitan (penghargaan KemenPPPA; pernyataan dikutip berita); URL per angka di tabel di bawah",
                str(int(cells["year"].max())),
                extra="lingkaran kosong = dikutip, belum terverifikasi; sel kosong = tidak ada angka terbitan",
            ),
        )
        plot(fig, key=prefix + PeerKeys.MATRIX)
        _source_list(table, prefix + PeerKeys.MATRIX + PeerKeys.TABLE)

    def survey_bars() -> None:
        if not years:
            st.info(f"Belum ada prevalensi stunting survei untuk dua kabupaten/kota atau lebih di {province}.")
            return
        prov = {y: (province, v) for y, v in peers.province_survey(published, city).items()}
        surveys = ", ".join(dict.fromkeys(survey.loc[survey["year"].isin(years), "survey"]))
        fig = peer_charts.peer_survey_bars(
            survey,
            years=years,
            province=prov,
            stamp=charts.Stamp(
                f"Prevalensi stunting balita per kabupaten/kota di {province} (survei)",
                f"angka terbitan survei {surveys}; URL per angka di tabel di bawah",
                str(max(years)),
                extra="hanya survei; data rutin e-PPGBM tidak dicampur",
            ),
        )
        plot(fig, key=prefix + PeerKeys.SURVEY)
        rows = peers.rows_for(published, city, [peers.SURVEY_STUNTING], years=years, with_province=True)
        _source_list(peers.source_table(rows), prefix + PeerKeys.SURVEY + PeerKeys.TABLE)
        st.caption(
            f"Tahun dengan angka survei untuk dua kabupaten/kota atau lebih. Seri survei {city_name} sendiri "
            "(termasuk tahun lain) ada di halaman Riwayat. Survei dan data rutin adalah pengukuran berbeda."
        )

    def awards() -> None:
        if dist is None:
            st.info("Belum ada sebaran kategori KLA nasional di angka terbitan.")
            return
        own = peers.verified_category(cells, dist.year)
        extra = f"penyebut: {fmt.integer(dist.denominator)} kabupaten/kota penerima" if dist.denominator else ""
        if not dist.adds_up:
            extra += f"; jumlah kategori {fmt.integer(dist.total)} ≠ penyebut"
        if dist.status != peers.VERIFIED:
            extra += f"; {peers.STATUS_WORDS[dist.status]}"
        fig = peer_charts.award_distribution_bar(
            dist.counts,
            denominator=dist.denominator,
            highlight=own,
            stamp=charts.Stamp(
                f"Sebaran kategori KLA {dist.year}, {dist.area_name}",
                f"angka terbitan ({peers.source_table(dist.row)['Sumber'].iloc[0]}); URL di tabel di bawah grafik",
                str(dist.year),
                extra=extra,
            ),
        )
        plot(fig, key=prefix + PeerKeys.AWARDS)
        _source_list(peers.source_table(dist.row), prefix + PeerKeys.AWARDS + PeerKeys.TABLE)
        st.caption(
            f"Kategori {city_name} {dist.year}: **{own}** (ditandai biru)."
            if own
            else f"Kategori resmi {city_name} untuk {dist.year} belum ada di angka terbitan."
        )

    parts = (
        ("Kategori KLA per tahun", matrix),
        ("Stunting (survei) per kabupaten/kota", survey_bars),
        ("Sebaran kategori nasional", awards),
    )
    if compact:
        with st.expander(heading):
            for tab, (_, draw) in zip(st.tabs([label for label, _ in parts]), parts, strict=True):
                with tab:
                    draw()
            st.caption(status_note)
        return
    st.header(heading)
    st.caption(status_note)
    for label, draw in parts:
        st.subheader(label)
        draw()
