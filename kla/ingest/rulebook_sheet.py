"""Reading the city's official KLA evaluation sheet: header, columns, cells, indicator rows.

Used by :mod:`kla.ingest.rulebook_import` (``python -m kla import rulebook``), which checks the
rows read here and turns them into the rulebook.

The sheet, as DP3AKB would type it
----------------------------------
XLSX (one sheet, or ``--sheet``), CSV (``;``, ``,`` or tab; UTF-8 or Windows-1252, as Excel saves
it) or a rulebook TOML. The header row may sit on any of the first :data:`HEADER_SEARCH_ROWS` rows
(title rows above it are normal). Columns, matched ignoring case, spaces and punctuation:

========================  ===========================================================
``nomor`` (wajib)         ``No``, ``Nomor``, ``No Indikator`` … — the KemenPPPA number 1–24
``indikator`` (wajib)     ``Indikator``, ``Nama Indikator``, ``Uraian Indikator`` …
``klaster`` (wajib)       ``Klaster``, ``Cluster``, ``Kelompok`` — ``Kelembagaan``, ``Klaster I``,
                          ``I``, ``1``, ``Klaster 1``, ``K1``, or the cluster's title
``poin maksimal`` (wajib) ``Poin Maksimal``, ``Nilai Maksimal``, ``Skor Maksimal``, ``Bobot`` …
``tingkat poin``          ``Tingkat Poin``, ``Levels``, ``Pilihan Nilai`` … — ``0; 10; 20; 30``
``OPD``, ``sumber``,      optional; OPD defaults to the active rulebook's OPD for that number
``status``
========================  ===========================================================

Levels are separated by ``;`` and may use the Indonesian decimal comma (``0; 12,5; 25``). Without
any ``;`` in the cell, a comma followed by a space also separates (``0, 10, 20``); a comma between
digits is always a decimal comma. Empty: quarters of the maximum.

Rows without a number and without a maximum (cluster headings, notes) and a ``Jumlah``/``Total``
row are skipped (a ``Jumlah`` row's number is kept: it must equal the sum of the maxima). Merged cells on or
below the header row and formulas in the cells that are read are refused, naming the cell
(a formula's cached value may be stale). A rulebook TOML is read by
:func:`kla.ingest.rulebook_import.rulebook_from_toml`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kla.core.errors import Problem, ValidationError
from kla.core.rulebook import Rulebook
from kla.ingest import filecheck
from kla.ingest.tabular import decode_text, norm_col, parse_number

#: The header row is looked for on the first this-many rows.
HEADER_SEARCH_ROWS = 10
#: Normalised header (``kla.ingest.tabular.norm_col``) → field. A header matches when it, or its text
#: without a trailing ``(…)``, is one of these.
COLUMNS: dict[str, tuple[str, ...]] = {
    "nomor": ("no", "nomor", "no_urut", "nomor_urut", "nomor_indikator", "no_indikator", "number"),
    "indikator": ("indikator", "nama_indikator", "uraian_indikator", "indikator_kla", "uraian", "name"),
    "klaster": ("klaster", "kluster", "cluster", "kelompok", "klaster_kla", "group"),
    "poin_maksimal": (
        "poin_maksimal",
        "poin_maksimum",
        "poin_maks",
        "poin_max",
        "nilai_maksimal",
        "nilai_maksimum",
        "nilai_maks",
        "nilai_max",
        "skor_maksimal",
        "skor_maksimum",
        "skor_maks",
        "bobot",
        "bobot_nilai",
        "bobot_indikator",
        "max_points",
    ),
    "levels": (
        "levels",
        "tingkat",
        "tingkat_poin",
        "tingkat_nilai",
        "pilihan_nilai",
        "pilihan_poin",
        "jenjang_nilai",
        "skala_nilai",
    ),
    "opd": ("opd", "perangkat_daerah", "opd_penanggung_jawab", "opd_pengampu", "penanggung_jawab", "pengampu"),
    "sumber": ("sumber", "sumber_url", "source_url", "url", "tautan"),
    "status": ("status", "status_verifikasi"),
}
REQUIRED = ("nomor", "indikator", "klaster", "poin_maksimal")
#: How the required columns are named in messages.
LABELS = {"nomor": "nomor", "indikator": "indikator", "klaster": "klaster", "poin_maksimal": "poin maksimal"}
_TOTAL_WORDS = ("jumlah", "total", "sub total", "subtotal")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


@dataclass(frozen=True)
class Cell:
    """One cell as read: its value (str, int, float or None), its address, and whether it is a formula."""

    value: object
    ref: str
    formula: bool = False

    @property
    def text(self) -> str:
        v = self.value
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    def number(self) -> float | None:
        v = self.value
        if isinstance(v, bool):
            return None
        if isinstance(v, int | float):
            return float(v)
        return parse_number(self.text)


@dataclass
class Sheet:
    """A rectangular grid of cells from one XLSX sheet or CSV file (row 1 = first row)."""

    name: str  # file name, for messages
    rows: list[list[Cell]]
    merged: list[tuple[str, int, int]] = field(default_factory=list)  # (range, first row, last row)
    notes: list[str] = field(default_factory=list)
    kind: str = "xlsx"  # "xlsx" | "csv"


# --------------------------------------------------------------------------- reading


def _col_letter(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def read_xlsx(path: Path, *, sheet: str | None = None) -> Sheet:
    """Read one worksheet with formulas as written (``data_only=False``) and its merged ranges."""
    import openpyxl  # lazy: only XLSX needs it

    try:
        wb = openpyxl.load_workbook(path, data_only=False)  # not read_only: merged ranges need the full model
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError(f"{filecheck.xlsx_unreadable(path.name, exc)}; tidak ada yang diubah.") from exc
    names = wb.sheetnames
    if sheet is not None and sheet not in names:
        raise ValidationError(
            f"Berkas {path.name} tidak punya sheet '{sheet}' (ada: {', '.join(names)}); tidak ada yang diubah."
        )
    candidates = [sheet] if sheet else names
    sheets = []
    for name in candidates:
        ws = wb[name]
        rows = [
            [Cell(c.value, c.coordinate, c.data_type == "f") for c in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)
        ]
        merged = [(str(r.coord), r.min_row, r.max_row) for r in ws.merged_cells.ranges]
        sheets.append(Sheet(path.name, rows, merged, kind="xlsx"))
    if len(sheets) == 1:
        return sheets[0]
    with_header = [(n, s) for n, s in zip(candidates, sheets, strict=True) if find_header(s) is not None]
    if len(with_header) == 1:
        found = with_header[0][1]
        found.notes.append(f"sheet '{with_header[0][0]}' dipakai (satu-satunya yang punya baris judul kolom)")
        return found
    if not with_header:
        return sheets[0]  # "no header" is reported on the first sheet
    raise ValidationError(
        f"Berkas {path.name}: beberapa sheet berisi tabel indikator ({', '.join(n for n, _ in with_header)}); "
        "pilih satu dengan --sheet NAMA; tidak ada yang diubah."
    )


def read_csv(path: Path) -> Sheet:
    """Read a CSV whose delimiter (``;``, ``,`` or tab) is the one under which a header row is found."""
    text, encoding = decode_text(path.read_bytes(), path.name, windows_1252=True)
    best: Sheet | None = None
    best_score = -1
    for delimiter in (";", ",", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as exc:
            raise ValidationError(f"Berkas {path.name}: CSV rusak ({exc}); tidak ada yang diubah.") from exc
        sheet = Sheet(
            path.name,
            [[Cell(v, f"{_col_letter(c)}{r + 1}") for c, v in enumerate(row)] for r, row in enumerate(rows)],
            kind="csv",
        )
        found = find_header(sheet)
        score = len(found[1]) if found else 0
        if score > best_score:
            best, best_score = sheet, score
    assert best is not None
    if encoding != "UTF-8":
        best.notes.append(f"{path.name} dibaca sebagai teks {encoding} (CSV dari Excel)")
    return best


def header_field(text: str) -> str | None:
    """The field a header cell names (``"Poin Maksimal"`` → ``"poin_maksimal"``), or None."""
    for candidate in (norm_col(text), norm_col(re.sub(r"\(.*?\)\s*$", "", str(text)))):
        for name, synonyms in COLUMNS.items():
            if candidate in synonyms:
                return name
    return None


def find_header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """``(row index, {field: column index})`` of the first of the top rows naming every required column."""
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for c, cell in enumerate(row):
            name = header_field(cell.text)
            if name and name not in found:
                found[name] = c
        if all(f in found for f in REQUIRED):
            return r, found
    return None


def _best_partial_header(sheet: Sheet) -> tuple[int, set[str]]:
    best = (0, set())
    for r, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        got = {header_field(c.text) for c in row} & set(REQUIRED)
        if len(got) > len(best[1]):
            best = (r, got)
    return best


# --------------------------------------------------------------------------- values


def cluster_code(text: str, groups: Iterable[object] = ()) -> str | None:
    """Map a cluster cell to a group code: ``"Kelembagaan"`` → ``"KL"``, ``"Klaster III"``/``"3"`` → ``"K3"``.

    Also accepts the codes themselves (``KL``, ``K1``…) and a cluster's title (``groups``:
    :class:`kla.core.rulebook.Group`). Returns None for anything else.
    """
    t = " ".join(str(text).strip().lower().replace("_", " ").split())
    if not t:
        return None
    if t == "kl" or t.startswith("kelembagaan"):
        return "KL"
    m = re.fullmatch(r"(?:klaster|kluster|cluster|k)?\s*([ivx]+|\d+)(?:[\s.:)\-–—]+.*)?", t)
    if m:
        token = m.group(1)
        n = int(token) if token.isdigit() else _ROMAN.get(token)
        return f"K{n}" if n is not None and 1 <= n <= 5 else None
    for g in groups:
        if t in (str(g.title).lower(), str(g.label).lower()):  # type: ignore[attr-defined]
            return str(g.code)  # type: ignore[attr-defined]
    return None


def parse_levels(text: str) -> list[float] | None:
    """``"0; 12,5; 25"`` or ``"0, 10, 20"`` → numbers; None when a part is not a number.

    ``;`` separates; without any ``;`` a comma followed by a space separates too. A comma between
    digits is a decimal comma.
    """
    t = str(text).strip()
    parts = t.split(";") if ";" in t else re.split(r",\s+", t)
    out = []
    for part in parts:
        if not part.strip():
            continue
        n = parse_number(part)
        if n is None:
            return None
        out.append(n)
    return out


def _int_number(cell: Cell) -> int | None:
    v = cell.value
    if isinstance(v, int | float) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() else None
    m = re.fullmatch(r"(?i)I?0*(\d+)\.?", cell.text)
    return int(m.group(1)) if m else None


def clean_number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 6)


# --------------------------------------------------------------------------- sheet → raw rulebook


@dataclass
class SheetRows:
    """The indicator specs read from a sheet, with the sheet row of each (for messages)."""

    specs: list[dict]
    sheet_rows: list[int]
    headers: dict[str, str]  # field → header text as written
    problems: list[Problem]
    total_row: tuple[int, float] | None = None


def sheet_indicators(sheet: Sheet, active: Rulebook, *, official: bool) -> SheetRows:
    """Read the indicator rows under the header; collect every cell-level problem."""
    found = find_header(sheet)
    if found is None:
        r, got = _best_partial_header(sheet)
        missing = [LABELS[f] for f in REQUIRED if f not in got]
        where = f" (baris {r + 1} hanya memuat {', '.join(LABELS[f] for f in REQUIRED if f in got)})" if got else ""
        raise ValidationError(
            f"Berkas {sheet.name}: tidak ada baris judul kolom di {HEADER_SEARCH_ROWS} baris pertama{where}. "
            f"Perlu kolom: {', '.join(LABELS[f] for f in REQUIRED)} (belum ditemukan: {', '.join(missing)}); "
            "tidak ada yang diubah.",
            [Problem(sheet.name, None, None, "baris judul kolom tidak ditemukan")],
        )
    hrow, cols = found
    name = sheet.name
    headers = {f: sheet.rows[hrow][c].text for f, c in cols.items()}
    problems: list[Problem] = []
    merged = [(rng, lo, hi) for rng, lo, hi in sheet.merged if hi >= hrow + 1]
    if merged:
        raise ValidationError(
            f"Berkas {name}: ada sel gabungan (merged cells) pada atau di bawah baris judul: "
            f"{', '.join(r for r, _, _ in merged)}. Pisahkan gabungannya (Unmerge) dan isi setiap baris; "
            "tidak ada yang diubah.",
            [Problem(name, lo, None, f"sel gabungan {rng}") for rng, lo, _ in merged],
        )
    by_number = {i.number: i for i in active.indicators}
    specs: list[dict] = []
    sheet_rows: list[int] = []
    total_row: tuple[int, float] | None = None

    def cell(row: list[Cell], fld: str, r: int) -> Cell:
        c = cols.get(fld)
        if c is None or c >= len(row):
            return Cell(None, f"{_col_letter(c or 0)}{r}")
        return row[c]

    for idx in range(hrow + 1, len(sheet.rows)):
        row = sheet.rows[idx]
        line = idx + 1
        cells = {f: cell(row, f, line) for f in cols}
        if not any(c.text for c in cells.values()):
            continue  # blank line
        nomor, label, maks = cells["nomor"], cells["indikator"], cells["poin_maksimal"]
        words = " ".join(f"{nomor.text} {label.text}".lower().split())
        if not nomor.formula and any(words.startswith(w) for w in _TOTAL_WORDS):
            total = maks.number() if not maks.formula else None
            if total is not None:
                total_row = (line, total)
            continue  # "Jumlah" / "Total" row
        if not nomor.text and not maks.text:
            continue  # cluster heading or a note under the table
        if _int_number(nomor) is None and not maks.text:
            continue  # heading with a roman numeral in the number column ("II", "KLASTER II")
        formulas = [c for c in cells.values() if c.formula]
        for c in formulas:
            fld = next(f for f, v in cells.items() if v is c)
            problems.append(
                Problem(
                    name,
                    line,
                    headers[fld],
                    f"sel {c.ref} berisi rumus ({str(c.value)[:40]}); nilai tersimpan rumus bisa usang. "
                    "Salin lalu Paste Values, kemudian impor lagi",
                )
            )
        if formulas:
            continue
        number = _int_number(nomor)
        if number is None:
            problems.append(Problem(name, line, headers["nomor"], f"nomor '{nomor.text}' bukan bilangan bulat"))
            continue
        if not label.text:
            problems.append(Problem(name, line, headers["indikator"], f"nama indikator #{number} kosong"))
        group = cluster_code(cells["klaster"].text, active.groups)
        if group is None:
            problems.append(
                Problem(
                    name,
                    line,
                    headers["klaster"],
                    f"klaster '{cells['klaster'].text}' tidak dikenal; gunakan Kelembagaan, "
                    "Klaster I, Klaster II, Klaster III, Klaster IV atau Klaster V",
                )
            )
        max_points = maks.number()
        if max_points is None:
            problems.append(Problem(name, line, headers["poin_maksimal"], f"poin maksimal '{maks.text}' bukan angka"))
        spec: dict = {
            "number": number,
            "code": f"I{number:02d}",
            "name": label.text,
            "group": group or cells["klaster"].text,
            "max_points": clean_number(max_points) if max_points is not None else 0,
        }
        if "levels" in cells and cells["levels"].text:
            lv = parse_levels(cells["levels"].text)
            if lv is None:
                problems.append(
                    Problem(
                        name,
                        line,
                        headers["levels"],
                        f"tingkat poin '{cells['levels'].text}' tidak terbaca; tulis dipisah titik koma, "
                        "mis. '0; 12,5; 25'",
                    )
                )
            else:
                spec["levels"] = [clean_number(x) for x in lv]
        old = by_number.get(number)
        opd = cells["opd"].text if "opd" in cells else ""
        spec["opd"] = opd or (old.opd if old else "")
        status = cells["status"].text if "status" in cells else ""
        spec["status"] = status or ("terverifikasi" if official else (old.status if old else "perlu verifikasi"))
        spec["source_url"] = cells["sumber"].text if "sumber" in cells else ""
        specs.append(spec)
        sheet_rows.append(line)
    if not specs and not problems:
        problems.append(Problem(name, None, None, "tidak ada baris indikator di bawah baris judul"))
    return SheetRows(specs, sheet_rows, headers, problems, total_row)
