"""``python -m kla zscore``: WHO z-scores and Permenkes categories for a plain CSV table.

:func:`zscore_csv` reads a table of text cells (``sex``, ``age_days`` or ``birth_date`` +
``measure_date``, ``weight_kg``, ``height_cm``, optional ``position``), computes the z-scores with
the engine of :mod:`kla.core.anthro` and writes the table back with ``haz, waz, whz``, their flags
and categories. Values are parsed once per distinct text, and every kind of value that makes a
result empty is reported as one Indonesian warning line naming the rows.

Runs without pandas or DuckDB, so the command starts fast: pyarrow reads a simple file and writes
the output, the csv module reads the others (it knows the row number of every record).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from kla.core.anthro import (
    BOY_CODES,
    CLASSES,
    DAYS_PER_MONTH,
    GIRL_CODES,
    LYING_CODES,
    MAX_AGE_MONTHS,
    STANDING_CODES,
    zscore_arrays,
)
from kla.core.errors import Problem, ValidationError
from kla.ingest.tabular import readable_file

ZSCORE_INPUT = ("sex", "weight_kg", "height_cm")
#: row numbers listed as examples in a ``zscore`` warning
ZSCORE_EXAMPLES = 5
#: output columns added by ``python -m kla zscore``
ZSCORE_OUTPUT = ("haz", "waz", "whz")
ZSCORE_DECIMALS = 3

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_BOYS, _GIRLS = frozenset(BOY_CODES), frozenset(GIRL_CODES)
_LYING, _STANDING = frozenset(LYING_CODES), frozenset(STANDING_CODES)


def _rows(mask: np.ndarray, numbers: np.ndarray | None = None) -> str:
    """``"2, 5, 9"``: file row numbers (header = row 1) of the first rows in ``mask``."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(int(numbers[i] if numbers is not None else i + 2)) for i in idx[:ZSCORE_EXAMPLES])
    return shown + (", …" if idx.size > ZSCORE_EXAMPLES else "")


def _per_value(col, fn, dtype) -> np.ndarray:
    """``fn`` applied to each *distinct* text of a pyarrow string column, spread back to the rows.

    A column of 200,000 weights has a few hundred distinct texts, so the Python work is per
    distinct value, not per row."""
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    enc = col.dictionary_encode()
    values = np.array([fn(v) for v in enc.dictionary.to_pylist()], dtype=dtype)
    if len(values) == 0:
        return np.zeros(len(col), dtype=dtype)
    return values[_from_arrow(enc.indices)]


# pyarrow imports pandas as soon as it converts to or from numpy (pa.array, to_numpy): these two
# go through the buffers instead, so `python -m kla zscore` never loads pandas
def _from_arrow(arr) -> np.ndarray:
    """A numeric pyarrow array without nulls as a numpy view of its buffer."""
    dtype = np.dtype(f"i{arr.type.bit_width // 8}")  # dictionary indices: signed integers
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize)


def _to_arrow(values: np.ndarray, null: np.ndarray | None = None):
    """A numeric numpy array as a pyarrow array (null where ``null``), sharing its memory."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    validity, nulls = None, 0
    if null is not None and null.any():
        validity, nulls = pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), len(values), [validity, pa.py_buffer(values)], null_count=nulls
    )


def _text_array(offsets: np.ndarray, data: np.ndarray, null: np.ndarray | None = None):
    """A pyarrow string array from int32 ``offsets`` (n + 1) and the uint8 bytes ``data``."""
    import pyarrow as pa

    n = len(offsets) - 1
    validity, nulls = None, 0
    if null is not None and null.any():
        validity, nulls = pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls
    )


def _texts(values) -> object:
    """A short list of Python strings as a pyarrow string array."""
    raw = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(raw) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in raw], out=offsets[1:])
    return _text_array(offsets, np.frombuffer(b"".join(raw) or b" ", dtype=np.uint8)[: offsets[-1]].copy())


def _number(text: str) -> float:
    """A plain decimal number, point or comma (``"9,0"``); anything else is NaN."""
    t = text.strip().replace(",", ".")
    return float(t) if _NUMBER.fullmatch(t) else np.nan


def _iso_day(text: str) -> float:
    """Days since 1970-01-01 of an ISO ``YYYY-MM-DD`` date; NaN if empty, −inf if not such a date."""
    import datetime as dt

    t = text.strip()
    if not t:
        return np.nan
    try:
        return float((dt.datetime.strptime(t, "%Y-%m-%d").date() - dt.date(1970, 1, 1)).days)
    except ValueError:
        return -np.inf


def _sex_code(text: str) -> int:
    t = text.strip().lower()
    return 1 if t in _BOYS else 2 if t in _GIRLS else 0


def _position_code(text: str) -> int:
    """0 = empty, 1 = lying, 2 = standing, 3 = unknown code."""
    t = text.strip().lower()
    return 0 if not t else 1 if t in _LYING else 2 if t in _STANDING else 3


def _table_zscores(
    columns: dict,
    *,
    name: str,
    notes: list[str],
    row_numbers: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """:func:`zscore_arrays` for text columns (pyarrow string arrays keyed by their header).

    Appends to ``notes`` one Indonesian line per kind of value that made a result empty or was
    ignored; each line names exactly the z-scores it leaves empty, decided by the same masks the
    engine uses.
    """
    cols = {str(c).strip().lower(): c for c in columns}
    missing = [c for c in ZSCORE_INPUT if c not in cols]
    if "age_days" not in cols and not {"birth_date", "measure_date"} <= set(cols):
        missing.append("age_days (atau birth_date + measure_date)")
    if missing:
        raise ValidationError(
            f"{name}: kolom wajib tidak ada: {', '.join(missing)}",
            [Problem(name, 1, c, "kolom wajib tidak ada") for c in missing],
        )

    def rows_of(mask: np.ndarray) -> str:
        return _rows(mask, row_numbers)

    def col(c: str):
        return columns[cols[c]]

    no_age_note = "haz dan waz kosong; whz tetap dihitung tanpa umur (tabel menurut posisi, atau panjang < 87 cm)"
    if "age_days" in cols:
        age = _per_value(col("age_days"), _number, float)
        bad = np.isnan(age)
        if bad.any():
            notes.append(
                f"age_days: {int(bad.sum()):,} baris kosong atau bukan angka (baris {rows_of(bad)}); {no_age_note}"
            )
    else:
        days = {}
        for c in ("birth_date", "measure_date"):
            d = _per_value(col(c), _iso_day, float)
            bad = np.isneginf(d)
            if bad.any():
                notes.append(
                    f"{c}: {int(bad.sum()):,} baris bukan tanggal ISO YYYY-MM-DD (baris {rows_of(bad)}); {no_age_note}"
                )
            empty = np.isnan(d)
            if empty.any():
                notes.append(f"{c}: {int(empty.sum()):,} baris kosong (baris {rows_of(empty)}); {no_age_note}")
            days[c] = np.where(bad, np.nan, d)
        age = days["measure_date"] - days["birth_date"]
    with np.errstate(invalid="ignore"):
        negative = age < 0
        old = age / DAYS_PER_MONTH >= MAX_AGE_MONTHS  # the engine's bound, on the unrounded age
    if negative.any():
        notes.append(
            f"usia negatif (tanggal lahir sesudah tanggal ukur, atau age_days < 0): {int(negative.sum()):,} baris "
            f"(baris {rows_of(negative)}); z-score kosong"
        )
    if old.any():
        notes.append(
            f"usia 60 bulan atau lebih (age_days / 30,4375 ≥ 60, tanpa pembulatan): {int(old.sum()):,} baris "
            f"(baris {rows_of(old)}); z-score kosong"
        )
    sex = _per_value(col("sex"), _sex_code, np.int8)
    if (sex == 0).any():
        notes.append(
            f"sex: {int((sex == 0).sum()):,} baris bukan L/P/M/F/1/2 (baris {rows_of(sex == 0)}); z-score kosong"
        )
    measures = {}
    for c, blank in (("weight_kg", "waz dan whz kosong"), ("height_cm", "haz dan whz kosong")):
        v = _per_value(col(c), _number, float)
        bad = np.isnan(v)
        if bad.any():
            notes.append(f"{c}: {int(bad.sum()):,} baris kosong atau bukan angka (baris {rows_of(bad)}); {blank}")
        with np.errstate(invalid="ignore"):
            low = v <= 0
        if low.any():
            notes.append(f"{c}: {int(low.sum()):,} baris nol atau negatif (baris {rows_of(low)}); {blank}")
        measures[c] = v
    pos = None
    if "position" in cols:
        code = _per_value(col("position"), _position_code, np.int8)
        pos = np.array(["", "L", "H", ""], dtype=object)[code]
        unknown = code == 3
        if unknown.any():
            notes.append(
                f"position: {int(unknown.sum()):,} baris dengan kode tak dikenal (baris {rows_of(unknown)}); "
                "dianggap posisi yang biasa untuk usianya (terlentang < 24 bulan, berdiri sesudahnya)"
            )
    return zscore_arrays(sex, age, measures["weight_kg"], measures["height_cm"], pos)


def _fixed(z: np.ndarray, decimal: str):
    """z-scores as text with :data:`ZSCORE_DECIMALS` decimals (``-0.634``; ``decimal`` ","
    gives ``-0,634``), null where NaN: the digits of ``"%.3f" % round(z, 3)`` (except that a
    value rounding to zero has no minus sign), written digit by digit into one byte buffer with
    numpy instead of one Python format call per value."""
    d = ZSCORE_DECIMALS
    ok = np.isfinite(z)
    q = np.rint(np.where(ok, z, 0.0) * 10**d).astype(np.int64)
    neg = ok & (q < 0)
    whole, frac = np.divmod(np.abs(q), 10**d)
    digits = np.ones(len(z), dtype=np.int64)  # digits of the whole part
    rest = whole // 10
    while rest.any():
        digits += rest > 0
        rest //= 10
    length = np.where(ok, neg + digits + 1 + d, 0)
    offsets = np.zeros(len(z) + 1, dtype=np.int32)
    np.cumsum(length, out=offsets[1:])
    buf = np.zeros(int(offsets[-1]), dtype=np.uint8)
    first = offsets[:-1].astype(np.int64) + neg  # position of the first digit
    buf[offsets[:-1][neg]] = ord("-")
    rest = whole.copy()
    for k in range(int(digits[ok].max()) if ok.any() else 0):
        at = ok & (k < digits)
        buf[(first + digits - 1 - k)[at]] = 48 + rest[at] % 10
        rest //= 10
    point = first + digits
    buf[point[ok]] = ord(decimal)
    for k in range(d):
        buf[(point + 1 + k)[ok]] = 48 + (frac[ok] // 10 ** (d - 1 - k)) % 10
    return _text_array(offsets, buf, ~ok)


_DECIMAL_COMMA = re.compile(r"\s*-?\d+,\d+\s*")
#: a line of a CSV that is empty or holds only separators and spaces
_BLANK_LINE = re.compile(r"^[ \t,;\r]*$", re.MULTILINE)


def _read_simple(raw: bytes, text: str, sep: str):
    """Fast path: the columns of a CSV with no quote character and no blank lines, parsed by
    pyarrow, or None when the file is not that simple (the csv-module path then reads it and
    reports row numbers). Every physical line after the header is one record, so a record's
    file row number is its index + 2."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if '"' in text or _BLANK_LINE.search(text.rstrip("\r\n")) is not None:
        return None
    header = text.split("\n", 1)[0].rstrip("\r").split(sep)
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. a row with another number of fields
        return None
    return [h.strip() for h in header], [table.column(c).combine_chunks() for c in names]


def zscore_csv(src, dst, *, warn=None) -> int:
    """Read a CSV (``,`` or ``;``, UTF-8), write it back with z-scores; returns the row count.

    Input columns: ``sex`` (L/P, M/F, 1/2), ``age_days`` (may be fractional) or ``birth_date`` +
    ``measure_date`` (ISO dates), ``weight_kg``, ``height_cm``, optional ``position``
    (L/terlentang, H/berdiri; empty = the usual position for the age). Numbers may use a decimal
    comma.

    The output is the input's columns as they were, then ``haz, waz, whz`` (3 decimals, empty
    where not computable), ``flag_haz, flag_waz, flag_whz`` (1 = implausible, else 0) and
    ``class_haz, class_waz, class_whz`` (Permenkes 2/2020 names; empty where not computable or
    implausible).

    ``warn`` receives one Indonesian line per kind of value that made a result empty or was
    ignored, with the number of rows, the first row numbers (header = row 1) and which z-scores
    are empty: dates that are not ISO or empty and ages that are empty (no age: only ``whz``),
    negative ages and ages of 60 months or more (none), unknown sex codes (none), weights or
    heights that are empty, not numbers, zero or negative, and unknown position codes (treated as
    the usual position).

    It keeps the input's style: the same column separator, and a decimal comma when the input is
    ``;``-separated and writes its weights or heights with a decimal comma (as Excel does in
    Indonesia); otherwise a decimal point. Every failure is a
    :class:`~kla.core.errors.ValidationError` with an Indonesian message; no cell value is quoted.

    Runs without pandas: a file without quote characters or blank lines is parsed by pyarrow,
    others by the csv module (which knows the row number of every record); values are parsed once
    per distinct text; the output is written by pyarrow.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    src, dst = Path(src), Path(dst)
    name = src.name or str(src)
    readable_file(src, expect="tabel .csv")
    if dst.is_dir():
        raise ValidationError(f"Keluaran {dst} adalah folder; beri nama berkas, mis. {dst / 'hasil.csv'}.")
    if not dst.parent.is_dir():
        raise ValidationError(f"Folder keluaran {dst.parent} tidak ada; buat dulu atau pilih folder lain.")
    try:
        raw = src.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{name} bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.") from None
    except OSError as exc:
        raise ValidationError(f"{name} tidak bisa dibaca ({exc.strerror or type(exc).__name__}).") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise ValidationError(f"{name} kosong: tidak ada judul kolom maupun data.")
    sep = ";" if first.count(";") > first.count(",") else ","
    simple = _read_simple(raw, text, sep)
    del raw
    if simple is not None:
        header, cells = simple
        numbers = np.arange(2, len(cells[0]) + 2, dtype=np.int64) if cells else np.zeros(0, np.int64)
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        rows, line_no = [], []
        try:
            for r in reader:
                if any(c.strip() for c in r):  # empty lines and rows of empty cells are skipped
                    rows.append(r)
                    line_no.append(reader.line_num)
        except csv.Error:
            raise ValidationError(
                f'{name} bukan CSV yang bisa dibaca: tanda kutip (") tidak ditutup atau salah letak, '
                f"sesudah baris {reader.line_num}.",
            ) from None
        header, body, numbers = rows[0], rows[1:], np.array(line_no[1:], dtype=np.int64)
        wrong = [i for i, r in enumerate(body) if len(r) != len(header)]
        if wrong:  # a shifted row would give another child's numbers; cell values are never quoted
            shown = ", ".join(str(numbers[i]) for i in wrong[:ZSCORE_EXAMPLES])
            raise ValidationError(
                f"{name}: {len(wrong):,} baris punya jumlah kolom berbeda dari judul ({len(header)} kolom), "
                f"mis. baris {shown}. Periksa pemisah kolom ({sep!r}) dan tanda kutip.",
                [Problem(name, int(numbers[i]), None, "jumlah kolom tidak sesuai header") for i in wrong[:200]],
            )
        header = [h.strip() for h in header]
        cells = [_texts(c) for c in zip(*body, strict=True)] or [_texts([]) for _ in header]
    del text
    n = len(numbers)
    if n == 0:
        raise ValidationError(f"{name} hanya berisi judul kolom, tanpa data.")
    columns = dict(zip(header, cells, strict=True))  # a repeated header name: the last column of that name
    notes: list[str] = []
    z = _table_zscores(columns, name=name, notes=notes, row_numbers=numbers)
    for line in notes:
        (warn or (lambda _m: None))(line)
    comma = sep == ";" and any(
        _per_value(c, lambda v: _DECIMAL_COMMA.fullmatch(v) is not None, bool).any()
        for h, c in zip(header, cells, strict=True)
        if h.lower() in ("weight_kg", "height_cm")
    )
    names, arrays = list(header), list(cells)

    def put(col: str, arr) -> None:  # a new column, or in place of an input column of that name
        if col in names:
            arrays[names.index(col)] = arr
        else:
            names.append(col)
            arrays.append(arr)

    for k in ZSCORE_OUTPUT:
        put(k, _fixed(z[k], "," if comma else "."))
    for k in ZSCORE_OUTPUT:
        put(f"flag_{k}", _to_arrow(z[f"flag_{k}"].astype(np.int8)))
    for k in ZSCORE_OUTPUT:
        code = z[f"code_{k}"]
        names_k = _texts(CLASSES[k])
        put(f"class_{k}", pa.DictionaryArray.from_arrays(_to_arrow(code, code < 0), names_k).dictionary_decode())
    try:
        if simple is not None:
            # no cell can hold a separator, quote or line break (the input had no quotes), so
            # pyarrow writes without quoting ("needed" would quote every text cell)
            with pa.OSFile(str(dst), "wb") as sink:
                sink.write((sep.join(names) + "\n").encode("utf-8"))
                pacsv.write_csv(
                    pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(names))]),
                    sink,
                    write_options=pacsv.WriteOptions(
                        include_header=False, delimiter=sep, quoting_style="none", batch_size=1 << 16
                    ),
                )
        else:  # cells may need quotes: the csv module quotes exactly those
            with open(dst, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, delimiter=sep, lineterminator="\n")
                w.writerow(names)
                w.writerows(zip(*(["" if v is None else v for v in a.to_pylist()] for a in arrays), strict=True))
    except (OSError, pa.ArrowException) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValidationError(f"Tidak bisa menulis {dst} ({reason}).") from None
    return n
