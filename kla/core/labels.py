"""Indonesian display names of the values stored with the published figures.

``published_figure`` keeps its source data as they are (indicator codes, units, English statuses,
source descriptions and notes, from ``data/published_figures.csv``); every page translates them at
display time through these tables: the Gizi Anak published-figures table
(:mod:`kla.views.published`), the peer source lists (:mod:`kla.views.peers`) and the Sumber Data
reliability chart (:mod:`kla.views.sources`). A value the tables do not know is shown as stored.
"""

from __future__ import annotations

from kla.core.suppression import is_missing

#: Display names of the stored indicator codes.
INDICATOR_LABELS = {
    "stunting_prevalence_survey": "Prevalensi stunting (survei)",
    "stunting_prevalence_routine": "Prevalensi stunting (data rutin)",
    "stunting_cases_routine": "Jumlah balita stunting (data rutin)",
    "severe_wasting_cases": "Jumlah kasus gizi buruk",
    "wasting_prevalence_survey": "Prevalensi wasting (survei)",
    "eppgbm_input_coverage": "Cakupan input e-PPGBM",
    "kla_category": "Kategori KLA",
    "kla_score": "Nilai KLA",
    "kla_category_count": "Jumlah penerima per kategori KLA",
}
UNIT_LABELS = {
    "percent": "persen",
    "children": "anak",
    "cases": "kasus",
    "category": "kategori",
    "people": "orang",
    "count": "jumlah",
    "points": "poin",
}
STATUS_LABELS = {
    "verified": "terverifikasi",
    "as quoted by Dinkes": "sesuai kutipan Dinkes",
    "as quoted": "sesuai kutipan",
    "conflict": "bertentangan",
}
#: Whole stored source descriptions -> Indonesian.
SOURCE_KIND_LABELS = {
    "KemenPPPA award": "penghargaan KemenPPPA",
    "KemenPPPA award 8 Aug 2025": "penghargaan KemenPPPA, 8 Agustus 2025",
    "statement before the 2025 award": "pernyataan sebelum pengumuman penghargaan 2025",
    "statement by the regency": "pernyataan pemerintah kabupaten",
    "e-PPGBM as reported": "e-PPGBM sesuai pemberitaan",
}
#: First word of any other source description -> Indonesian (the rest, names of surveys, stays).
_SOURCE_WORDS = {"survey": "survei", "routine": "rutin"}
#: Stored English notes -> Indonesian. A note not listed here is shown as stored, under
#: "Catatan (bahasa sumber)".
NOTE_LABELS = {
    "target 95 percent": "target 95 persen",
    "4 deaths": "4 kematian",
    "Kasemen 42": "Kasemen 42",
    "the article also says up to May 2022: 112 (ambiguous)": "artikel juga menyebut 112 sampai Mei 2022 (ambigu)",
    "headline says 65": "judul berita menyebut 65",
    "conflicts with the June 2021 figure of 2794": "bertentangan dengan angka Juni 2021 (2.794)",
    "the mayor quoted 2.6 percent": "wali kota menyebut 2,6 persen",
    "same month also quoted as 732; figure of 3 June 2024": "bulan yang sama juga dikutip 732; angka per 3 Juni 2024",
    "June/July 2024; e-PPGBM input coverage 56.68 percent": "Juni/Juli 2024; cakupan input e-PPGBM 56,68 persen",
    "denominator = balita in the kecamatan (not children measured)": (
        "penyebut = jumlah balita di kecamatan (bukan anak yang diukur)"
    ),
    "lowest; Cipocok Jaya not reported": "terendah; Cipocok Jaya tidak dilaporkan",
    "April 2025 by kecamatan, Cipocok Jaya not given; conflicts with other reports": (
        "April 2025 per kecamatan, Cipocok Jaya tidak disebut; bertentangan dengan laporan lain"
    ),
    "among children entered; input coverage 56.68 percent against a 95 percent target": (
        "di antara anak yang diinput; cakupan input 56,68 persen dari target 95 persen"
    ),
    "BKKBN Banten quoted 23.3": "BKKBN Banten menyebut 23,3",
    "only Banten kab/kota that rose": "satu-satunya kab/kota di Banten yang naik",
    "2022 article: kept the previous year's Nindya": "berita 2022: mempertahankan Nindya tahun sebelumnya",
    'May 2025: "sudah empat tahun terakhir predikat kota layak anak tipe madya"; the 2025 result itself not found': (
        'Mei 2025: "sudah empat tahun terakhir predikat kota layak anak tipe madya"; hasil 2025 sendiri belum ditemukan'
    ),
    '"sudah mendapatkan nilai 700" (May 2025, before the award)': (
        '"sudah mendapatkan nilai 700" (Mei 2025, sebelum penghargaan)'
    ),
    "355 kabupaten/kota awarded": "355 kabupaten/kota menerima penghargaan",
}


def _lookup(table: dict[str, str], value: object) -> str:
    if is_missing(value):
        return ""
    text = str(value)
    return table.get(text, table.get(text.strip(), text))


def indicator_label(code: object) -> str:
    return _lookup(INDICATOR_LABELS, code)


def unit_label(unit: object) -> str:
    return _lookup(UNIT_LABELS, unit)


def status_label(status: object) -> str:
    return _lookup(STATUS_LABELS, status)


def source_kind_label(kind: object) -> str:
    """``"survei SSGI 2022"`` from ``"survey SSGI 2022"``; unknown forms as stored."""
    if is_missing(kind):
        return ""
    text = str(kind).strip()
    if text in SOURCE_KIND_LABELS:
        return SOURCE_KIND_LABELS[text]
    first, _, rest = text.partition(" ")
    word = _SOURCE_WORDS.get(first.lower())
    return f"{word} {rest}".strip() if word else text


def note_label(note: object) -> str:
    """The Indonesian translation of a stored note; empty when the table does not know it."""
    if is_missing(note) or str(note).strip() not in NOTE_LABELS:
        return ""
    return NOTE_LABELS[str(note).strip()]
