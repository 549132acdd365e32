"""Reading e-PPGBM exports ("data balita hasil pengukuran") as they really come.

CSV with ``;`` separators and comma decimals, or XLSX with one sheet. Columns are found by
name (case, spacing, punctuation and known variants tolerated, including the misspelled
``Pukesmas``), never by position. See ``domain.md`` §6.2. The export can be a file on disk or
its bytes in memory (an upload): :func:`parse_export` takes either, and nothing of the export is
ever written to disk by this module.

Privacy: ``NIK``, ``Nama``, ``Nama Ortu``, ``Alamat``, ``RT`` and ``RW`` are read only inside a
throw-away in-memory engine. The NIK is turned into an HMAC there (kla/privacy.py); the
other identifying columns are never selected. No message, log line or returned frame contains
them: problems name the row and the column, never an identifying value. Cell text is echoed in a
message only when it has the short shape the column expects (a sex code of at most 3 letters or
digits, a number, a date); area names are echoed only from rows whose field count matches the
header, so a ``;`` inside an unquoted name cannot shift a person's name into a message.

CSV structure is checked before parsing, vectorised over the raw bytes (:func:`_scan_csv`; the
few lines holding a ``"`` are read exactly with :mod:`csv`): no line may end inside a quoted cell
(otherwise a quote was left open and the parser would swallow the following lines, or a cell
holds a line break: the file is refused, naming the lines; a ``"`` in the middle of a cell, like
``Jl. Mawar 5"``, is just a character), every data line must have as many fields as the header
(otherwise that row is rejected
with "jumlah kolom tidak sesuai header"; when more than :data:`MAX_BAD_SHARE` of the rows are
off, one file-level message names the likely cause, e.g. rows separated by ``,`` under a ``;``
header), and lines whose cells are all empty are ignored. The parsed record count must equal
the count the scan expects, so rows can never vanish unreported.

Files made by :mod:`kla.ingest.sample_nutrition` carry :data:`SAMPLE_MARKER` in a ``Keterangan`` column
on every row; such a file is parsed like any other and ``stats["sample"]`` is True, so the import
records it as DATA CONTOH.

The result of :func:`parse_export` is a frame of accepted rows (no identifiers) with WHO
z-scores and Permenkes categories, plus row-level problems and statistics. Nothing here writes
to the store; :mod:`kla.ingest.nutrition` does that inside :func:`kla.ingest.store.staged`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import mmap
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kla.core import anthro, fmt, privacy
from kla.core.errors import Problem, ValidationError
from kla.core.wilayah import WilayahMatcher
from kla.ingest import filecheck
from kla.ingest.tabular import readable_file
from kla.read.db import connect_scratch

Progress = Callable[[float, str], None]
#: An export on disk, or its bytes in memory (e.g. an upload; give ``name`` as well).
Source = Path | str | bytes | bytearray | memoryview

#: Files above this size are refused before reading (``KLA_MAX_IMPORT_BYTES`` overrides).
MAX_FILE_BYTES = 1024**3
#: If more than this share of data rows is rejected, the whole file is refused.
MAX_BAD_SHARE = 0.10
#: Plausible raw ranges; outside them the row is rejected as a typing error.
WEIGHT_RANGE = (0.5, 60.0)  # kg
HEIGHT_RANGE = (38.0, 130.0)  # cm
ZSCORE_DISAGREE = 0.1
#: Written by kla/sample_nutrition.py in the ``Keterangan`` column of every row it generates.
SAMPLE_MARKER_COLUMN = "Keterangan"
SAMPLE_MARKER = "DATA CONTOH — dibuat oleh kla/sample_nutrition.py"
_SAMPLE_PREFIX = "DATA CONTOH"
#: How many row numbers a file-level message lists as examples.
EXAMPLE_ROWS = 5

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


def map_columns(headers: list[str]) -> dict[str, int]:
    """Canonical column name -> position, by name. The first matching header wins."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        canon = _LOOKUP.get(_norm(h))
        if canon and canon not in found:
            found[canon] = i
    return found


@dataclass
class ParsedExport:
    """Accepted rows (no identifiers) plus what was wrong with the rest."""

    frame: pd.DataFrame
    problems: list[Problem]
    stats: dict = field(default_factory=dict)


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def parse_size(text: str) -> int:
    """``"1073741824"``, ``"1GB"``, ``"500 MB"``, ``"1,5 GB"`` -> bytes (KB/MB/GB are binary)."""
    m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _SIZE_UNITS:
        raise ValidationError(
            f"KLA_MAX_IMPORT_BYTES={str(text)[:40]!r} tidak dimengerti: isi dengan jumlah byte "
            "(mis. 1073741824) atau ukuran seperti 1GB atau 500MB. Tidak ada yang diubah."
        )
    value = float(m.group(1).replace(",", "."))
    if value <= 0:
        raise ValidationError("KLA_MAX_IMPORT_BYTES harus lebih dari 0. Tidak ada yang diubah.")
    return int(value * _SIZE_UNITS[unit])


def max_file_bytes() -> int:
    env = os.environ.get("KLA_MAX_IMPORT_BYTES", "").strip()
    return parse_size(env) if env else MAX_FILE_BYTES


# ----------------------------------------------------------------------------- the source
@dataclass
class SourceInfo:
    """Where an export comes from: a file (``path``) or bytes in memory (``data``)."""

    name: str
    suffix: str
    size: int
    path: Path | None = None
    data: bytes | bytearray | memoryview | None = None
    #: lines end with CR alone (Excel "CSV (Macintosh)"); the parser reads a copy with LF
    cr_only: bool = False

    def head(self, n: int = 65536) -> bytes:
        """The first ``n`` bytes, for sniffing the encoding and line endings."""
        if self.data is not None:
            return bytes(self.data[:n])
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def sha256(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    @contextlib.contextmanager
    def buffer(self) -> Iterator[memoryview]:
        """The whole content, without a copy: the bytes themselves or a read-only memory map."""
        if self.data is not None:
            yield memoryview(self.data)
            return
        with open(self.path, "rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mm)
        try:
            yield view
        finally:
            # A parser object still holding the buffer (freed later by the garbage collector)
            # keeps the map alive; it is then closed when the last reference goes.
            with contextlib.suppress(BufferError):
                view.release()
                mm.close()


def check_source(source: Source, name: str | None = None, sheet: str | None = None) -> SourceInfo:
    """File-level checks before anything is hashed or parsed: exists, is a readable file,
    size within :func:`max_file_bytes`, not empty, a supported type; for a CSV its encoding
    (UTF-16 and binary content refused, CR-only line endings noted), for an XLSX the zip
    directory, XML and the sheets' used range (:func:`kla.ingest.filecheck.check_xlsx`).

    ``source`` is a path or the export's bytes; with bytes, ``name`` (the original file name,
    e.g. of an upload) gives the type and is used in messages.
    """
    limit = max_file_bytes()
    if isinstance(source, bytes | bytearray | memoryview):
        name = Path(name or "unggahan.csv").name
        info = SourceInfo(name=name, suffix=Path(name).suffix.lower(), size=len(source), data=source)
    else:
        path = Path(source)
        name = name or path.name or str(path)
        size = readable_file(path, expect="berkas ekspor .csv atau .xlsx")
        info = SourceInfo(name=name, suffix=path.suffix.lower(), size=size, path=path)
    shown = fmt.plain(info.name, 80)
    if info.size > limit:
        raise ValidationError(
            f"Berkas {shown} terlalu besar ({_gb(info.size)}; batas {_gb(limit)}). "
            "Ekspor per bulan atau per puskesmas lalu impor satu per satu; tidak ada yang diubah."
        )
    if info.size == 0:
        raise ValidationError(f"Berkas {shown} kosong (0 byte); tidak ada yang diubah.")
    if info.suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise ValidationError(
            f"Jenis berkas {fmt.plain(info.suffix, 20) or '(tanpa ekstensi)'} tidak didukung; "
            "gunakan ekspor e-PPGBM .csv atau .xlsx."
        )
    if info.suffix in (".csv", ".txt"):
        head = info.head()
        encoding = filecheck.sniff_text(head, info.name)
        if encoding:
            raise filecheck.utf16_refusal(info.name, encoding)
        info.cr_only = filecheck.cr_only(head)
        if info.cr_only and info.size > MAX_CR_ONLY_BYTES:
            raise ValidationError(
                f"Berkas {shown} memakai akhir baris CR saja (Excel 'CSV (Macintosh)') dan lebih dari "
                f"{_gb(MAX_CR_ONLY_BYTES)}; simpan ulang sebagai 'CSV UTF-8'. Tidak ada yang diubah.",
                [Problem(shown, None, None, "akhir baris CR saja")],
            )
    else:
        filecheck.check_xlsx(
            info.data if info.data is not None else info.path,
            info.name,
            max_rows=XLSX_MAX_ROWS,
            max_expanded=4 * limit,
            sheet=sheet,
        )
    return info


#: A CR-only CSV is converted in memory (a copy), so only up to this size.
MAX_CR_ONLY_BYTES = 512 * 1024**2
#: Excel's own row limit.
XLSX_MAX_ROWS = 1_048_576
#: A puskesmas/posyandu text seen on at least this many rows is a facility, not one child
#: (a child is measured at most monthly).
FACILITY_REPEAT_OK = 25


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB".replace(".", ",") if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


# ----------------------------------------------------------------------------- CSV structure
_LF, _QUOTE, _SEMI = 10, 34, 59
SCAN_CHUNK = 1 << 24


@dataclass
class _CsvScan:
    """Shape of every line, found on the raw bytes (no cell value is kept)."""

    headers: list[str]
    offset: int  # bytes of a UTF-8 BOM before the header
    line_no: np.ndarray  # 1-based line number of each data line (header excluded)
    fields: np.ndarray  # fields per data line, ';' inside quotes not counted
    blank: np.ndarray  # every cell empty
    open_quotes: np.ndarray  # line numbers (header included) ending inside a quoted cell


def _rows_text(rows: np.ndarray | list[int], total: int | None = None) -> str:
    shown = ", ".join(str(int(r)) for r in list(rows)[:EXAMPLE_ROWS])
    more = (total if total is not None else len(rows)) - min(len(rows), EXAMPLE_ROWS)
    return shown + (f" (dan {fmt.integer(more)} baris lain)" if more > 0 else "")


def _scan_csv(buf: memoryview, name: str) -> _CsvScan:
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
        guess = max((",", "\t", "|"), key=first.count)
        shown = {",": "koma (,)", "\t": "tab", "|": "garis tegak (|)"}[guess]
        raise ValidationError(
            f"Berkas {name}: pemisah kolom tampaknya {shown}, bukan titik koma (;) seperti ekspor "
            "e-PPGBM (yang juga memakai koma sebagai desimal). Ekspor ulang dari e-PPGBM, atau simpan "
            "dari Excel sebagai CSV dengan pemisah ';', atau impor XLSX-nya; tidak ada yang diubah.",
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
                known = j < len(headers) and _LOOKUP.get(_norm(headers[j])) is not None
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
    return _CsvScan(
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


def _check_structure(scan: _CsvScan, name: str) -> tuple[np.ndarray, list[Problem]]:
    """File-level refusals for broken quoting or mostly misshapen rows; otherwise the mask of
    data lines with the header's field count and a row problem for each other non-empty line."""
    if scan.open_quotes.size:
        rows = scan.open_quotes
        raise ValidationError(
            f'Berkas {name}: tanda kutip (") tidak ditutup di baris {_rows_text(rows)}. Sebuah sel dibuka '
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
            f"yang tidak sesuai judul kolom ({width} kolom), mis. baris {_rows_text(rows, n_wrong)}. {cause} "
            "Tidak ada yang diubah.",
            [Problem(name, None, None, f"jumlah kolom tidak sesuai header di {fmt.integer(n_wrong)} baris")],
        )
    problems = [
        Problem(name, int(r), None, f"jumlah kolom tidak sesuai header ({int(k)}, seharusnya {width})")
        for r, k in zip(scan.line_no[wrong], scan.fields[wrong], strict=True)
    ]
    return scan.fields == width, problems


def _read_csv(buf: memoryview, scan: _CsvScan, kept: list[int], name: str):
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


def _require(name: str, found: dict[str, int], headers: list[str]) -> None:
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


# ----------------------------------------------------------------------------- SQL parsing
_MONTHS = [
    ("januari", "01"),
    ("februari", "02"),
    ("pebruari", "02"),
    ("maret", "03"),
    ("april", "04"),
    ("juni", "06"),
    ("juli", "07"),
    ("agustus", "08"),
    ("september", "09"),
    ("oktober", "10"),
    ("nopember", "11"),
    ("november", "11"),
    ("desember", "12"),
    ("january", "01"),
    ("february", "02"),
    ("march", "03"),
    ("june", "06"),
    ("july", "07"),
    ("august", "08"),
    ("october", "10"),
    ("december", "12"),
    ("mei", "05"),
    ("may", "05"),
    ("jan", "01"),
    ("feb", "02"),
    ("mar", "03"),
    ("apr", "04"),
    ("jun", "06"),
    ("jul", "07"),
    ("agu", "08"),
    ("agt", "08"),
    ("ags", "08"),
    ("aug", "08"),
    ("sep", "09"),
    ("okt", "10"),
    ("oct", "10"),
    ("nov", "11"),
    ("des", "12"),
    ("dec", "12"),
]


def _date_macro() -> str:
    """``kla_date(text)``: the dates Indonesian exports use, day first; a time part is dropped.

    ``2024-06-10``, ``2024-06-10 08:30:00``, ``2024/06/10``, ``10/06/2024``, ``10-06-2024``,
    ``10.06.2024``, ``10/06/24``, ``10/06/2024 08:30``, ``10 Juni 2024``, ``10-Jun-2024`` and Excel
    serial numbers (``45453``, also with a time fraction ``45453,35``).
    """
    no_time = (
        "regexp_replace(lower(trim(x)), '\\s+\\d{1,2}:\\d{2}(:\\d{2}([.,]\\d+)?)?(\\s*(am|pm|wib|wita|wit))?$', '')"
    )
    expr = no_time
    for name, num in _MONTHS:
        expr = f"replace({expr}, '{name}', '{num}')"
    norm = f"regexp_replace({expr}, '[ /.]+', '-', 'g')"
    return f"""
    CREATE OR REPLACE TEMP MACRO kla_date(x) AS (
      CASE
        WHEN x IS NULL OR trim(x) = '' THEN NULL
        WHEN TRY_CAST(x AS DATE) IS NOT NULL THEN TRY_CAST(x AS DATE)
        WHEN regexp_matches(trim(x), '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') THEN
             try_strptime(regexp_extract(trim(x), '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}})', 1), '%Y-%m-%d')::DATE
        WHEN regexp_matches(trim(x), '^\\d{{5}}([.,]\\d+)?$') THEN
             DATE '1899-12-30' + CAST(floor(CAST(replace(trim(x), ',', '.') AS DOUBLE)) AS INTEGER)
        WHEN regexp_matches({norm}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}$') THEN try_strptime({norm}, '%Y-%m-%d')::DATE
        WHEN regexp_matches({norm}, '^\\d{{1,2}}-\\d{{1,2}}-\\d{{4}}$') THEN try_strptime({norm}, '%d-%m-%Y')::DATE
        WHEN regexp_matches({norm}, '^\\d{{1,2}}-\\d{{1,2}}-\\d{{2}}$') THEN try_strptime({norm}, '%d-%m-%y')::DATE
        ELSE NULL
      END)
    """


_NUM_MACRO = """
CREATE OR REPLACE TEMP MACRO kla_num(x) AS
  TRY_CAST(replace(replace(trim(x), ' ', ''), ',', '.') AS DOUBLE)
"""


#: ``Usia Saat Ukur`` units: "2 Tahun - 3 Bulan - 5 Hari", "2 thn 4 bln 5 hr", "2 Th 4 Bl", "28 bulan"
_YEARS = "tahun|thn|th|tah"
_MONTHS_UNIT = "bulan|bln|bl|bul"
_DAYS = "hari|hr|h"
_AGE_UNITS = f"{_YEARS}|{_MONTHS_UNIT}|{_DAYS}"


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _typed_sql(found: dict[str, int]) -> str:
    """The query turning raw text into typed columns, inside the scratch engine.

    Identifying columns other than NIK are never in ``raw``; the NIK only leaves as the HMAC from
    the ``nik_keys`` table. Text columns (sex code, area names) only leave for rows that need a
    message. ``dup_group`` numbers the candidate duplicates (same child key and measurement date,
    or, without a key, the same row content); which of them is a duplicate is decided in
    :func:`_validate_rows`, among the valid rows only.
    """

    def c(name: str) -> str:
        return f"r.c{found[name]}" if name in found else "NULL::VARCHAR"

    digits = f"regexp_replace(coalesce({c('nik')}, ''), '[^0-9]', '', 'g')"
    usia = f"lower(coalesce({c('usia')}, ''))"

    def part(unit: str) -> str:
        return f"coalesce(TRY_CAST(regexp_extract({usia}, '(\\d+)\\s*(?:{unit})\\b', 1) AS DOUBLE), 0)"

    return f"""
    WITH t AS MATERIALIZED (
      SELECT r.row_no,
        k.k AS child_key,
        CASE WHEN {c("nik")} IS NULL OR trim({c("nik")}) = '' THEN 0 WHEN k.k IS NOT NULL THEN 1 ELSE 2 END
          AS nik_state,
        CASE WHEN lower(trim({c("jk")})) IN ({_sql_list(anthro.BOY_CODES)}) THEN 1
             WHEN lower(trim({c("jk")})) IN ({_sql_list(anthro.GIRL_CODES)}) THEN 2 ELSE 0 END AS sex,
        left(trim(coalesce({c("jk")}, '')), 10) AS jk,
        kla_date({c("tgl_lahir")}) AS birth_date,
        nullif(trim({c("tgl_lahir")}), '') IS NOT NULL AS has_birth,
        kla_date({c("tgl_ukur")}) AS measure_date,
        CASE WHEN nullif(trim({c("tgl_lahir")}), '') IS NULL AND regexp_matches({usia}, '\\d+\\s*(?:{_AGE_UNITS})\\b')
             THEN floor({part(_YEARS)} * 365.25 + {part(_MONTHS_UNIT)} * {anthro.DAYS_PER_MONTH} + {part(_DAYS)})
        END AS age_text,
        kla_num({c("berat")}) AS weight_kg,
        kla_num({c("tinggi")}) AS height_cm,
        CASE WHEN lower(trim({c("cara_ukur")})) IN ({_sql_list(anthro.LYING_CODES)}) THEN 'L'
             WHEN lower(trim({c("cara_ukur")})) IN ({_sql_list(anthro.STANDING_CODES)}) THEN 'H' END AS position,
        kla_num({c("lila")}) AS muac_cm,
        a.kec_code, a.kel_code, a.kec, a.kel,
        nullif(trim({c("puskesmas")}), '') AS puskesmas,
        nullif(trim({c("posyandu")}), '') AS posyandu,
        kla_num({c("zs_tbu")}) AS export_haz,
        kla_num({c("zs_bbu")}) AS export_waz,
        kla_num({c("zs_bbtb")}) AS export_whz
      FROM raw r
      LEFT JOIN nik_keys k ON k.d = {digits}
      LEFT JOIN area_map a ON a.kec = coalesce(trim({c("kec")}), '') AND a.kel = coalesce(trim({c("kel")}), '')
    )
    SELECT row_no, child_key, nik_state::TINYINT AS nik_state, sex::TINYINT AS sex,
      CASE WHEN sex = 0 THEN jk END AS jk,
      has_birth, birth_date IS NOT NULL AS birth_ok, measure_date::TIMESTAMP AS measure_date,
      CASE WHEN birth_date IS NOT NULL THEN date_diff('day', birth_date, measure_date)::DOUBLE
           WHEN NOT has_birth THEN age_text END AS age_days,
      weight_kg, height_cm, position, muac_cm, kec_code, kel_code,
      CASE WHEN kel_code IS NULL THEN kec END AS kec, CASE WHEN kel_code IS NULL THEN kel END AS kel,
      puskesmas, posyandu, export_haz, export_waz, export_whz,
      dense_rank() OVER (ORDER BY measure_date, coalesce(child_key, hash(sex, birth_date, age_text, weight_kg,
                         height_cm, position, kec_code, kel_code, kec, kel, posyandu)::VARCHAR)) AS dup_group
    FROM t ORDER BY row_no
    """  # noqa: S608 - identifiers are the fixed c<n> column names


def _xlsx_rows(src: SourceInfo, sheet: str | None) -> tuple[list[str], pd.DataFrame, int]:
    """Header and the mapped non-identifying columns (plus NIK) of one sheet, as text, with the
    sheet's row number in ``row_no``. Rows whose cells are all empty (trailing formatted rows)
    are skipped and counted."""
    import openpyxl  # local: only XLSX imports need it

    name = fmt.plain(src.name, 80)
    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(src.data) if src.data is not None else src.path, read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError(f"Berkas {name} tidak bisa dibaca sebagai XLSX ({type(exc).__name__}).") from None
    try:
        names = wb.sheetnames
        listed = ", ".join(fmt.plain(n, 30) for n in names[:10])
        if sheet is None and len(names) > 1:
            raise ValidationError(
                f"Berkas {name} punya {len(names)} sheet ({listed}). Pilih satu dengan "
                "--sheet NAMA, atau simpan data pengukuran di satu sheet saja; tidak ada yang diubah."
            )
        if sheet is not None and sheet not in names:
            raise ValidationError(f"Sheet '{fmt.plain(sheet, 30)}' tidak ada di {name} (ada: {listed}).")
        ws = wb[sheet or names[0]]
        ws.reset_dimensions()  # no padding to a used range that the dimension record understates
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None or all(_empty_cell(v) for v in header):
            raise ValidationError(f"Berkas {name} tidak punya baris judul kolom di baris 1; tidak ada yang diubah.")
        if sum(1 for h in header if not _empty_cell(h)) and len(header) > filecheck.MAX_COLUMNS:
            raise filecheck.too_many_columns(name, 1, len(header))
        headers = [str(h).strip() if h is not None else "" for h in header]
        found = map_columns(headers)
        keep = sorted(i for c, i in found.items() if c not in PII or c == "nik")  # names/address never read
        cols: dict[int, list] = {i: [] for i in keep}
        row_no: list[int] = []
        blank = 0
        for r, row in enumerate(it, start=2):
            if all(_empty_cell(v) for v in row):
                blank += 1
                continue
            if len(row) > filecheck.MAX_COLUMNS and any(not _empty_cell(v) for v in row[filecheck.MAX_COLUMNS :]):
                raise filecheck.too_many_columns(name, r, len(row))
            row_no.append(r)
            for i in keep:
                v = row[i] if i < len(row) else None
                text = _cell_text(v)
                if text is not None and len(text) > filecheck.MAX_CELL_CHARS:
                    raise filecheck.cell_too_long(name, r, headers[i], len(text))
                cols[i].append(text)
    except (ValidationError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # a sheet part that is not what it claims (malformed XML, bad cell types)
        raise ValidationError(f"Berkas {name} tidak bisa dibaca sebagai XLSX ({type(exc).__name__}).") from None
    finally:
        wb.close()
    frame = pd.DataFrame({f"c{i}": pd.array(v, dtype="string") for i, v in cols.items()})
    frame.insert(0, "row_no", np.array(row_no, dtype=np.int64))
    return headers, frame, blank


def _empty_cell(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


# ----------------------------------------------------------------------------- main entry
def parse_export(
    source: Source,
    *,
    matcher: WilayahMatcher,
    key: bytes,
    name: str | None = None,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ParsedExport:
    """Read, validate and z-score an e-PPGBM export given as a path or as bytes (+ ``name``).

    Raises
    ------
    ValidationError
        File-level problems (missing file, not a file, too big, empty, wrong delimiter, not
        UTF-8, a quote left open, most rows not shaped like the header, several sheets, missing
        required columns, sample rows mixed with real ones), or more than :data:`MAX_BAD_SHARE`
        of the rows rejected. Nothing has been written anywhere when it is raised.
    """
    progress = progress or (lambda f, m: None)
    t0 = time.perf_counter()
    src = source if isinstance(source, SourceInfo) else check_source(source, name, sheet)
    name = fmt.plain(src.name, 80)  # for messages; src.name (provenance) stays as given
    if src.cr_only:  # Excel "CSV (Macintosh)": read a copy with LF line endings, in memory only
        with src.buffer() as buf:
            src = replace(src, data=bytes(buf).replace(b"\r", b"\n"), path=None, cr_only=False)
    is_csv = src.suffix in (".csv", ".txt")
    progress(0.02, f"Memeriksa {name}")
    pre_problems: list[Problem] = []
    blank_rows = 0

    con = connect_scratch()
    try:
        con.execute(_NUM_MACRO)
        con.execute(_date_macro())
        ipad, opad = privacy.hmac_pads(key)
        if is_csv:
            with src.buffer() as buf:
                scan = _scan_csv(buf, name)
                headers = scan.headers
                found = map_columns(headers)
                _require(name, found, headers)
                _shaped, pre_problems = _check_structure(scan, name)
                blank_rows = int(scan.blank.sum())
                progress(0.1, f"Membaca {name} ({fmt.number(src.size / 1e6, 0)} MB)")
                # only the mapped columns are kept; Nama, Nama Ortu, Alamat, RT, RW are never selected
                kept = sorted(i for c, i in found.items() if c not in PII or c == "nik")
                table = _read_csv(buf, scan, kept, name)
                del scan
        else:
            headers, table, blank_rows = _xlsx_rows(src, sheet)
            found = map_columns(headers)
            _require(name, found, headers)
        con.register("raw", table)
        del table
        n_rows = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
        if n_rows == 0 and not pre_problems:
            raise ValidationError(f"Berkas {name} hanya berisi judul kolom, tanpa data; tidak ada yang diubah.")
        sample = _sample_marked(con, found, n_rows, name)
        progress(0.3, f"Mengurai {fmt.integer(n_rows)} baris")
        # areas: each distinct (kecamatan, kelurahan) pair is matched once, in Python
        kc = f"coalesce(trim(c{found['kec']}), '')"
        kl = f"coalesce(trim(c{found['kel']}), '')"
        pairs = con.execute(f"SELECT DISTINCT {kc} AS kec, {kl} AS kel FROM raw").df()  # noqa: S608 - fixed ids
        pairs["kec_code"] = [matcher.match_kecamatan(k) if k else None for k in pairs["kec"]]
        pairs["kel_code"] = [
            matcher.match_kelurahan(k, c) if (c and k) else None
            for k, c in zip(pairs["kel"], pairs["kec_code"], strict=True)
        ]
        con.register("area_src", pairs)
        con.execute("CREATE TEMP TABLE area_map AS SELECT * FROM area_src")
        con.unregister("area_src")
        # the NIK -> HMAC map, over distinct NIKs only (children recur every month)
        col = f"c{found['nik']}" if "nik" in found else "NULL::VARCHAR"
        con.execute(
            f"CREATE TEMP TABLE nik_keys AS SELECT d, {privacy.HMAC_SQL.format(col='d')} AS k FROM "  # noqa: S608
            f"(SELECT DISTINCT regexp_replace(coalesce({col}, ''), '[^0-9]', '', 'g') AS d FROM raw) "
            "WHERE length(d) = 16",
            {"ipad": ipad, "opad": opad},
        )
        df = con.sql(_typed_sql(found)).to_arrow_table().to_pandas()
        con.unregister("raw")
        con.execute("DROP TABLE nik_keys")
    finally:
        con.close()
    t_read = time.perf_counter() - t0
    progress(0.5, "Memeriksa baris")
    content_notes = _private_by_content(df, name, headers, found, matcher)
    result = _validate_rows(df, name, matcher, today or dt.date.today(), pre_problems)
    result.problems[:0] = content_notes
    result.stats.update(
        rows_total=int(n_rows) + len(pre_problems),
        rows_blank_ignored=blank_rows,
        rows_wrong_field_count=len(pre_problems),
        seconds_read=round(t_read, 3),
        file=name,
        sample=sample,
    )
    result.stats["seconds_parse"] = round(time.perf_counter() - t0, 3)
    progress(0.7, "Z-score dihitung")
    return result


def _private_by_content(
    df: pd.DataFrame, name: str, headers: list[str], found: dict[str, int], matcher: WilayahMatcher
) -> list[Problem]:
    """Privacy by content, whatever the headers say, for the text columns that are stored and
    shown (Puskesmas, Posyandu).

    A cell holding a long number (a NIK, KK or phone number) or text that does not read like a
    facility (:func:`kla.ingest.filecheck.facility_like`, unless the same text is on at least
    :data:`FACILITY_REPEAT_OK` rows, which one child's name is not) is set to empty in ``df``, so it
    is never stored, shown or exported; the rows are named in a file-level note, never the text.
    When more than half of a column's filled cells are such values, and they are many different
    ones (a person column: almost every row differs) or NIK-like, the file is refused naming the
    column: its header is probably swapped with NIK or Nama. Area columns need no rule here: a
    kecamatan or kelurahan is stored as the code of a known area or the row is rejected, and
    unmatched names are echoed only when close to a known one (:func:`kla.ingest.filecheck.area_echo`).
    """
    words = filecheck.name_words([*matcher.names.values(), *filecheck.known_puskesmas()])
    notes: list[Problem] = []
    for col in ("puskesmas", "posyandu"):
        if col not in found or col not in df.columns:
            continue
        label = fmt.plain(headers[found[col]], 40) or col
        values = df[col]
        filled = values.notna()
        n_filled = int(filled.sum())
        if not n_filled:
            continue
        counts = values[filled].value_counts()
        nik = {v for v in counts.index if filecheck.long_number(v)}
        person = {
            v
            for v, k in counts.items()
            if v not in nik and k < FACILITY_REPEAT_OK and not filecheck.facility_like(v, words)
        }
        bad = values.isin(nik | person).to_numpy(dtype=bool)
        n_bad, n_nik = int(bad.sum()), int(values.isin(nik).sum())
        if n_bad * 2 > n_filled and (len(person) + len(nik) >= 5 or n_nik * 2 > n_filled):
            what = "angka panjang seperti NIK" if n_nik * 2 > n_bad else "teks yang tampak seperti nama orang"
            raise ValidationError(
                f"Berkas {name}: kolom '{label}' sebagian besar berisi {what} ({fmt.integer(n_bad)} dari "
                f"{fmt.integer(n_filled)} baris terisi), bukan nama {col}. Mungkin judul kolom tertukar "
                "(mis. dengan NIK atau Nama). Isinya tidak ditampilkan dan tidak disimpan; periksa judul kolom "
                "lalu impor ulang. Tidak ada yang diubah.",
                [Problem(name, 1, label, f"isi kolom tampak seperti {'NIK' if 'NIK' in what else 'nama orang'}")],
            )
        if n_bad:
            rows = df["row_no"].to_numpy()[bad]
            notes.append(
                Problem(
                    name,
                    None,
                    label,
                    f"{fmt.integer(n_bad)} sel (mis. baris {_rows_text(rows)}) berisi angka seperti NIK atau teks yang "
                    f"tidak tampak seperti nama {col}; sel itu dikosongkan, tidak disimpan dan tidak ditampilkan "
                    "(barisnya tetap diimpor)",
                )
            )
            df.loc[bad, col] = None
    return notes


def _sample_marked(con, found: dict[str, int], n_rows: int, name: str) -> bool:
    """True when every row carries the DATA CONTOH marker of kla/sample_nutrition.py.

    The ``Keterangan`` text itself is never returned, only the count of marked rows.
    """
    if "keterangan" not in found or n_rows == 0:
        return False
    col = f"c{found['keterangan']}"
    (marked,) = con.execute(
        f"SELECT count(*) FILTER (upper(ltrim(coalesce({col}, ''))) LIKE ?) FROM raw",  # noqa: S608 - fixed id
        [_SAMPLE_PREFIX + "%"],
    ).fetchone()
    if marked == 0:
        return False
    if marked < n_rows:
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(marked)} dari {fmt.integer(n_rows)} baris bertanda {_SAMPLE_PREFIX} di kolom "
            f"{SAMPLE_MARKER_COLUMN}, sisanya tidak. Data contoh (dari kla/sample_nutrition.py) dan data nyata "
            "tidak boleh dicampur dalam satu impor; pisahkan berkasnya. Tidak ada yang diubah.",
            [Problem(name, None, SAMPLE_MARKER_COLUMN, "data contoh bercampur dengan data nyata")],
        )
    return True


def _id(x: float) -> str:
    """Number as Indonesians write it: decimal comma; an absurd one (``1e308``) in short form."""
    if np.isfinite(x) and abs(x) >= 1e9:
        return f"{x:.3g}".replace(".", ",")
    return fmt.number(x)


HIDDEN = "(tidak ditampilkan)"


def _area(value: object, known: list[str]) -> str:
    """An unmatched area cell in a message: quoted when close to a known name, otherwise hidden."""
    shown = filecheck.area_echo(value, known)
    return f"'{shown}'" if shown else "(isinya tidak ditampilkan: tidak mirip nama wilayah mana pun)"


_SHORT_CODE = re.compile(r"[A-Za-z0-9.]{1,3}")


def _sex_message(value: object) -> str:
    """Echo the JK cell only when it is shaped like a code (≤ 3 letters/digits): a longer text may
    be part of a name shifted into the column."""
    text = "" if value is None or pd.isna(value) else str(value).strip()
    if not text:
        return "kode jenis kelamin kosong (pakai L atau P)"
    if _SHORT_CODE.fullmatch(text):
        return f"kode jenis kelamin '{text}' tidak dikenal (pakai L atau P)"
    return "kode jenis kelamin: nilai tidak dikenal (pakai L atau P; isinya tidak ditampilkan)"


def _validate_rows(
    df: pd.DataFrame,
    name: str,
    matcher: WilayahMatcher,
    today: dt.date,
    pre_problems: list[Problem] | None = None,
) -> ParsedExport:
    """Row checks on the typed frame (vectorised); one problem per rejected row, the first found.

    ``pre_problems`` are rows rejected before parsing (field count not matching the header):
    they count as rejected rows of the file.
    """
    n = len(df)
    row_no = df["row_no"].to_numpy()
    bad = np.zeros(n, dtype=bool)
    problems: list[Problem] = list(pre_problems or [])

    def report(mask: np.ndarray, column: str, message: Callable[[int], str] | str) -> None:
        nonlocal bad
        mask = np.asarray(mask, dtype=bool) & ~bad
        for i in np.flatnonzero(mask):
            problems.append(Problem(name, int(row_no[i]), column, message(i) if callable(message) else message))
        bad |= mask

    sex = df["sex"].to_numpy()
    jk = df["jk"]
    report(sex == 0, "JK", lambda i: _sex_message(jk.iloc[i]))

    mdate = df["measure_date"]
    report(mdate.isna().to_numpy(), "Tanggal Pengukuran", "tanggal pengukuran kosong atau tidak terbaca")
    out_of_range = ((mdate < pd.Timestamp("2000-01-01")) | (mdate > pd.Timestamp(today))).to_numpy(dtype=bool)
    report(
        out_of_range,
        "Tanggal Pengukuran",
        lambda i: f"tanggal pengukuran {mdate.iloc[i].date()} di luar rentang 2000 s.d. hari ini",
    )
    has_birth = df["has_birth"].to_numpy(dtype=bool)
    report(has_birth & ~df["birth_ok"].to_numpy(dtype=bool), "Tgl Lahir", "tanggal lahir tidak terbaca")
    age = df["age_days"].to_numpy(dtype=float, na_value=np.nan)
    report(np.isnan(age), "Tgl Lahir", "tanggal lahir dan usia saat ukur kosong")
    report(age < 0, "Tgl Lahir", "tanggal lahir sesudah tanggal pengukuran")
    report(
        age > anthro.MAX_AGE_DAYS,
        "Tgl Lahir",
        lambda i: f"usia {age[i] / anthro.DAYS_PER_MONTH:.0f} bulan: lebih dari 60 bulan (bukan balita)",
    )

    w = df["weight_kg"].to_numpy(dtype=float, na_value=np.nan)
    h = df["height_cm"].to_numpy(dtype=float, na_value=np.nan)
    report(np.isnan(w), "Berat", "berat kosong atau bukan angka")
    report(
        (w <= WEIGHT_RANGE[0]) | (w > WEIGHT_RANGE[1]),
        "Berat",
        lambda i: f"berat {_id(w[i])} kg di luar rentang wajar {_id(WEIGHT_RANGE[0])}–{_id(WEIGHT_RANGE[1])} kg",
    )
    report(np.isnan(h), "Tinggi", "tinggi/panjang kosong atau bukan angka")
    report(
        (h < HEIGHT_RANGE[0]) | (h > HEIGHT_RANGE[1]),
        "Tinggi",
        lambda i: f"tinggi {_id(h[i])} cm di luar rentang wajar {_id(HEIGHT_RANGE[0])}–{_id(HEIGHT_RANGE[1])} cm",
    )

    kec_code = df["kec_code"]
    kel_code = df["kel_code"]
    unknown_kec = kec_code.isna().to_numpy()
    unknown_kel = ~unknown_kec & kel_code.isna().to_numpy()
    miss = unknown_kec | unknown_kel
    known = list(matcher.names.values())
    shown = {v: filecheck.area_echo(v, known) or HIDDEN for v in {*df["kec"][miss], *df["kel"][miss]}}
    unmatched = (
        pd.DataFrame(
            {"kecamatan": df["kec"][miss].map(shown), "kelurahan": df["kel"][miss].map(shown), "row": row_no[miss]}
        )
        .groupby(["kecamatan", "kelurahan"], sort=False)["row"]
        .agg(rows="count", first_rows=lambda r: [int(x) for x in r.head(5)])
        .reset_index()
        .sort_values("rows", ascending=False, kind="stable")
    )
    report(unknown_kec, "Kec", lambda i: f"kecamatan {_area(df['kec'].iloc[i], known)} tidak dikenal")
    report(
        unknown_kel,
        "Desa/Kel",
        lambda i: (
            f"kelurahan {_area(df['kel'].iloc[i], known)} tidak ada di Kecamatan "
            f"{matcher.names.get(kec_code.iloc[i], kec_code.iloc[i])}"
        ),
    )

    # duplicates among the rows still valid: a row rejected for a bad value keeps its own problem
    # and does not make the corrected row for the same child and date a duplicate
    group = df["dup_group"].to_numpy(dtype=np.int64)
    first = np.full(int(group.max()) + 1 if n else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, group[~bad], row_no[~bad].astype(np.int64))
    first = first[group]
    rejected = bad.copy()
    report(first < row_no, "NIK", lambda i: f"duplikat dari baris {int(first[i])} (anak dan tanggal ukur sama)")
    # each rejected row whose child and date has an accepted row names it, so the report shows both
    kept = np.flatnonzero(rejected & (first != np.iinfo(np.int64).max))
    if kept.size:
        accepted = {int(row_no[i]): int(first[i]) for i in kept}
        problems[:] = [
            replace(p, message=f"{p.message} (baris {accepted[p.row]}, anak dan tanggal ukur yang sama, diterima)")
            if p.row in accepted
            else p
            for p in problems
        ]

    problems.sort(key=lambda p: p.row or 0)
    n_pre = len(pre_problems or [])
    n_bad = int(bad.sum()) + n_pre
    n_all = n + n_pre
    nik_state = df["nik_state"].to_numpy()
    stats = {
        "rows_rejected": n_bad,
        "rows_accepted": n_all - n_bad,
        "nik_missing": int((nik_state == 0).sum()),
        "nik_invalid": int((nik_state == 2).sum()),
        "unmatched_areas": unmatched.to_dict("records"),
    }
    if n_all and n_bad / n_all > MAX_BAD_SHARE or n_bad == n_all:
        raise ValidationError(
            f"Berkas {name}: {fmt.integer(n_bad)} dari {fmt.integer(n_all)} baris "
            f"({n_bad / max(n_all, 1):.0%}) ditolak, lebih dari batas "
            f"{MAX_BAD_SHARE:.0%}. Perbaiki berkasnya lalu impor ulang; tidak ada yang diubah.",
            problems,
        )

    ok = ~bad
    g = df.loc[ok].reset_index(drop=True)
    position = g["position"].fillna("").to_numpy(dtype=object)
    z = anthro.zscores(sex[ok], age[ok], w[ok], h[ok], position)
    md = g["measure_date"]
    out = pd.DataFrame(
        {
            "row_no": g["row_no"].astype("int64"),
            "child_key": g["child_key"],
            "sex": pd.array(np.where(sex[ok] == 1, "L", "P"), dtype="str"),
            "measure_date": md.dt.normalize(),
            "period": md.dt.to_period("M").dt.start_time,
            "age_days": np.floor(age[ok] + 0.5).astype("int64"),
            "weight_kg": w[ok],
            "height_cm": h[ok],
            "position": g["position"],
            "height_adj_cm": z["height_adj_cm"],
            "muac_cm": g["muac_cm"],
            "kecamatan_code": g["kec_code"],
            "kelurahan_code": g["kel_code"],
            "puskesmas": g["puskesmas"],
            "posyandu": g["posyandu"],
        }
    )
    for k in ("haz", "waz", "whz", "baz"):
        out[k] = z[k]
    for k in ("haz", "waz", "whz", "baz"):
        out[f"flag_{k}"] = z[f"flag_{k}"]
    for k in ("haz", "waz", "whz"):
        out[f"class_{k}"] = z[f"class_{k}"].astype("str")

    disagree = {}
    for k in ("haz", "waz", "whz"):
        exp = g[f"export_{k}"].to_numpy(dtype=float, na_value=np.nan)
        mine = z[k].to_numpy()
        both = np.isfinite(exp) & np.isfinite(mine)
        diff = np.where(both, np.abs(exp - mine), np.nan)
        disagree[k] = {
            "compared": int(both.sum()),
            "over_0_1": int((diff > ZSCORE_DISAGREE).sum()),
            "max_abs_diff": float(np.nanmax(diff)) if both.any() else None,
        }
    stats["export_zscore_disagreement"] = disagree
    stats["implausible"] = {k: int(z[f"flag_{k}"].sum()) for k in ("haz", "waz", "whz")}
    stats["position_unknown"] = int((position == "").sum())
    stats["periods"] = sorted(pd.DatetimeIndex(out["period"].unique()).strftime("%Y-%m"))
    return ParsedExport(out, problems, stats)
