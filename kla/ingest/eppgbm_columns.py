"""What an e-PPGBM export ("data balita hasil pengukuran") holds: its columns, found by name.

Columns are found by name (case, spacing, punctuation and known variants tolerated, including the
misspelled ``Pukesmas``), never by position; see ``domain.md`` §6.2. :data:`PII` are the
identifying columns: the readers (:mod:`kla.ingest.eppgbm_csv`, :mod:`kla.ingest.eppgbm_xlsx`)
never read them, except the NIK, which is turned into an HMAC inside the scratch engine
(:mod:`kla.ingest.eppgbm_typed`).

Files made by :mod:`kla.ingest.sample_nutrition` carry :data:`SAMPLE_MARKER` in a ``Keterangan``
column on every row, so an import of one is recorded as DATA CONTOH.
"""

from __future__ import annotations

import re

import numpy as np

from kla.core import fmt
from kla.core.errors import Problem, ValidationError

#: If more than this share of data rows is rejected, the whole file is refused.
MAX_BAD_SHARE = 0.10
#: How many row numbers a file-level message lists as examples.
EXAMPLE_ROWS = 5
#: Written by kla/sample_nutrition.py in the ``Keterangan`` column of every row it generates.
SAMPLE_MARKER_COLUMN = "Keterangan"
SAMPLE_MARKER = "DATA CONTOH — dibuat oleh kla/sample_nutrition.py"
SAMPLE_PREFIX = "DATA CONTOH"

# canonical name -> accepted normalised header spellings (see _norm)
COLUMNS: dict[str, tuple[str, ...]] = {
    "nik": ("nik", "nikanak", "nikbalita", "noinduk", "nomorindukkependudukan"),
    "nama": ("nama", "namaanak", "namabalita"),
    "nama_ortu": ("namaortu", "namaorangtua", "namaibu", "namaayah", "ortu"),
    "alamat": ("alamat",),
    "rt": ("rt",),
    "rw": ("rw",),
    "jk": ("jk", "jeniskelamin", "sex", "lp"),
    "tgl_lahir": ("tgllahir", "tanggallahir", "tgllhr", "dob"),
    "kec": ("kec", "kecamatan"),
    "puskesmas": ("pukesmas", "puskesmas", "pkm"),
    "kel": ("desakel", "desakelurahan", "kelurahan", "desa", "kel", "kelurahandesa"),
    "posyandu": ("posyandu",),
    "usia": ("usiasaatukur", "usia", "umur", "umursaatukur"),
    "tgl_ukur": ("tanggalpengukuran", "tglpengukuran", "tglukur", "tanggalukur"),
    "berat": ("berat", "bb", "beratbadan", "beratkg", "bbkg"),
    "tinggi": ("tinggi", "tb", "tinggibadan", "pbtb", "tinggicm", "tbcm", "panjangtinggi"),
    "cara_ukur": ("caraukur", "posisi", "posisiukur"),
    "lila": ("lila", "lingkarlenganatas"),
    "zs_bbu": ("zsbbu", "zscorebbu", "zbbu"),
    "zs_tbu": ("zstbu", "zscoretbu", "ztbu"),
    "zs_bbtb": ("zsbbtb", "zscorebbtb", "zbbtb"),
    # free text: read only to recognise the DATA CONTOH marker, never stored or shown
    "keterangan": ("keterangan",),
}
PII = ("nik", "nama", "nama_ortu", "alamat", "rt", "rw")
#: The columns the readers read: everything recognised except the identifying ones, plus the NIK.
READ_COLUMNS = tuple(c for c in COLUMNS if c not in PII or c == "nik")
REQUIRED = ("jk", "tgl_ukur", "berat", "tinggi", "kec", "kel")
LABELS = {
    "jk": "JK",
    "tgl_lahir": "Tgl Lahir",
    "tgl_ukur": "Tanggal Pengukuran",
    "berat": "Berat",
    "tinggi": "Tinggi",
    "kec": "Kec",
    "kel": "Desa/Kel",
    "usia": "Usia Saat Ukur",
    "nik": "NIK",
    "cara_ukur": "Cara Ukur",
    "puskesmas": "Pukesmas",
}


def _norm(header: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header or "").strip().lower())


_LOOKUP = {alias: canon for canon, aliases in COLUMNS.items() for alias in aliases}


def is_known(header: object) -> bool:
    """True when ``header`` is a recognised e-PPGBM column name (so a message may name it)."""
    return _LOOKUP.get(_norm(header)) is not None


def map_columns(headers: list[str]) -> dict[str, int]:
    """Canonical column name -> position, by name. The first matching header wins."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        canon = _LOOKUP.get(_norm(h))
        if canon and canon not in found:
            found[canon] = i
    return found


def read_positions(found: dict[str, int]) -> list[int]:
    """Positions of the columns to read (:data:`READ_COLUMNS`): Nama, Nama Ortu, Alamat, RT and RW
    are never read."""
    return sorted(i for c, i in found.items() if c in READ_COLUMNS)


def require_columns(name: str, found: dict[str, int], headers: list[str]) -> None:
    """Refuse a file without one of the :data:`REQUIRED` columns, or without both birth date and age."""
    missing = [c for c in REQUIRED if c not in found]
    if "tgl_lahir" not in found and "usia" not in found:
        missing.append("tgl_lahir")
    if missing:
        names = ", ".join(LABELS.get(c, c) for c in missing)
        if len(found) >= 3:  # only recognised headers are named: a merged data row must not be echoed
            known = [LABELS.get(c, c) for c in sorted(found, key=found.get)]
            others = sum(1 for h in headers if h) - len(found)
            have = f"Kolom yang dikenali: {', '.join(known)}" + (f"; {others} kolom lain." if others else ".")
        else:  # probably not a header at all but a data row: its cells are never shown
            have = "Baris 1 tampaknya bukan judul kolom e-PPGBM (isinya tidak ditampilkan)."
        raise ValidationError(
            f"Berkas {name}: kolom wajib tidak ditemukan: {names}. {have} Tidak ada yang diubah.",
            [Problem(name, 1, LABELS.get(c, c), "kolom wajib tidak ada") for c in missing],
        )


def rows_text(rows: np.ndarray | list[int], total: int | None = None) -> str:
    """``"2, 5, 9, 11, 12 (dan 40 baris lain)"``: the first :data:`EXAMPLE_ROWS` row numbers."""
    shown = ", ".join(str(int(r)) for r in list(rows)[:EXAMPLE_ROWS])
    more = (total if total is not None else len(rows)) - min(len(rows), EXAMPLE_ROWS)
    return shown + (f" (dan {fmt.integer(more)} baris lain)" if more > 0 else "")
