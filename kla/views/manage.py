"""Kelola Data, shaped for the page: the kinds of upload, the validation report, the sources and the audit log.

Pure (no streamlit). Text from files reaches the page only through :func:`problem_frame` (cells of a
table, never Markdown) and its CSV (:func:`problems_csv`, with spreadsheet formulas defused).
The admin session's expiry is :func:`admin_session_valid`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from kla.core.errors import Problem

#: How long a correct admin password keeps the data-changing actions open in one browser session.
ADMIN_SESSION = timedelta(minutes=30)
#: Who the audit log names for an action taken on the page (there is one admin password, not accounts).
ADMIN_WHO = "admin"
#: Rows the problem table and its CSV hold at most (a refusal rarely has more; the rest are counted).
MAX_PROBLEM_ROWS = 2000


@dataclass(frozen=True)
class UploadKind:
    """One kind of file the page imports, with the CLI command that does the same."""

    key: str
    label: str
    types: tuple[str, ...]  # file extensions the uploader accepts
    command: str  # the CLI equivalent, for files larger than the upload limit
    help: str


KINDS: tuple[UploadKind, ...] = (
    UploadKind(
        "eppgbm",
        "Ekspor e-PPGBM (pengukuran per anak)",
        ("csv", "xlsx"),
        "python -m kla import eppgbm BERKAS",
        "CSV (pemisah ';') atau XLSX dari e-PPGBM. Dibaca dari memori, tidak pernah ditulis ke disk; "
        "NIK disimpan hanya sebagai hash, nama dan alamat tidak disimpan.",
    ),
    UploadKind(
        "rekap",
        "Rekap bulanan gizi (jumlah per wilayah)",
        ("csv", "xlsx"),
        "python -m kla import rekap BERKAS",
        "Satu baris per bulan dan wilayah: sasaran, diukur, pendek, sangat pendek, gizi kurang, …",
    ),
    UploadKind(
        "kla-scores",
        "Nilai KLA (penilaian mandiri, dari templat)",
        ("csv", "xlsx"),
        "python -m kla import kla-scores BERKAS --year TAHUN",
        "Templat dari `python -m kla template BERKAS`: satu baris per indikator, rulebook aktif.",
    ),
    UploadKind(
        "rulebook",
        "Lembar evaluasi KLA resmi (rulebook)",
        ("xlsx", "xlsm", "csv", "toml"),
        "python -m kla import rulebook BERKAS",
        "Menjadi rulebook aktif dan basis data dibangun ulang; data impor lain dibawa.",
    ),
    UploadKind(
        "boundary",
        "Batas wilayah (peta)",
        ("geojson", "json", "gpkg", "zip"),
        "python -m kla geo import BERKAS --level TINGKAT",
        "GeoJSON, GeoPackage atau Shapefile dalam .zip; kode Kemendagri atau nama wilayah per fitur.",
    ),
)
KIND_BY_KEY: dict[str, UploadKind] = {k.key: k for k in KINDS}

# ----------------------------------------------------------------------------- text from files

# the backslashes kla.core.fmt.plain puts before Markdown syntax: a table cell is plain text already
_PLAIN_ESCAPE = re.compile(r"\\([\\`*_\[\]<>#!|~$@/.])")
_CONTROL = {c: " " for c in range(32)} | {127: " ", 0x2028: " ", 0x2029: " "}


def as_text(value: object, limit: int = 300) -> str:
    """A value for a table cell or a CSV field: one line, ``fmt.plain``'s escapes undone, cut to ``limit``.

    A table cell is never rendered as Markdown, so the escapes would only show as backslashes.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    s = _PLAIN_ESCAPE.sub(r"\1", str(value)).translate(_CONTROL).strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


#: (pattern in a problem's message, how to fix it): the first match wins.
_FIXES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), fix)
    for p, fix in (
        (
            r"tampak seperti (nik|nama)|kolom berisi",
            "Kolom ini berisi data pribadi atau judulnya tertukar. "
            "Periksa urutan judul kolom di baris 1, lalu ekspor ulang dari sumbernya.",
        ),
        (
            r"kolom wajib tidak|kolom pasangan tidak",
            "Tambahkan kolom ini di baris judul (baris 1) atau perbaiki "
            "ejaan judulnya; pakai templat atau ekspor asli.",
        ),
        (r"pemisah", "Simpan ulang sebagai CSV dengan pemisah titik koma (;), atau unggah XLSX."),
        (r"kutip", 'Tutup tanda kutip (") di sel itu atau hapus tanda kutipnya, lalu simpan ulang.'),
        (
            r"akhir baris cr|pengodean|utf|bukan teks|biner",
            "Buka di Excel lalu Simpan Sebagai 'CSV UTF-8 (Comma delimited)'.",
        ),
        (r"\.xls lama|xlsx dengan ekstensi", "Simpan ulang sebagai .xlsx atau CSV UTF-8 dengan ekstensi yang benar."),
        (
            r"jumlah kolom|di luar kolom berjudul|sel gabungan",
            "Samakan jumlah sel di baris itu dengan judul kolom; hapus sel gabungan dan isi di luar tabel.",
        ),
        (
            r"terlalu (besar|banyak|panjang)|batas|rentang terpakai",
            "Pecah berkasnya atau hapus baris/kolom/sel "
            "kosong yang berlebih (Ctrl+End di Excel menunjukkan sel terakhir yang terpakai).",
        ),
        (
            r"tidak dikenal|tidak ada\b|tidak ditemukan",
            "Periksa ejaan nama/kode; harus sesuai daftar wilayah atau indikator di basis data.",
        ),
        (r"ganda", "Hapus atau gabungkan baris yang ganda."),
        (
            r"bukan angka|bukan bilangan|negatif|di luar rentang|melebihi|tak masuk akal",
            "Periksa angka di sel itu (satuan, koma desimal, salah ketik) pada data sumber, lalu ekspor ulang.",
        ),
        (
            r"tanggal|periode|bulan",
            "Tulis tanggal atau bulan dalam bentuk yang dikenali, mis. 2024-06 atau 15/06/2024.",
        ),
        (r"kosong|wajib diisi", "Isi sel yang kosong itu, atau hapus barisnya bila memang tidak dipakai."),
        (r"rulebook", "Isi ulang templat rulebook aktif (`python -m kla template BERKAS`)."),
    )
)
GENERIC_FIX = "Perbaiki sel di baris dan kolom itu pada berkas asli, lalu unggah ulang."


def fix_hint(message: str) -> str:
    """How to fix a problem, from its message (Indonesian); a general hint when no rule matches."""
    for pattern, fix in _FIXES:
        if pattern.search(message or ""):
            return fix
    return GENERIC_FIX


PROBLEM_COLUMNS = ["Baris", "Kolom", "Nilai", "Masalah", "Cara memperbaiki"]


def problem_frame(problems: Iterable[Problem], limit: int = MAX_PROBLEM_ROWS) -> pd.DataFrame:
    """The validation report: one row per problem with :data:`PROBLEM_COLUMNS`, as plain text.

    ``Nilai`` is the cell only when the importer attached one that is safe to show (a ``value``
    on the problem); importers leave it out for columns that could hold personal data, so it is
    mostly "(tidak ditampilkan)". ``Baris`` is the spreadsheet row (header = 1), blank for the file.
    """
    rows = []
    for p in list(problems)[:limit]:
        value = getattr(p, "value", None)
        rows.append(
            {
                "Baris": "" if p.row is None else str(int(p.row)),
                "Kolom": as_text(p.column, 80),
                "Nilai": as_text(value, 80) if value not in (None, "") else "(tidak ditampilkan)",
                "Masalah": as_text(p.message),
                "Cara memperbaiki": fix_hint(as_text(p.message)),
            }
        )
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defused(text: object) -> object:
    """A CSV field a spreadsheet will not run: a leading ``= + - @`` gets an apostrophe in front."""
    return "'" + text if isinstance(text, str) and text.startswith(_FORMULA_START) else text


def problems_csv(frame: pd.DataFrame) -> bytes:
    """The validation report as CSV (``;``, UTF-8 with BOM so Excel reads it), formulas defused."""
    safe = frame.map(_defused) if not frame.empty else frame
    return safe.to_csv(index=False, sep=";").encode("utf-8-sig")


# ----------------------------------------------------------------------------- sources and audit

KIND_LABELS = {"reference": "referensi", "published": "terbitan", "imported": "impor", "sample": "DATA CONTOH"}
TABLE_LABELS = {
    "measurement": "e-PPGBM",
    "rekap": "rekap bulanan",
    "kla_score": "nilai KLA",
    "kla_indicator": "rulebook",
    "boundary": "batas wilayah",
    "nutrition_base": "gizi (agregat)",
    "wilayah": "wilayah",
    "published_figure": "angka terbitan",
}
SOURCE_COLUMNS = ["Jenis", "Isi", "Berkas", "sha256", "Baris", "Diimpor oleh", "Waktu (UTC)"]


def importers_by_sha(entries: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """sha256 → who imported that file on the page (``import`` entries of the audit log, latest wins)."""
    return {
        str(e["sha256"]): str(e.get("who") or "") for e in entries if e.get("action") == "import" and e.get("sha256")
    }


def sources_frame(provenance: pd.DataFrame, importers: Mapping[str, str]) -> pd.DataFrame:
    """Every source in the store with :data:`SOURCE_COLUMNS`, newest first.

    ``Diimpor oleh``: the audit log's ``who`` for an upload on this page; "baris perintah / build"
    for the other imports; "bawaan repo" for shipped reference and sample files.
    """
    if provenance.empty:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    out = provenance.sort_values(["built_at", "source_id"], ascending=False)

    def who(row: pd.Series) -> str:
        if row["sha256"] in importers:
            return importers[row["sha256"]]
        return "baris perintah / build" if row["kind"] == "imported" else "bawaan repo"

    return pd.DataFrame(
        {
            "Jenis": out["kind"].map(KIND_LABELS).fillna(out["kind"]).astype(str),
            "Isi": out["table_name"].map(TABLE_LABELS).fillna(out["table_name"]).astype(str),
            "Berkas": [as_text(p, 120) for p in out["path"]],
            "sha256": out["sha256"].fillna("").astype(str),
            "Baris": out["rows"].astype("Int64"),
            "Diimpor oleh": [who(r) for _, r in out.iterrows()],
            "Waktu (UTC)": out["built_at"].astype(str).str[:19],
        }
    ).reset_index(drop=True)


ACTION_LABELS = {
    "import": "impor",
    "rollback": "rollback",
    "scenario_save": "skenario disimpan",
    "scenario_rename": "skenario diganti nama",
    "scenario_delete": "skenario dihapus",
    "rulebook": "rulebook",
    "login_failed": "kata sandi salah",
    "login_ok": "masuk sebagai admin",
}
AUDIT_COLUMNS = ["Waktu (UTC)", "Oleh", "Tindakan", "Keterangan", "sha256"]


def audit_frame(entries: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Audit entries, newest first, with :data:`AUDIT_COLUMNS` (the log holds no personal data)."""
    rows = [
        {
            "Waktu (UTC)": as_text(e.get("time"), 30).replace("T", " ").rstrip("Z")[:19],
            "Oleh": as_text(e.get("who"), 60),
            "Tindakan": ACTION_LABELS.get(str(e.get("action")), as_text(e.get("action"), 40)),
            "Keterangan": as_text(e.get("what"), 200),
            "sha256": as_text(e.get("sha256"), 64),
        }
        for e in entries
    ]
    return pd.DataFrame(rows[::-1], columns=AUDIT_COLUMNS)


# ----------------------------------------------------------------------------- admin session


def admin_session_valid(expires_at: object, now: datetime) -> bool:
    """Whether an admin session that ends at ``expires_at`` (a datetime, or None) is still open at ``now``."""
    return isinstance(expires_at, datetime) and now < expires_at


def import_summary(kind: str, file: str, outcome: str) -> str:
    """The ``what`` of an import's audit entry: kind, file name and outcome (no cell of the file)."""
    label = KIND_BY_KEY[kind].label if kind in KIND_BY_KEY else kind
    return f"{label}: {file} — {outcome}"
