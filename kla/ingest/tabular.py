"""Reading the CSV and XLSX files people actually send: encodings, delimiters, header rows.

Every failure becomes a :class:`~kla.core.errors.ValidationError` in Indonesian naming the file,
never a pandas traceback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kla.core import fmt
from kla.core.errors import Problem, ValidationError

if TYPE_CHECKING:  # pandas is imported in read_table: readable_file is used by `kla zscore`, which runs without it
    import pandas as pd

MAX_BYTES = 200 * 1024 * 1024  # larger files are refused before they are read


def readable_file(path: Path, *, expect: str = "berkas .csv atau .xlsx") -> int:
    """File-level check before anything is read or hashed: it exists, is a file (not a folder)
    and can be opened. Returns its size in bytes; refuses with an Indonesian message naming the
    file. ``expect`` says what to pick instead of a folder, e.g. "berkas rekap .csv atau .xlsx"."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise ValidationError(f"Berkas tidak ditemukan: {name}")
    if not path.is_file():
        raise ValidationError(f"{name} bukan berkas (mungkin sebuah folder); pilih {expect}. Tidak ada yang diubah.")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ValidationError(
            f"Berkas {name} tidak bisa dibaca ({exc.strerror or type(exc).__name__}); tidak ada yang diubah."
        ) from None
    return path.stat().st_size


def decode_text(raw: bytes, name: str, *, windows_1252: bool = False) -> tuple[str, str]:
    """Decode a CSV as UTF-8 (with or without BOM); with ``windows_1252``, fall back to Excel's ANSI CSV.

    Returns ``(text, encoding label)``. Without the fallback a non-UTF-8 file is refused with how to
    re-save it (row data where a mis-decoded name would slip through); the rulebook sheet, which
    holds no personal data, is read either way.
    """
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        first = exc
    if windows_1252:
        try:
            return raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as exc:
            first = exc
    line = raw[: first.start].count(b"\n") + 1
    which = "UTF-8 maupun Windows-1252" if windows_1252 else "UTF-8"
    problem = "pengodean tidak dikenal" if windows_1252 else "pengodean bukan UTF-8 (mungkin Windows-1252)"
    raise ValidationError(
        f"Berkas {name} bukan teks {which} (byte tidak dikenal di baris {line}). "
        "Simpan ulang dari Excel sebagai 'CSV UTF-8 (Comma delimited)'; tidak ada yang diubah.",
        [Problem(name, line, None, problem)],
    ) from first


#: Data rows a recap or score sheet may have (a city's recap for ten years is a few thousand).
MAX_ROWS = 200_000


def read_table(
    path: Path,
    *,
    expected: Iterable[str] = (),
    max_bytes: int = MAX_BYTES,
    multiline_cells: bool = True,
) -> pd.DataFrame:
    """Read a CSV (``,`` or ``;``) or the single sheet of an XLSX as strings.

    Every upload is treated as hostile (see :mod:`kla.ingest.filecheck`): size, columns
    (:data:`~kla.ingest.filecheck.MAX_COLUMNS`), rows (:data:`MAX_ROWS`), cell length
    (:data:`~kla.ingest.filecheck.MAX_CELL_CHARS`) and, for XLSX, the zip directory and the sheet's
    ``dimension`` record are checked before the content is parsed. CSV text may be UTF-8 (with
    or without BOM) or UTF-16 (with or without BOM), with LF, CRLF or CR-only line endings.

    **No silent row loss.** Every physical line of a CSV is accounted for: a record spanning
    several lines (a quoted cell holding a line break) is accepted only with ``multiline_cells``
    and only when it has the header's number of cells; otherwise, and always for a quote left
    open, the file is refused naming the row where the quote opens and how many lines it
    swallowed. A row with non-empty cells beyond the header is refused too (those cells would
    otherwise be dropped).

    Parameters
    ----------
    expected:
        column names (already normalised with :func:`norm_col`) used to detect a header
        that is not on the first row, so the message can say where it is.
    multiline_cells:
        whether a quoted cell may hold a line break (score notes may; recap counts may not).

    Returns
    -------
    DataFrame of ``str`` with normalised column names; row ``i`` of the frame is row
    ``i + 2`` of the file as a spreadsheet user counts (header is row 1).
    """
    import pandas as pd

    name = fmt.plain(path.name, 80)
    if not path.exists():
        raise ValidationError(f"Berkas tidak ditemukan: {fmt.plain(path, 120)}")
    size = readable_file(path)
    if size > max_bytes:
        raise ValidationError(
            f"Berkas {name} terlalu besar ({fmt.number(size / 1e6, 0)} MB; batas {fmt.number(max_bytes / 1e6, 0)} MB). "
            "Pecah per bulan atau per puskesmas; tidak ada yang diubah."
        )
    if size == 0:
        raise ValidationError(f"Berkas {name} kosong; tidak ada yang diubah.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_grid(path, name, max_bytes, set(expected))
    elif suffix in (".csv", ".txt"):
        rows = _csv_grid(path.read_bytes(), name, multiline_cells, set(expected))
    else:
        raise ValidationError(
            f"Jenis berkas {fmt.plain(suffix, 20) or '(tanpa ekstensi)'} tidak didukung; gunakan .csv atau .xlsx."
        )
    if not any(any(str(v).strip() for v in r) for r in rows):
        raise ValidationError(f"Berkas {name} kosong; tidak ada yang diubah.")
    header = [norm_col(c) for c in rows[0]]
    expected = set(expected)
    if expected and not expected & set(header):
        for r in range(1, min(len(rows), 20)):
            if expected & {norm_col(c) for c in rows[r]}:
                raise ValidationError(
                    f"Berkas {name}: judul kolom harus di baris 1, tetapi ditemukan di baris {r + 1}. "
                    "Hapus baris di atasnya lalu coba lagi; tidak ada yang diubah.",
                    [Problem(name, r + 1, None, "baris judul kolom tidak di baris 1")],
                )
    seen: set[str] = set()
    twice = sorted({h for h in header if h and (h in seen or seen.add(h))})
    if twice:
        raise ValidationError(
            f"Berkas {name}: judul kolom ganda ({', '.join(fmt.plain(h, 30) for h in twice[:5])}); tidak jelas kolom "
            "mana yang dibaca. Beri setiap kolom judul yang berbeda; tidak ada yang diubah.",
            [Problem(name, 1, fmt.plain(h, 30), "judul kolom ganda") for h in twice[:20]],
        )
    width = len(header)
    while width and header[width - 1] == "":
        width -= 1
    spill = [i + 1 for i, r in enumerate(rows) if any(str(v).strip() for v in r[width:])]
    if spill:
        raise ValidationError(
            f"Berkas {name}: baris {', '.join(map(str, spill[:5]))}"
            f"{f' (dan {len(spill) - 5} baris lain)' if len(spill) > 5 else ''} berisi sel di kanan kolom "
            f"terakhir yang berjudul ({width} kolom). Isinya akan hilang tanpa judul kolom: beri judul, hapus, "
            "atau periksa pemisah kolom dan tanda kutip; tidak ada yang diubah.",
            [Problem(name, r, None, "sel berisi di luar kolom berjudul") for r in spill[:200]],
        )
    grid = pd.DataFrame([(list(r) + [""] * width)[:width] for r in rows[1:]], columns=range(width), dtype=str)
    body = grid.reset_index(drop=True)
    body.columns = header[:width]
    body = body.loc[:, [c != "" for c in header[:width]]]
    return body.map(lambda v: v.strip() if isinstance(v, str) else v)


def _label(header: list[str], j: int | None, known: set[str]) -> str | None:
    """How a message names column ``j``: its header when the importer knows that header, else its
    spreadsheet letter; row 1 may be a data row (no header, or a lost line break) and is not echoed."""
    if j is None:
        return None
    from kla.ingest import filecheck

    h = header[j] if j < len(header) else ""
    return h if h and norm_col(h) in known else filecheck.column_letter(j + 1)


def _csv_grid(raw: bytes, name: str, multiline_cells: bool, known: set[str]) -> list[list[str]]:
    """The records of a CSV as lists of text, after the structural checks of :func:`read_table`."""
    from kla.ingest import filecheck

    encoding = filecheck.sniff_text(raw[:8192], name)
    if encoding:
        try:
            text = raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise filecheck.utf16_refusal(name, encoding) from None
    else:
        text, _ = decode_text(raw, name)
    if "\r" in text:  # CRLF, and CR alone (Excel "CSV (Macintosh)"), even mixed, all end a line
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(
            f"Berkas {name} berisi karakter NUL di baris {line}; bukan teks CSV biasa. Simpan ulang sebagai "
            "'CSV UTF-8'; tidak ada yang diubah.",
            [Problem(name, line, None, "karakter NUL")],
        )
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > MAX_ROWS + 1:
        raise ValidationError(
            f"Berkas {name} punya {fmt.integer(len(lines))} baris; batasnya {fmt.integer(MAX_ROWS)} baris data. "
            "Pecah berkasnya; tidak ada yang diubah.",
            [Problem(name, None, None, "terlalu banyak baris")],
        )
    first = lines[0] if lines else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    for i, line in enumerate(lines):  # before csv: a line of 10^6 separators is refused at once
        n = line.count(delimiter) + 1
        if n > filecheck.MAX_COLUMNS:
            raise filecheck.too_many_columns(name, i + 1, n)
    try:
        header = next(csv.reader([first], delimiter=delimiter), []) if len(first) <= 100_000 else []
    except csv.Error:
        header = []
    for i, line in enumerate(lines):
        if len(line) > filecheck.MAX_CELL_CHARS:
            for j, cell in enumerate(line.split(delimiter)):
                if len(cell) > filecheck.MAX_CELL_CHARS:
                    col = _label(header, j, known if i else set())
                    raise filecheck.cell_too_long(name, i + 1, col, len(cell))
    reader = csv.reader(io.StringIO("\n".join(lines) + "\n", newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    last = 0
    try:
        for rec in reader:
            records.append(rec)
            spans.append((last + 1, reader.line_num))
            last = reader.line_num
    except csv.Error:  # a cell over the csv module's own limit: a quote opened and never closed
        spans.append((last + 1, len(lines)))
        records.append([])
    width = len(records[0]) if records else 0
    for k, ((start, end), rec) in enumerate(zip(spans, records, strict=True)):
        closed = end < len(lines) or not _ends_in_quote(lines, start)
        if end == start and closed:
            continue
        if multiline_cells and closed and len(rec) == width and k:
            continue
        col = _open_quote_column(lines[start - 1], delimiter)
        label = _label(header, col, known)
        where = f"kolom '{fmt.plain(label, 40)}'" if label else "sebuah sel"
        raise ValidationError(
            f'Berkas {name}: tanda kutip (") di baris {start}, {where}, tidak ditutup di baris yang sama, '
            f"sehingga baris {start}-{end} ({fmt.integer(end - start + 1)} baris) terbaca sebagai satu baris. "
            "Hapus tanda kutip itu atau tutup, lalu simpan ulang; tidak ada yang diubah.",
            [
                Problem(
                    name,
                    start,
                    fmt.plain(label, 40) if label else None,
                    f"tanda kutip tidak ditutup; menelan {fmt.integer(end - start)} baris",
                )
            ],
        )
    accounted = sum(e - s + 1 for s, e in spans)
    if accounted != len(lines):  # cannot happen with the checks above; never a silent loss if it does
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(len(lines))} baris di berkas, {fmt.integer(accounted)} terbaca; "
            "tidak ada yang diubah.",
            [Problem(name, None, None, "jumlah baris terbaca tidak sesuai")],
        )
    for r, rec in enumerate(records):
        for j, cell in enumerate(rec):
            if len(cell) > filecheck.MAX_CELL_CHARS:
                col = _label(header, j, known)
                raise filecheck.cell_too_long(name, spans[r][0], col, len(cell))
    return records


def _ends_in_quote(lines: list[str], start: int) -> bool:
    """Whether the record starting at line ``start`` (1-based) is still inside a quoted cell at
    the end of the file (the csv module then ends it silently)."""
    rest = "\n".join(lines[start - 1 :]) + "\n"
    state = list(csv.reader(io.StringIO(rest + "\n-\n", newline="")))  # "-" is swallowed if still open
    return not state or state[-1] != ["-"]


def _open_quote_column(line: str, delimiter: str) -> int | None:
    """0-based index of the cell whose quote is still open at the end of ``line``."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    return len(cells) - 1 if cells else None


def _xlsx_grid(path: Path, name: str, max_bytes: int, known: set[str]) -> list[list[str]]:
    """The single sheet of an XLSX as lists of text, read with openpyxl in read-only mode after
    :func:`kla.ingest.filecheck.check_xlsx`; the rows are bounded even when the sheet's ``dimension``
    record is absent or understates the range."""
    import openpyxl

    from kla.ingest import filecheck

    sheets = filecheck.check_xlsx(path, name, max_rows=MAX_ROWS + 1, max_expanded=min(10 * max_bytes, 1 << 30))
    if len(sheets) != 1:
        raise ValidationError(
            f"Berkas {name} punya {len(sheets)} sheet ({', '.join(fmt.plain(s.name, 30) for s in sheets[:10])}); "
            "simpan data di satu sheet saja; tidak ada yang diubah."
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError(f"{filecheck.xlsx_unreadable(name, exc)}; tidak ada yang diubah.") from None
    rows: list[list[str]] = []
    trailing = 0
    try:
        ws = wb[wb.sheetnames[0]]
        ws.reset_dimensions()  # no padding to a lying or absurd used range
        header: list[str] = []
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if r > MAX_ROWS + 1:
                raise ValidationError(
                    f"Berkas {name}: lebih dari {fmt.integer(MAX_ROWS)} baris data; pecah berkasnya. "
                    "Tidak ada yang diubah.",
                    [Problem(name, r, None, "terlalu banyak baris")],
                )
            cells = [_xlsx_text(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            if len(cells) > filecheck.MAX_COLUMNS:
                raise filecheck.too_many_columns(name, r, len(cells))
            for j, cell in enumerate(cells):
                if len(cell) > filecheck.MAX_CELL_CHARS:
                    col = _label(header, j, known if r > 1 else set())
                    raise filecheck.cell_too_long(name, r, col, len(cell))
            if r == 1:
                header = cells
            if not cells:
                trailing += 1
                rows.append(cells)
                continue
            trailing = 0
            rows.append(cells)
    except ValidationError:
        raise
    except Exception as exc:  # a sheet part that is not what it claims
        raise ValidationError(f"{filecheck.xlsx_unreadable(name, exc)}; tidak ada yang diubah.") from None
    finally:
        wb.close()
    return rows[: len(rows) - trailing] if trailing else rows


def _xlsx_text(v: object) -> str:
    """A cell as pandas' ``read_excel(dtype=str)`` gave it: whole floats without ``.0``, dates as
    ``YYYY-MM-DD HH:MM:SS``."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def norm_col(name: object) -> str:
    """Normalise a column header: lower case, single underscores (``"Poin Maks"`` → ``"poin_maks"``)."""
    text = str(name).strip().lower()
    out = "".join(ch if ch.isalnum() else "_" for ch in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def parse_number(text: str) -> float | None:
    """Parse ``"12.5"``, ``"12,5"`` or ``"1.234,5"``; None when empty or not a number."""
    if text is None:
        return None
    t = str(text).strip()
    if not t:
        return None
    # "1.234,5" (Indonesian thousands + decimal comma) or "12,5" (decimal comma)
    t = t.replace(".", "").replace(",", ".") if "," in t and "." in t else t.replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None
