"""The CSV side of the e-PPGBM reader: line structure checked on the raw bytes, then a parse.

An export CSV has ``;`` separators and comma decimals. Its structure is checked before parsing,
vectorised over the raw bytes (:func:`scan_csv`; the few lines holding a ``"`` are read exactly
with :mod:`csv`): no line may end inside a quoted cell (otherwise a quote was left open and the
parser would swallow the following lines, or a cell holds a line break: the file is refused,
naming the lines; a ``"`` in the middle of a cell, like ``Jl. Mawar 5"``, is just a character),
every data line must have as many fields as the header (otherwise that row is rejected with
"jumlah kolom tidak sesuai header"; when more than
:data:`~kla.ingest.eppgbm_columns.MAX_BAD_SHARE` of the rows are off, one file-level message names
the likely cause, e.g. rows separated by ``,`` under a ``;`` header), and lines whose cells are all
empty are ignored (:func:`check_structure`). The parsed record count must equal the count the scan
expects, so rows can never vanish unreported (:func:`read_csv_columns`).

Only the columns to read are parsed (:func:`kla.ingest.eppgbm_columns.read_positions`): Nama, Nama
Ortu, Alamat, RT and RW are never selected, and no message quotes a cell.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass

import numpy as np

from kla.core import fmt
from kla.core.errors import Problem, ValidationError
from kla.ingest import filecheck
from kla.ingest.eppgbm_columns import MAX_BAD_SHARE, is_known, rows_text

_LF, _QUOTE, _SEMI = 10, 34, 59
SCAN_CHUNK = 1 << 24


@dataclass
class CsvScan:
    """Shape of every line, found on the raw bytes (no cell value is kept)."""

    headers: list[str]
    offset: int  # bytes of a UTF-8 BOM before the header
    line_no: np.ndarray  # 1-based line number of each data line (header excluded)
    fields: np.ndarray  # fields per data line, ';' inside quotes not counted
    blank: np.ndarray  # every cell empty
    open_quotes: np.ndarray  # line numbers (header included) ending inside a quoted cell


_SEPARATOR_NAMES = {",": "koma (,)", "\t": "tab", "|": "garis tegak (|)"}


def separator_diagnosis(header: str) -> str:
    """What separates the columns of a header line that has no ``;`` (Indonesian sentence).

    Names the separator only when one is there: a header with no ``,``, tab or ``|`` either is one
    column, so the file is not a table of the expected shape (or its header line is missing).
    """
    counts = {sep: header.count(sep) for sep in _SEPARATOR_NAMES}
    guess = max(counts, key=counts.__getitem__)
    if counts[guess] == 0:
        return (
            "baris judul kolomnya tidak punya pemisah kolom sama sekali (hanya satu kolom); "
            "mungkin ini bukan tabel, atau baris judulnya hilang."
        )
    return f"pemisah kolomnya {_SEPARATOR_NAMES[guess]}, bukan titik koma (;)."


def scan_csv(buf: memoryview, name: str) -> CsvScan:
    """Line structure and UTF-8 validity of a ``;`` CSV, vectorised in chunks of whole lines.

    Raises :class:`ValidationError` for text that is not UTF-8, a missing header, or a header
    not separated by ``;``.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    n = arr.size
    off = 3 if n >= 3 and bytes(arr[:3]) == b"\xef\xbb\xbf" else 0
    _check_utf8(buf, arr, name)
    first_end = _next_newline(arr, off)
    head_fields = int(np.count_nonzero(arr[off:first_end] == _SEMI)) + 1
    if head_fields > filecheck.MAX_COLUMNS:  # a header of 10^6 separators: refused before it is split
        raise filecheck.too_many_columns(name, 1, head_fields)
    first = bytes(arr[off:first_end]).decode("utf-8").rstrip("\r")
    if not first.strip():
        raise ValidationError(f"Berkas {name} tidak punya baris judul kolom; tidak ada yang diubah.")
    if ";" not in first:
        raise ValidationError(
            f"Berkas {name}: {separator_diagnosis(first)} Ekspor e-PPGBM memakai titik koma (;) sebagai "
            "pemisah kolom (dan koma sebagai desimal). Ekspor ulang dari e-PPGBM, atau simpan dari Excel "
            "sebagai CSV dengan pemisah ';', atau impor XLSX-nya; tidak ada yang diubah.",
            [Problem(name, 1, None, "pemisah kolom bukan ';'")],
        )
    if len(first) > filecheck.MAX_CELL_CHARS:
        cells = first.split(";")
        j = max(range(len(cells)), key=lambda k: len(cells[k]))
        raise filecheck.cell_too_long(name, 1, filecheck.column_letter(j + 1), len(cells[j]))
    headers = [h.strip() for h in next(csv.reader([first], delimiter=";"))]
    short = 4 * len(headers) + 16  # a line with this few other bytes may be all empty cells: look closer

    fields, odd, blank = [], [], []
    pos = off
    lines_before = 0
    while pos < n:
        end = min(pos + SCAN_CHUNK, n)
        if end < n:  # end the chunk after its last newline (or the next one, for a huge line)
            last = np.flatnonzero(arr[pos:end] == _LF)
            end = pos + int(last[-1]) + 1 if last.size else _next_newline(arr, end) + 1
            end = min(end, n)
        c = arr[pos:end]
        nl = np.flatnonzero(c == _LF)
        idx = np.concatenate(([0], nl[:-1] + 1)) if nl.size else np.zeros(1, dtype=np.int64)
        if nl.size and nl[-1] != c.size - 1:  # last line of the file without a newline
            idx = np.append(idx, nl[-1] + 1)
        isd = c == _SEMI
        semis = _per_line(isd, idx)
        f = semis + 1
        isq = c == _QUOTE
        quotes = np.zeros(idx.size, dtype=np.int64)
        seglen = np.diff(np.append(idx, c.size))
        for i in np.flatnonzero(seglen > filecheck.MAX_CELL_CHARS):  # rare: look at the cells of a long line
            line = bytes(c[idx[i] : idx[i] + seglen[i]]).decode("utf-8").rstrip("\r\n")
            cells = line.split(";")
            j = max(range(len(cells)), key=lambda k: len(cells[k]))
            if len(cells[j]) > filecheck.MAX_CELL_CHARS:
                # a header is named only when it is a known e-PPGBM column: row 1 may be merged with data
                known = j < len(headers) and is_known(headers[j])
                col = headers[j] if known else filecheck.column_letter(j + 1)
                raise filecheck.cell_too_long(name, lines_before + int(i) + 1, col, len(cells[j]))
        is_open = np.zeros(idx.size, dtype=bool)
        if isq.any():
            quotes = _per_line(isq, idx)
            f, irregular = _quoted_fields(c, idx, seglen, isq, isd, quotes)
            # Irregular lines (a quote left open, or a quote inside a cell like 'Jl. Mawar 5"') are
            # read exactly like the parser does, with Python's csv module: a quote opens a cell
            # only at its start, and an open quote at the end of the line is the problem.
            for i in np.flatnonzero(irregular):
                line = bytes(c[idx[i] : idx[i] + seglen[i]]).decode("utf-8").rstrip("\r\n")
                try:
                    records = list(csv.reader([line, "-"], delimiter=";"))  # an open quote swallows "-"
                except csv.Error:
                    records = []
                if len(records) == 2:
                    f[i] = len(records[0])
                else:
                    is_open[i] = True
        b = np.zeros(idx.size, dtype=bool)
        for i in np.flatnonzero(seglen - semis - quotes <= short):
            b[i] = not bytes(c[idx[i] : idx[i] + seglen[i]]).strip(b' \t\r\n;"')
        fields.append(f)
        odd.append(is_open)
        blank.append(b)
        lines_before += idx.size
        pos = end
    fields_all = np.concatenate(fields)
    return CsvScan(
        headers=headers,
        offset=off,
        line_no=np.arange(2, fields_all.size + 1, dtype=np.int64),
        fields=fields_all[1:].astype(np.int32),
        blank=np.concatenate(blank)[1:],
        open_quotes=np.flatnonzero(np.concatenate(odd)) + 1,
    )


def _per_line(mask: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """How many bytes of each line (starting at ``idx``) are set in the boolean ``mask``."""
    return np.add.reduceat(mask.view(np.uint8), idx, dtype=np.uint32).astype(np.int64)


def _quoted_fields(
    c: np.ndarray, idx: np.ndarray, seglen: np.ndarray, isq: np.ndarray, isd: np.ndarray, quotes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fields per line when quotes are well placed, vectorised, and the lines that are not.

    A line is regular when its number of quotes is even, every quote that opens (1st, 3rd, …
    in the line) starts a cell or follows a quote (``""`` inside a quoted cell), and every
    quote that closes (2nd, 4th, …) ends a cell or precedes a quote. On such lines a ``;`` is a
    separator exactly when an even number of quotes precede it in its line. Other lines are
    returned as irregular (the caller reads them exactly).
    """
    qpos = np.flatnonzero(isq)
    qline = np.repeat(np.arange(idx.size), quotes)  # quotes come in line order
    rank = np.arange(qpos.size) - np.repeat(np.cumsum(quotes) - quotes, quotes)  # 0-based within the line
    start = qpos == idx[qline]
    prev = c[np.maximum(qpos - 1, 0)]
    nxt = c[np.minimum(qpos + 1, c.size - 1)]
    at_end = (qpos + 1 == c.size) | (qpos + 1 == idx[qline] + seglen[qline])
    opens_ok = start | (prev == _SEMI) | (prev == _QUOTE)
    closes_ok = at_end | (nxt == _SEMI) | (nxt == _QUOTE) | (nxt == _LF) | (nxt == 13)
    bad = np.where(rank % 2 == 0, ~opens_ok, ~closes_ok)
    irregular = (quotes % 2 == 1) | (np.bincount(qline[bad], minlength=idx.size) > 0)
    # quote parity of every byte relative to its line start (uint8 wraps; parity is kept)
    cum = np.cumsum(isq, dtype=np.uint8)
    base = np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0).astype(np.uint8)
    inside = ((cum - np.repeat(base, seglen)) & 1).astype(bool)
    fields = _per_line(isd & ~inside, idx) + 1
    return fields, irregular


def _next_newline(arr: np.ndarray, pos: int) -> int:
    """Position of the first ``\\n`` at or after ``pos`` (``len(arr)`` if none)."""
    step = 1 << 16
    while pos < arr.size:
        hit = np.flatnonzero(arr[pos : pos + step] == _LF)
        if hit.size:
            return pos + int(hit[0])
        pos += step
    return int(arr.size)


def _check_utf8(buf: memoryview, arr: np.ndarray, name: str) -> None:
    """Validate UTF-8 (pyarrow, fast); on failure find the first invalid byte and report its line
    (Windows-1252 exports)."""
    import pyarrow as pa

    data = pa.py_buffer(buf)
    offsets = pa.py_buffer(np.array([0, len(buf)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(pa.large_string())
        return
    except pa.ArrowInvalid:
        pass
    finally:
        del data
    dec = codecs.getincrementaldecoder("utf-8")()
    n = len(buf)
    for s in range(0, n, SCAN_CHUNK):
        try:
            dec.decode(buf[s : s + SCAN_CHUNK], final=s + SCAN_CHUNK >= n)
        except UnicodeDecodeError as exc:
            if exc.reason.startswith("unexpected end"):
                raise ValidationError(
                    f"Berkas {name} terpotong di tengah karakter UTF-8; tidak ada yang diubah."
                ) from None
            bad_line = int(np.count_nonzero(arr[: max(s + exc.start, 0)] == _LF)) + 1
            raise ValidationError(
                f"Berkas {name} bukan teks UTF-8 (byte tak dikenal di baris {bad_line}; "
                "mungkin Windows-1252/ANSI). Simpan ulang sebagai 'CSV UTF-8' atau impor XLSX-nya; "
                "tidak ada yang diubah.",
                [Problem(name, bad_line, None, "pengodean bukan UTF-8")],
            ) from None


def check_structure(scan: CsvScan, name: str) -> tuple[np.ndarray, list[Problem]]:
    """File-level refusals for broken quoting or mostly misshapen rows; otherwise the mask of
    data lines with the header's field count and a row problem for each other non-empty line."""
    if scan.open_quotes.size:
        rows = scan.open_quotes
        raise ValidationError(
            f'Berkas {name}: tanda kutip (") tidak ditutup di baris {rows_text(rows)}. Sebuah sel dibuka '
            'dengan " tetapi tidak ditutup di baris yang sama (atau berisi ganti baris), sehingga baris-baris '
            "sesudahnya akan terbaca sebagai isi sel itu. Perbaiki sel tersebut (hapus tanda kutipnya) atau "
            "ekspor ulang; tidak ada yang diubah.",
            [Problem(name, int(r), None, "tanda kutip tidak ditutup") for r in rows[:200]],
        )
    wide = np.flatnonzero(scan.fields > filecheck.MAX_COLUMNS)
    if wide.size:  # e.g. a line of 10^6 separators: refused, not skipped as blank
        raise filecheck.too_many_columns(name, int(scan.line_no[wide[0]]), int(scan.fields[wide[0]]))
    width = len(scan.headers)
    data = ~scan.blank
    n_data = int(data.sum())
    wrong = data & (scan.fields != width)
    n_wrong = int(wrong.sum())
    if n_data and n_wrong > MAX_BAD_SHARE * n_data:
        rows = scan.line_no[wrong]
        typical = int(np.median(scan.fields[wrong]))
        if typical == 1:
            cause = (
                "Baris data tampaknya tidak dipisah titik koma (;) seperti judul kolomnya, mungkin koma (,) atau "
                "tab: berkas disimpan ulang dengan pemisah lain. Ekspor ulang dari e-PPGBM atau simpan dari "
                "Excel sebagai CSV dengan pemisah ';'."
            )
        else:
            cause = (
                f"Umumnya {typical} kolom per baris: mungkin ada ';' di dalam nama atau alamat tanpa tanda kutip, "
                "atau judul kolom tidak cocok dengan datanya. Ekspor ulang dari e-PPGBM."
            )
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(n_wrong)} dari {fmt.integer(n_data)} baris data "
            f"({n_wrong / n_data:.0%}) punya jumlah kolom "
            f"yang tidak sesuai judul kolom ({width} kolom), mis. baris {rows_text(rows, n_wrong)}. {cause} "
            "Tidak ada yang diubah.",
            [Problem(name, None, None, f"jumlah kolom tidak sesuai header di {fmt.integer(n_wrong)} baris")],
        )
    problems = [
        Problem(name, int(r), None, f"jumlah kolom tidak sesuai header ({int(k)}, seharusnya {width})")
        for r, k in zip(scan.line_no[wrong], scan.fields[wrong], strict=True)
    ]
    return scan.fields == width, problems


def read_csv_columns(buf: memoryview, scan: CsvScan, kept: list[int], name: str):
    """Parse the kept columns (pyarrow, multi-threaded, from memory) of the lines with the
    header's field count; returns an Arrow table with ``row_no`` and ``c<i>`` (text, NULL if empty)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    width = len(scan.headers)
    names = [f"c{i}" for i in range(width)]
    keep = [f"c{i}" for i in kept]
    shaped = scan.fields == width
    try:
        table = pacsv.read_csv(
            pa.py_buffer(buf).slice(scan.offset),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=";",
                quote_char='"',
                double_quote=True,
                newlines_in_values=False,
                ignore_empty_lines=True,
                invalid_row_handler=lambda row: "skip",  # counted by the scan; never shown
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=keep,
                column_types=dict.fromkeys(keep, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, ValueError) as exc:
        # the reader's messages quote the offending line, which may hold a name or NIK
        raise ValidationError(
            f"Berkas {name} tidak bisa dibaca sebagai CSV e-PPGBM ({type(exc).__name__}); tidak ada yang diubah."
        ) from None
    expected = int(shaped.sum())
    if table.num_rows != expected:
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(table.num_rows)} baris terbaca, "
            f"padahal {fmt.integer(expected)} baris berisi {width} kolom. "
            'Periksa tanda kutip (") dan baris yang terpecah; tidak ada yang diubah.',
            [Problem(name, None, None, "jumlah baris terbaca tidak sesuai")],
        )
    table = table.append_column("row_no", pa.array(scan.line_no[shaped], type=pa.int64()))
    blank = scan.blank[shaped]
    if blank.any():
        table = table.filter(pa.array(~blank))
    return table
