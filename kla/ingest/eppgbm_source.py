"""An e-PPGBM export before it is parsed: where it comes from, and the file-level checks.

An export can be a file on disk or its bytes in memory (an upload): :func:`check_source` takes
either and returns a :class:`SourceInfo`, through which the readers see the content without a
copy (:meth:`SourceInfo.buffer`). Nothing of the export is ever written to disk here. The checks
run before anything is hashed or parsed, so an absurd file is refused in milliseconds
(:mod:`kla.ingest.filecheck` holds the checks shared with the other readers).
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kla.core import fmt
from kla.core.errors import Problem, ValidationError
from kla.ingest import filecheck
from kla.ingest.tabular import readable_file

#: An export on disk, or its bytes in memory (e.g. an upload; give ``name`` as well).
Source = Path | str | bytes | bytearray | memoryview

#: Files above this size are refused before reading (``KLA_MAX_IMPORT_BYTES`` overrides).
MAX_FILE_BYTES = 1024**3
#: A CR-only CSV is converted in memory (a copy), so only up to this size.
MAX_CR_ONLY_BYTES = 512 * 1024**2
#: Excel's own row limit.
XLSX_MAX_ROWS = 1_048_576

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


def _gb(n: int) -> str:
    return f"{n / 1024**3:.2f} GB".replace(".", ",") if n >= 1024**3 else f"{n / 1024**2:.0f} MB"
