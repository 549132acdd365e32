"""Reading the CSV and XLSX files people actually send: encodings, delimiters, header rows.

Every failure becomes a :class:`~kla.errors.ValidationError` in Indonesian naming the file,
never a pandas traceback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kla import fmt
from kla.errors import Problem, ValidationError

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


def read_table(path: Path, *, expected: Iterable[str] = (), max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Read a CSV (``,`` or ``;``) or the single sheet of an XLSX as strings.

    Parameters
    ----------
    expected:
        column names (already normalised with :func:`norm_col`) used to detect a header
        that is not on the first row, so the message can say where it is.

    Returns
    -------
    DataFrame of ``str`` with normalised column names; row ``i`` of the frame is row
    ``i + 2`` of the file as a spreadsheet user counts (header is row 1).
    """
    import pandas as pd

    name = path.name
    if not path.exists():
        raise ValidationError(f"Berkas tidak ditemukan: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValidationError(
            f"Berkas {name} terlalu besar ({fmt.number(size / 1e6, 0)} MB; batas {fmt.number(max_bytes / 1e6, 0)} MB). "
            "Pecah per bulan atau per puskesmas; tidak ada yang diubah."
        )
    if size == 0:
        raise ValidationError(f"Berkas {name} kosong; tidak ada yang diubah.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ValidationError(f"Berkas {name} tidak bisa dibaca sebagai XLSX ({type(exc).__name__}).") from exc
        if len(sheets) != 1:
            raise ValidationError(
                f"Berkas {name} punya {len(sheets)} sheet ({', '.join(sheets)}); "
                "simpan data di satu sheet saja; tidak ada yang diubah."
            )
        grid = next(iter(sheets.values())).fillna("")
    elif suffix in (".csv", ".txt"):
        text, _ = decode_text(path.read_bytes(), name)
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)
    else:
        raise ValidationError(f"Jenis berkas {suffix or '(tanpa ekstensi)'} tidak didukung; gunakan .csv atau .xlsx.")
    if grid.empty or grid.shape[0] < 1:
        raise ValidationError(f"Berkas {name} kosong; tidak ada yang diubah.")
    header = [norm_col(c) for c in grid.iloc[0].tolist()]
    expected = set(expected)
    if expected and not expected & set(header):
        for r in range(1, min(len(grid), 20)):
            if expected & {norm_col(c) for c in grid.iloc[r].tolist()}:
                raise ValidationError(
                    f"Berkas {name}: judul kolom harus di baris 1, tetapi ditemukan di baris {r + 1}. "
                    "Hapus baris di atasnya lalu coba lagi; tidak ada yang diubah.",
                    [Problem(name, r + 1, None, "baris judul kolom tidak di baris 1")],
                )
    body = grid.iloc[1:].reset_index(drop=True)
    body.columns = header
    body = body.loc[:, [c != "" for c in header]]
    return body.map(lambda v: v.strip() if isinstance(v, str) else v)


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
