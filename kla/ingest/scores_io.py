"""KLA self-assessment files: the template, and validation of a filled-in file.

Template columns (CSV or XLSX, header on row 1):

``rulebook, kode_indikator, nama_indikator, poin_maks, poin, status_bukti, catatan[, kode_wilayah]``

``rulebook`` names the rulebook the file was written for (``id@versi``, filled in by the template).
Indicator numbers differ between rulebooks (#13 is nutrition in KemenPPPA's list, #11 in an older
recalled one), so a file for another rulebook, or one that names none, is refused: it is never
mapped onto the active rulebook's numbers.

``nama_indikator`` and ``poin_maks`` are there to help the person filling it in and are ignored
on import. ``kode_wilayah`` is optional: empty means the whole city; a kecamatan code gives
Kecamatan Layak Anak scores.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from kla.core import fmt
from kla.core.errors import Problem, ValidationError
from kla.core.rulebook import Rulebook
from kla.ingest import filecheck
from kla.ingest.tabular import parse_number, read_table

EVIDENCE_STATUSES = ("lengkap", "sebagian", "belum")
REQUIRED = ("rulebook", "kode_indikator", "poin", "status_bukti")
COLUMN_ALIASES = {
    "indicator_code": "kode_indikator",
    "kode": "kode_indikator",
    "points": "poin",
    "nilai": "poin",
    "evidence_status": "status_bukti",
    "status": "status_bukti",
    "note": "catatan",
    "area_code": "kode_wilayah",
}


_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")
_SHORT_VALUE = re.compile(r"[0-9A-Za-z.,_+-]{1,20}")  # a code, number or status: no spaces


def _show(value: object, limit: int = 30) -> str:
    """A cell quoted in a message: escaped (:func:`kla.core.fmt.plain`), and only when short and
    shaped like a code, number or status; a long or NIK-like text is not shown."""
    t = "" if value is None else str(value).strip()
    if not t:
        return "(kosong)"
    if len(t) > limit or filecheck.long_number(t) or not _SHORT_VALUE.fullmatch(t):
        return "(isinya tidak ditampilkan)"
    return f"'{fmt.plain(t, limit)}'"


_RULEBOOK_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}@[A-Za-z0-9._-]{1,30}")


def _rulebook_key(value: str) -> str:
    """A rulebook key named by the file (``id@versi``) is shown as is when it has that shape, as
    the active key is (at worst a Markdown page makes it a mail link); anything else is hidden."""
    return value if _RULEBOOK_KEY.fullmatch(value) else "(isinya tidak ditampilkan)"


def _number(x: float) -> str:
    return f"{x:.3g}".replace(".", ",") if abs(x) >= 1e9 else fmt.number(x)


def template_frame(rulebook: Rulebook) -> pd.DataFrame:
    """An empty self-assessment sheet listing every indicator of the rulebook."""
    return pd.DataFrame(
        {
            "rulebook": [rulebook.key for _ in rulebook.indicators],
            "kode_indikator": [i.code for i in rulebook.indicators],
            "nama_indikator": [i.name for i in rulebook.indicators],
            "poin_maks": [i.max_points for i in rulebook.indicators],
            "poin": ["" for _ in rulebook.indicators],
            "status_bukti": ["" for _ in rulebook.indicators],
            "catatan": ["" for _ in rulebook.indicators],
            "kode_wilayah": ["" for _ in rulebook.indicators],
        }
    )


def write_template(rulebook: Rulebook, out: Path) -> Path:
    """Write the template as CSV or XLSX (by ``out``'s suffix)."""
    frame = template_frame(rulebook)
    if out.suffix.lower() == ".xlsx":
        frame.to_excel(out, index=False, sheet_name="penilaian_mandiri")
    else:
        frame.to_csv(out, index=False)
    return out


def file_rulebook_keys(path: Path) -> set[str]:
    """The rulebook keys a score file names (empty when it names none)."""
    table = read_table(path, expected=REQUIRED)
    if "rulebook" not in table.columns:
        return set()
    return {str(v).strip() for v in table["rulebook"] if str(v).strip()}


def parse_scores(path: Path, rulebook: Rulebook, *, year: int, city_code: str, known_areas: set[str]) -> pd.DataFrame:
    """Validate a self-assessment file and return rows ready for ``kla_score``.

    Every problem is collected (row and column named, in Indonesian) before raising, so a
    user fixes the file in one pass. Nothing is written here.

    Returns
    -------
    DataFrame with ``year, area_code, indicator_code, points, evidence_status, note``.
    """
    return parse_score_table(
        read_table(path, expected=REQUIRED),
        fmt.plain(path.name, 80),
        rulebook,
        year=year,
        city_code=city_code,
        known_areas=known_areas,
    )


def parse_score_table(
    table: pd.DataFrame, name: str, rulebook: Rulebook, *, year: int, city_code: str, known_areas: set[str]
) -> pd.DataFrame:
    """:func:`parse_scores` on a table already read (``name`` is used in messages)."""
    table = table.rename(columns={k: v for k, v in COLUMN_ALIASES.items() if k in table.columns})
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing == ["rulebook"]:
        raise ValidationError(
            f"Berkas {name} tidak menyebut rulebook yang dipakai (kolom 'rulebook'). Nomor indikator berbeda "
            f"antar-rulebook, jadi berkas tanpa rulebook tidak dibaca. Rulebook aktif: {rulebook.key}. Unduh "
            "templat baru (python -m kla template BERKAS) dan salin nilainya; tidak ada yang diubah.",
            [Problem(name, 1, "rulebook", "kolom wajib tidak ada")],
        )
    if missing:
        raise ValidationError(
            f"Berkas {name}: kolom wajib tidak ada: {', '.join(missing)}. "
            f"Gunakan templat (kolom: {', '.join(REQUIRED)}); tidak ada yang diubah.",
            [Problem(name, 1, c, "kolom wajib tidak ada") for c in missing],
        )
    named = sorted({str(v).strip() for v in table["rulebook"] if str(v).strip()})
    foreign = [_rulebook_key(k) for k in named if k != rulebook.key][:10]
    if foreign:
        raise ValidationError(
            f"Berkas {name} dibuat untuk rulebook {', '.join(foreign)}, sedangkan rulebook aktif {rulebook.key}. "
            "Nomor dan bobot indikator bisa berbeda, jadi nilainya tidak dipetakan otomatis. Isi ulang templat "
            "rulebook aktif (python -m kla template BERKAS); tidak ada yang diubah.",
            [Problem(name, None, "rulebook", f"rulebook {k} ≠ rulebook aktif {rulebook.key}") for k in foreign],
        )
    problems: list[Problem] = []
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for idx, rec in enumerate(table.to_dict("records")):
        line = idx + 2
        if not any(str(v).strip() for v in rec.values()):
            continue  # blank line at the end of a sheet
        code = str(rec.get("kode_indikator", "")).strip().upper()
        if not str(rec.get("rulebook", "")).strip():
            problems.append(Problem(name, line, "rulebook", f"kosong; isi dengan {rulebook.key}"))
        area = str(rec.get("kode_wilayah", "") or "").strip() or city_code
        if code not in rulebook.codes:
            problems.append(Problem(name, line, "kode_indikator", f"kode indikator {_show(code)} tidak dikenal"))
            continue
        if area not in known_areas:
            problems.append(Problem(name, line, "kode_wilayah", f"kode wilayah {_show(area)} tidak dikenal"))
            continue
        ind = rulebook.indicator(code)
        points = parse_number(rec.get("poin", ""))
        if points is None or not math.isfinite(points):
            problems.append(Problem(name, line, "poin", f"poin {_show(rec.get('poin', ''))} bukan angka"))
        elif points < 0:
            problems.append(Problem(name, line, "poin", f"poin {_number(points)} negatif"))
        elif points > ind.max_points + 1e-9:
            problems.append(
                Problem(
                    name,
                    line,
                    "poin",
                    f"poin {_number(points)} melebihi maksimum {fmt.number(ind.max_points)} untuk {code}",
                )
            )
        status = str(rec.get("status_bukti", "")).strip().lower()
        if status not in EVIDENCE_STATUSES:
            problems.append(
                Problem(
                    name,
                    line,
                    "status_bukti",
                    f"status {_show(status)} harus salah satu dari {', '.join(EVIDENCE_STATUSES)}",
                )
            )
        note = str(rec.get("catatan", "") or "")
        if _NIK_IN_TEXT.search(note) and any(filecheck.looks_like_nik(m) for m in _NIK_IN_TEXT.findall(note)):
            problems.append(
                Problem(
                    name,
                    line,
                    "catatan",
                    "berisi angka 16 digit seperti NIK; catatan tidak boleh memuat data pribadi (isinya tidak "
                    "ditampilkan)",
                )
            )
        key = (area, code)
        if key in seen:
            problems.append(Problem(name, line, "kode_indikator", f"{code} ganda (sudah ada di baris {seen[key]})"))
        seen[key] = line
        rows.append(
            {
                "year": year,
                "area_code": area,
                "indicator_code": code,
                "points": points,
                "evidence_status": status,
                "note": str(rec.get("catatan", "") or ""),
                "rulebook_key": rulebook.key,
            }
        )
    for area in sorted({a for a, _ in seen}):
        absent = [c for c in rulebook.codes if (area, c) not in seen]
        if absent:
            problems.append(
                Problem(name, None, "kode_indikator", f"wilayah {area}: indikator belum diisi: {', '.join(absent)}")
            )
    if not seen and not problems:
        problems.append(Problem(name, None, None, "tidak ada baris nilai"))
    if problems:
        raise ValidationError(
            f"Berkas nilai KLA {name} ditolak ({len(problems)} masalah); tidak ada yang diubah.", problems
        )
    return pd.DataFrame(rows)
