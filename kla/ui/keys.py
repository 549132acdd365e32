"""Every session-state and widget key, in one registry, and the one "default if missing" helper.

Pages and the other :mod:`kla.ui` modules name keys only through these classes (one per page,
plus :class:`Shared` for the state carried across pages); ``tests/test_ui_keys.py`` checks that no
page or ui module writes a key as a string literal and that no two keys share a value. The values
are the Indonesian names Streamlit shows in its URLs and error messages; tests may use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import streamlit as st

from kla.core import links as url


class Shared:
    """State carried across pages."""

    YEAR = "tahun"  # the scored year (Ringkasan, Klaster, OPD, Jalan, Simulasi)
    AREA = "wilayah_terpilih"  # chosen area code
    AREA_PICK = "wilayah_pilih_analisis"  # widget mirroring AREA on the KLA analysis pages


class Overview:
    """Ringkasan (app.py)."""

    RADAR = "radar_ringkasan"
    LOST_POINTS = "poin_hilang_ringkasan"
    SURVEY = "survei_stunting"


class Clusters:
    """Klaster."""

    COMPARE = "klaster_banding"  # a :class:`kla.ui.widgets.Comparison` or None
    RADAR = "klaster_radar"
    WATERFALL = "klaster_waterfall"
    GROUP_BARS = "klaster_bar_"  # + group code, see :func:`group_bars`


class Map:
    """Peta (the chosen area itself is ``Shared.AREA``)."""

    MEASURE = "peta_ukuran"
    LEVEL = "peta_tingkat"
    MODE = "peta_tampilan"  # "nilai" | "perubahan"
    PERIOD = "peta_periode"
    PERIOD_FROM = "peta_periode_awal"
    AREA_PICK = "peta_wilayah_pilih"  # widget mirroring Shared.AREA on the map page
    CHART = "peta_choropleth"
    BAR = "peta_peringkat"
    TREND = "peta_tren"
    LAST_CLICK = "peta_klik_terakhir"  # last processed map selection, so a rerun does not re-apply it


class Nutrition:
    """Gizi Anak (its import panel moved to Kelola Data: :class:`Manage`)."""

    SOURCE = "gizi_sumber"
    MEASURE = "gizi_ukuran"
    PERIOD = "gizi_bulan"
    AREA = "gizi_wilayah"
    RANK_LEVEL = "gizi_tingkat_peringkat"
    SURVEY = "gizi_survei"
    TREND = "gizi_tren"
    COVERAGE = "gizi_cakupan"
    RANKING = "gizi_peringkat"
    TABLE = "gizi_tabel"
    DOWNLOAD = "gizi_unduh"
    FLAGS = "gizi_mutu"
    PUBLISHED = "gizi_terbitan"


class Plan:
    """Jalan ke kategori berikut."""

    TARGET = "rencana_target"
    EDITOR = "rencana_kesulitan_editor"
    BASE = "rencana_kesulitan_dasar"  # the editor's input frame (kept so edits are not re-applied)
    SETTINGS = "rencana_kesulitan"  # {code: (difficulty, locked)}, persisted for the session
    UPLOAD = "rencana_unggah_kesulitan"
    RADAR = "rencana_radar"


class WhatIf:
    """Simulasi, with the saved scenarios."""

    POINTS = "simulasi_poin_"  # + indicator code, see :func:`whatif_points`
    BASE = "simulasi_dasar"  # (year, area) the inputs were initialised from
    RESET = "simulasi_reset"
    USE_MEASURE = "simulasi_pakai_ukuran_"  # + measure key, see :func:`whatif_use_measure`
    MEASURE = "simulasi_ukuran_"  # + measure key, see :func:`whatif_measure`
    RADAR = "simulasi_radar"
    SCENARIO_NAME = "simulasi_nama_skenario"
    SCENARIO_SAVE = "simulasi_simpan"
    SCENARIO_PICK = "simulasi_banding_skenario"
    SCENARIO_NEW_NAME = "simulasi_nama_baru"
    SCENARIO_RENAME = "simulasi_ubah_nama"
    SCENARIO_DELETE_CONFIRM = "simulasi_yakin_hapus"
    SCENARIO_DELETE = "simulasi_hapus"
    SCENARIO_MESSAGE = "simulasi_pesan"  # (kind, text) shown once after a rename/delete


class Opd:
    """Per OPD."""

    OPD = "opd_terpilih"
    DOWNLOAD = "opd_unduh"
    BAR = "opd_bar"


class Kecamatan:
    """Per kecamatan, with the health crosswalk."""

    YEAR = "kecamatan_tahun"
    HEATMAP = "kecamatan_heatmap"
    XWALK_AREA = "crosswalk_wilayah"
    XWALK_MEASURE = "crosswalk_ukuran"
    XWALK_VALUE = "crosswalk_nilai"
    XWALK_RULE = "crosswalk_aturan"


class History:
    """Riwayat."""

    TIMELINE = "riwayat_timeline"


class Sources:
    """Sumber Data."""

    STATUS = "status_sumber"


class Manage:
    """Kelola Data: the import panel, the sources and the audit log."""

    UPLOAD_KIND = "kelola_impor_jenis"
    UPLOAD = "kelola_impor_berkas_"  # + nonce, see :func:`uploader`
    UPLOAD_GO = "kelola_impor_mulai"
    UPLOAD_SHEET = "kelola_impor_lembar"
    UPLOAD_NONCE = "kelola_impor_ke"  # bumped after an import so the uploader starts empty
    UPLOAD_RESULT = "kelola_impor_hasil"  # outcome shown once after the rerun
    UPLOAD_PROBLEMS = "kelola_impor_masalah"
    PROBLEMS_CSV = "kelola_impor_masalah_unduh"
    YEAR = "kelola_impor_tahun"  # KLA score sheet: the assessed year
    ILLUSTRATIVE = "kelola_impor_bobot_ilustratif"  # rulebook: weights not yet official
    LEVEL = "kelola_impor_tingkat"  # boundary file: kecamatan | kelurahan
    CODE_FIELD = "kelola_impor_kolom_kode"
    NAME_FIELD = "kelola_impor_kolom_nama"
    PARENT_FIELD = "kelola_impor_kolom_induk"
    LAYER = "kelola_impor_lapisan"
    SOURCES = "kelola_sumber"
    AUDIT = "kelola_audit"


class Admin:
    """The admin gate, shared by Kelola Data and Simulasi."""

    PASSWORD = "admin_kata_sandi"  # noqa: S105 - a widget key, not a password; emptied by the login callback right after the check
    LOGIN = "admin_masuk"
    LOGOUT = "admin_keluar"
    UNTIL = "admin_sampai"  # UTC datetime the admin session ends (server-side only)
    MESSAGE = "admin_pesan"  # (kind, text) shown once after a login attempt


@dataclass(frozen=True)
class PeerKeys:
    """Element keys of one "among its peers" section (Ringkasan and Riwayat each draw one)."""

    matrix: str
    matrix_table: str
    survey: str
    survey_table: str
    awards: str
    awards_table: str


PEERS_OVERVIEW = PeerKeys(
    "ringkasan_sejawat_kategori",
    "ringkasan_sejawat_kategori_tabel",
    "ringkasan_sejawat_stunting_survei",
    "ringkasan_sejawat_stunting_survei_tabel",
    "ringkasan_sejawat_sebaran_nasional",
    "ringkasan_sejawat_sebaran_nasional_tabel",
)
PEERS_HISTORY = PeerKeys(
    "sejawat_kategori",
    "sejawat_kategori_tabel",
    "sejawat_stunting_survei",
    "sejawat_stunting_survei_tabel",
    "sejawat_sebaran_nasional",
    "sejawat_sebaran_nasional_tabel",
)


class Links:
    """The link that restores the view (:mod:`kla.ui.links`)."""

    SEEN = "tautan_terakhir"  # the query the URL holds after this session's last write
    PENDING = "tautan_masuk"  # values of a newly opened link, waiting for their selection this run
    WANT = "tautan_isi"  # {parameter: (token, is_default)} of this run's selections, written at its end
    NOTICES = "tautan_pesan"  # where this run's notices about refused link values go


PAGES = (
    Shared,
    Overview,
    Clusters,
    Map,
    Nutrition,
    Plan,
    WhatIf,
    Opd,
    Kecamatan,
    History,
    Sources,
    Links,
    Manage,
    Admin,
)

#: the URL parameter each selection is kept in (several keys share a name: one per page uses it)
URL_PARAMS: dict[str, str] = {
    Shared.YEAR: url.YEAR,
    Shared.AREA: url.AREA,
    Clusters.COMPARE: url.COMPARE,
    Map.MEASURE: url.MEASURE,
    Map.LEVEL: url.LEVEL,
    Map.MODE: url.MODE,
    Map.PERIOD: url.PERIOD,
    Map.PERIOD_FROM: url.PERIOD_FROM,
    Nutrition.SOURCE: url.SOURCE,
    Nutrition.MEASURE: url.MEASURE,
    Nutrition.PERIOD: url.PERIOD,
    Nutrition.AREA: url.AREA,
    Nutrition.RANK_LEVEL: url.LEVEL,
    Plan.TARGET: url.TARGET,
    Opd.OPD: url.OPD,
    Kecamatan.YEAR: url.YEAR,
    Kecamatan.XWALK_AREA: url.AREA,
    Kecamatan.XWALK_MEASURE: url.MEASURE,
    Kecamatan.XWALK_VALUE: url.VALUE,
    WhatIf.SCENARIO_PICK: url.SCENARIO,
}

# ----------------------------------------------------------------- keys made of a prefix and a code


def group_bars(group: str) -> str:
    return Clusters.GROUP_BARS + group


def uploader(nonce: int) -> str:
    return f"{Manage.UPLOAD}{nonce}"


def whatif_points(indicator: str) -> str:
    return WhatIf.POINTS + indicator


def whatif_use_measure(measure: str) -> str:
    return WhatIf.USE_MEASURE + measure


def whatif_measure(measure: str) -> str:
    return WhatIf.MEASURE + measure


def every_key() -> Iterator[tuple[str, str]]:
    """``(name, value)`` of every registered key and prefix (the uniqueness test walks these)."""
    for page in PAGES:
        for name, value in vars(page).items():
            if name.isupper():
                yield f"{page.__name__}.{name}", value
    for label, section in (("PEERS_OVERVIEW", PEERS_OVERVIEW), ("PEERS_HISTORY", PEERS_HISTORY)):
        for field in fields(section):
            yield f"{label}.{field.name}", getattr(section, field.name)


# ----------------------------------------------------------------- the one "default if missing" helper


#: set by :mod:`kla.ui.links` when imported (it imports this module, so it cannot be imported here):
#: ``hook(key, param, options, default, token, before)`` reads a newly opened link's value for
#: ``key`` (``before=True``) or notes the value in place for the URL (``before=False``)
LINK_HOOK: list[Callable[[str, str, Sequence[Any] | url.NumberRange, Any, url.Token, bool], None]] = []


def ensure_default(
    key: str,
    options: Sequence[Any] | url.NumberRange | None,
    default: Any,
    *,
    token: url.Token = url.default_token,
) -> Any:
    """Set ``st.session_state[key]`` to ``default`` when missing or no longer among ``options``.

    ``options=None`` accepts any value already there. Call it before the widget with that key is
    drawn (Streamlit refuses a change to a drawn widget's state). Returns the value now in place.

    A key with a URL parameter (:data:`URL_PARAMS`) and a list of ``options`` also takes its value
    from a newly opened link when that value is one of ``options`` (else the default, with a notice),
    and notes the value in place for the URL (written once per run by :func:`kla.ui.links.commit`);
    ``token`` is how an option is written there.
    """
    linked = key in URL_PARAMS and options is not None and bool(LINK_HOOK)
    if linked:
        LINK_HOOK[0](key, URL_PARAMS[key], options, default, token, True)
    if key not in st.session_state or (options is not None and st.session_state[key] not in options):
        st.session_state[key] = default
    if linked:
        LINK_HOOK[0](key, URL_PARAMS[key], options, default, token, False)
    return st.session_state[key]


# ----------------------------------------------------------------- PNG export and media pack (kla.ui.media)


class Export:
    """Per-chart "Unduh gambar" and the page's "Paket media" (:mod:`kla.ui.media`)."""

    REGISTRY = "ekspor_grafik_halaman"  # {chart key: (figure, ImageMeta)} of this page run
    PAGE = "ekspor_judul_halaman"  # the page title, for the media pack's file name
    PNG_CACHE = "ekspor_png_tersimpan"  # rendered PNG bytes by (chart key, aspect), with the figure's digest
    PACK_CACHE = "ekspor_paket_tersimpan"  # the last media pack by aspect, with the figures' digest
    PACK_ASPECT = "ekspor_paket_rasio"
    PACK_MAKE = "ekspor_paket_buat"
    PACK_DOWNLOAD = "ekspor_paket_unduh"
    PNG_ASPECT = "ekspor_png_rasio_"  # + chart key
    PNG_MAKE = "ekspor_png_buat_"  # + chart key
    PNG_DOWNLOAD = "ekspor_png_unduh_"  # + chart key
    PNG_MENU = "ekspor_png_menu_"  # + chart key

    @staticmethod
    def png_aspect(chart: str) -> str:
        return Export.PNG_ASPECT + chart

    @staticmethod
    def png_make(chart: str) -> str:
        return Export.PNG_MAKE + chart

    @staticmethod
    def png_download(chart: str) -> str:
        return Export.PNG_DOWNLOAD + chart

    @staticmethod
    def png_menu(chart: str) -> str:
        return Export.PNG_MENU + chart


PAGES = (*PAGES, Export)
