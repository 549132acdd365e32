"""Checks on an uploaded file before any parser sees it: every upload is treated as hostile.

Used by the e-PPGBM reader (:mod:`kla.ingest.eppgbm`) and the generic CSV/XLSX reader
(:mod:`kla.ingest.tabular`, for recap and score files). Everything here reads only a few kilobytes or
the zip directory, so an absurd file is refused in milliseconds, before memory is spent on it.

What is refused, and why
------------------------
* **Text that is not 8-bit text** (:func:`sniff_text`): UTF-16/UTF-32 (with or without a byte
  order mark; without one it is recognised by the pattern of NUL bytes), other binary content,
  and an XLSX/XLS workbook saved under a ``.csv`` name. UTF-16 is *decoded* by the small-file
  reader (:mod:`kla.ingest.tabular`) and refused with how to re-save it by the e-PPGBM reader.
* **CR-only line endings** (Excel's "CSV (Macintosh)") are recognised (:func:`cr_only`) so the
  readers can turn them into ``\\n`` instead of reading the whole file as one line.
* **XLSX limits** (:func:`check_xlsx`), all from the zip directory and the first bytes of each
  part, before openpyxl opens the workbook:

  - not a zip, or a zip whose parts expand more than :data:`MAX_RATIO` times (a zip bomb), or
    whose total expanded size is over the reader's limit;
  - ``xl/workbook.xml`` and its relations parsed with :mod:`defusedxml` (no DTD, no entity
    expansion: XML bombs are refused); a sheet whose part is missing is named;
  - the sheet's own ``<dimension ref="A1:XFD1048576"/>`` record, streamed from the zip without
    loading the sheet: more than :data:`MAX_COLUMNS` columns, more rows than the reader allows,
    or a used range far larger than the sheet's XML could hold (one cell in the last row of a
    16 KB file) is refused;
  - the shared-strings part over its limit.

A sheet whose ``dimension`` is absent or understates the range is still bounded while reading:
the readers ask openpyxl for at most :data:`MAX_COLUMNS` columns and stop at the row limit.

Messages name the file and the part, and never quote a cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kla.core import fmt
from kla.core.errors import Problem, ValidationError

#: Columns a header may have; e-PPGBM exports have about 31, recap and score sheets about 12.
MAX_COLUMNS = 200
#: Characters in one cell: Excel's own limit, so a longer cell did not come from a spreadsheet.
#: Also well under Python's csv field limit (131,072), which used to end in a traceback.
MAX_CELL_CHARS = 32_767
#: Largest ratio of expanded to compressed size for a zip part over 1 MB (real sheets: 5-30).
MAX_RATIO = 200
#: Parts in a workbook zip (a real one has a few dozen).
MAX_PARTS = 5_000
#: Bytes of XML read for workbook.xml and its relations.
MAX_META_BYTES = 8 * 1024 * 1024
#: A used range declaring more rows than this per KB of sheet XML is absurd: a real row costs at
#: least ``<row r="1"><c r="A1"><v>1</v></c></row>`` (about 40 bytes).
MIN_SHEET_BYTES_PER_ROW = 10
#: Used ranges up to this many rows are accepted whatever the sheet size (empty formatted rows).
SMALL_RANGE_ROWS = 10_000

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letter(n: int) -> str:
    """1 -> ``A``, 28 -> ``AB``: how a spreadsheet user names a column."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


# ----------------------------------------------------------------------------- text files
def sniff_text(head: bytes, name: str) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` (the first KB of a CSV) is UTF-16, None for
    8-bit text; refuses UTF-32, workbooks saved as ``.csv`` and other binary content."""
    shown = fmt.plain(name, 80)
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise ValidationError(
            f"Berkas {shown} berpengodean UTF-32; simpan ulang dari Excel sebagai 'CSV UTF-8 (Comma delimited)'. "
            "Tidak ada yang diubah.",
            [Problem(shown, None, None, "pengodean UTF-32")],
        )
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be"
    if head.startswith(b"PK\x03\x04"):
        raise ValidationError(
            f"Berkas {shown} adalah buku kerja Excel (XLSX/zip) yang diberi nama .csv; ganti ekstensinya "
            "menjadi .xlsx atau simpan sebagai CSV. Tidak ada yang diubah.",
            [Problem(shown, None, None, "XLSX dengan ekstensi .csv")],
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            f"Berkas {shown} adalah buku kerja Excel 97-2003 (.xls); simpan sebagai .xlsx atau CSV UTF-8. "
            "Tidak ada yang diubah.",
            [Problem(shown, None, None, "format .xls lama")],
        )
    sample = head[:8192]
    if b"\x00" not in sample:
        return None
    half = max(len(sample) // 2, 1)
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    line = sample[: sample.index(b"\x00")].count(b"\n") + 1
    raise ValidationError(
        f"Berkas {shown} bukan teks (berisi byte NUL di baris {line}): mungkin berkas biner yang diberi "
        "nama .csv. Simpan ulang dari Excel sebagai 'CSV UTF-8'; tidak ada yang diubah.",
        [Problem(shown, line, None, "berkas biner, bukan CSV")],
    )


def cr_only(head: bytes) -> bool:
    """True when lines end with CR alone (Excel's "CSV (Macintosh)"): ``\\r`` present, ``\\n`` absent."""
    return b"\r" in head and b"\n" not in head


def utf16_refusal(name: str, encoding: str) -> ValidationError:
    shown = fmt.plain(name, 80)
    return ValidationError(
        f"Berkas {shown} berpengodean {encoding.upper()} (Unicode 16-bit, mis. 'Unicode Text' dari Excel). "
        "Simpan ulang dari Excel sebagai 'CSV UTF-8 (Comma delimited)' atau impor XLSX-nya; tidak ada yang diubah.",
        [Problem(shown, None, None, f"pengodean {encoding.upper()}")],
    )


def too_many_columns(name: str, row: int, n: int) -> ValidationError:
    shown = fmt.plain(name, 80)
    where = "judul kolom (baris 1)" if row == 1 else f"baris {row}"
    return ValidationError(
        f"Berkas {shown}: {where} punya {fmt.integer(n)} kolom; batasnya {MAX_COLUMNS}. Mungkin pemisah kolom "
        "berulang atau isi sel di kanan data; hapus kolom kosong di kanan lalu simpan ulang. Tidak ada yang diubah.",
        [Problem(shown, row, None, f"{fmt.integer(n)} kolom, batas {MAX_COLUMNS}")],
    )


def cell_too_long(name: str, row: int, column: str, n: int) -> ValidationError:
    shown = fmt.plain(name, 80)
    col = fmt.plain(column, 40)
    return ValidationError(
        f"Berkas {shown}: sel di baris {row}, kolom '{col}' panjangnya {fmt.integer(n)} karakter; batasnya "
        f"{fmt.integer(MAX_CELL_CHARS)} (batas sel Excel). Mungkin tanda kutip yang tidak ditutup; perbaiki sel "
        "itu. Tidak ada yang diubah.",
        [Problem(shown, row, col, f"sel {fmt.integer(n)} karakter, batas {fmt.integer(MAX_CELL_CHARS)}")],
    )


# ----------------------------------------------------------------------------- XLSX
@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str
    rows: int | None  # from the dimension record; None when the sheet has none
    columns: int | None


def _refuse(name: str, what: str, problem: str) -> ValidationError:
    shown = fmt.plain(name, 80)
    return ValidationError(f"Berkas {shown} {what} Tidak ada yang diubah.", [Problem(shown, None, None, problem)])


def _xml(zf: zipfile.ZipFile, part: str, name: str):
    import defusedxml.ElementTree as det
    from defusedxml import DefusedXmlException

    info = zf.getinfo(part)
    if info.file_size > MAX_META_BYTES:
        raise _refuse(name, f"punya bagian {part} yang terlalu besar ({fmt.integer(info.file_size)} byte).", "XLSX")
    try:
        return det.fromstring(zf.read(part))
    except DefusedXmlException:
        raise _refuse(
            name, f"berisi XML dengan DTD atau entitas ({part}), yang bisa dipakai sebagai bom XML.", "bom XML"
        ) from None
    except Exception:  # ParseError, zlib.error, BadZipFile, CRC errors …
        raise _refuse(name, f"rusak: bagian {part} tidak bisa dibaca sebagai XML.", "XLSX rusak") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _dimension(zf: zipfile.ZipFile, part: str, name: str) -> tuple[int | None, int | None]:
    """(rows, columns) of the sheet's ``<dimension ref=…>``, streamed: only the bytes before
    ``<sheetData>`` are read."""
    import defusedxml.ElementTree as det
    from defusedxml import DefusedXmlException

    try:
        with zf.open(part) as fh:
            for _event, el in det.iterparse(fh, events=("start",)):
                tag = _local(el.tag)
                if tag == "dimension":
                    ref = str(el.get("ref", "")).upper().split(":")
                    ends = [_REF.match(r) for r in ref]
                    if not ends or not all(ends):
                        return None, None
                    last = ends[-1]
                    first = ends[0]
                    rows = int(last.group(2)) - int(first.group(2)) + 1
                    cols = _col_number(last.group(1)) - _col_number(first.group(1)) + 1
                    # the far corner matters for memory, not the size of the box
                    return max(rows, int(last.group(2))), max(cols, _col_number(last.group(1)))
                if tag == "sheetData":
                    return None, None
    except DefusedXmlException:
        raise _refuse(name, f"berisi XML dengan DTD atau entitas ({part}).", "bom XML") from None
    except Exception:
        raise _refuse(name, f"rusak: sheet {part} tidak bisa dibaca sebagai XML.", "XLSX rusak") from None
    return None, None


def check_xlsx(
    source: Path | bytes | bytearray | memoryview,
    name: str,
    *,
    max_rows: int,
    max_expanded: int,
    max_shared_strings: int | None = None,
    sheet: str | None = None,
) -> list[SheetInfo]:
    """Refuse a hostile or broken XLSX before openpyxl reads it; return its sheets (name, part,
    declared size) in workbook order. ``sheet``: only that sheet's range is checked (if present)."""
    shown = fmt.plain(name, 80)
    try:
        fh = io.BytesIO(bytes(source)) if not isinstance(source, str | Path) else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise _refuse(name, f"tidak bisa dibuka ({exc.strerror or type(exc).__name__}).", "tidak terbaca") from None
    with fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise _refuse(
                name, "bukan XLSX yang utuh (bukan arsip zip; mungkin terpotong atau berkas lain).", "bukan XLSX"
            ) from None
        with zf:
            infos = zf.infolist()
            if len(infos) > MAX_PARTS:
                raise _refuse(name, f"berisi {fmt.integer(len(infos))} bagian zip; terlalu banyak.", "zip")
            total = sum(i.file_size for i in infos)
            if total > max_expanded:
                raise _refuse(
                    name,
                    f"mengembang menjadi {fmt.number(total / 1e6, 0)} MB saat dibuka (batas "
                    f"{fmt.number(max_expanded / 1e6, 0)} MB): terlalu besar atau bom zip.",
                    "ukuran setelah dibuka melebihi batas",
                )
            for i in infos:
                if i.file_size > 1_000_000 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                    raise _refuse(
                        name,
                        f"berisi bagian {fmt.plain(i.filename, 60)} yang mengembang "
                        f"{fmt.integer(i.file_size // max(i.compress_size, 1))} kali (bom zip?).",
                        "bom zip",
                    )
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise _refuse(name, "bukan buku kerja XLSX (xl/workbook.xml tidak ada).", "bukan XLSX")
            wb = _xml(zf, "xl/workbook.xml", name)
            rels: dict[str, str] = {}
            if "xl/_rels/workbook.xml.rels" in names:
                for rel in _xml(zf, "xl/_rels/workbook.xml.rels", name):
                    rels[str(rel.get("Id"))] = str(rel.get("Target", ""))
            sheets: list[SheetInfo] = []
            for el in wb.iter():
                if _local(el.tag) != "sheet":
                    continue
                rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
                target = rels.get(str(rid), "")
                part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                sheets.append(SheetInfo(str(el.get("name", "")), part, None, None))
            if not sheets:
                raise _refuse(name, "tidak berisi satu sheet pun.", "tanpa sheet")
            checked = []
            for s in sheets:
                if sheet is not None and s.name != sheet:
                    checked.append(s)
                    continue
                if s.part not in names:
                    raise ValidationError(
                        f"Berkas {shown} rusak: isi sheet '{fmt.plain(s.name, 40)}' ({fmt.plain(s.part, 60)}) "
                        "tidak ada di berkas. Buka dan simpan ulang di Excel; tidak ada yang diubah.",
                        [Problem(shown, None, None, "bagian sheet tidak ada")],
                    )
                rows, cols = _dimension(zf, s.part, name)
                size = zf.getinfo(s.part).file_size
                label = fmt.plain(s.name, 40)
                if cols is not None and cols > MAX_COLUMNS:
                    raise ValidationError(
                        f"Berkas {shown}: rentang terpakai sheet '{label}' sampai kolom {column_letter(cols)} "
                        f"({fmt.integer(cols)} kolom; batas {MAX_COLUMNS}). Hapus isi dan format kolom di kanan "
                        "data lalu simpan ulang; tidak ada yang diubah.",
                        [Problem(shown, None, column_letter(cols), f"{fmt.integer(cols)} kolom, batas {MAX_COLUMNS}")],
                    )
                if rows is not None and (
                    rows > max_rows or (rows > SMALL_RANGE_ROWS and rows * MIN_SHEET_BYTES_PER_ROW > size)
                ):
                    raise ValidationError(
                        f"Berkas {shown}: rentang terpakai sheet '{label}' sampai baris {fmt.integer(rows)}, "
                        f"padahal isinya hanya {fmt.number(size / 1024, 0)} KB (batas {fmt.integer(max_rows)} baris). "
                        "Hapus baris kosong atau berformat di bawah data (Ctrl+End menunjukkan sel terakhir) lalu "
                        "simpan ulang; tidak ada yang diubah.",
                        [Problem(shown, rows, None, "rentang terpakai sheet terlalu besar")],
                    )
                checked.append(SheetInfo(s.name, s.part, rows, cols))
            shared = "xl/sharedStrings.xml"
            limit = max_shared_strings if max_shared_strings is not None else max_expanded // 2
            if shared in names and zf.getinfo(shared).file_size > limit:
                raise _refuse(
                    name,
                    f"punya tabel teks (sharedStrings) {fmt.number(zf.getinfo(shared).file_size / 1e6, 0)} MB; "
                    f"batas {fmt.number(limit / 1e6, 0)} MB.",
                    "sharedStrings terlalu besar",
                )
    return checked


# ----------------------------------------------------------------------------- personal data by content
#: First two digits of a NIK: the province codes of Kemendagri (Papua's 2022 provinces included).
PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53]
    + [61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97]
)
#: Optional city file listing its puskesmas, one name per line, so a bare name (no "Puskesmas"
#: prefix) is known as a facility. A city is data: the list lives in the city folder, not here.
PUSKESMAS_FILE = "puskesmas.txt"


def known_puskesmas() -> tuple[str, ...]:
    """The selected city's puskesmas names (``<city folder>/puskesmas.txt``), or none."""
    from kla.core import config  # lazy: filecheck is imported by readers that need no config

    path = config.city_dir() / PUSKESMAS_FILE
    if not path.is_file():
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


_SEPARATORS = re.compile(r"[\s.\-'’/]")
_FACILITY = re.compile(
    r"^\s*(?:puskesmas|pukesmas|pkm|pusk|upt|uptd|posyandu|pos|psy|klinik|rs|rsud|pustu|poskesdes)\b", re.IGNORECASE
)
_NUMBER_TOKEN = re.compile(r"(?:^|\s)(?:\d{1,3}|[ivxlIVXL]{1,5})(?:\s|$)")


def _digits(text: object) -> str:
    return _SEPARATORS.sub("", str(text))


def looks_like_nik(text: object) -> bool:
    """16 digits (spaces, dots, dashes and a leading apostrophe ignored) starting with a province code."""
    d = _digits(text)
    return len(d) == 16 and d.isdigit() and int(d[:2]) in PROVINCE_CODES


def long_number(text: object) -> bool:
    """Ten or more digits and nothing else: a NIK, KK or phone number, never an area or facility name."""
    d = _digits(text)
    return len(d) >= 10 and d.isdigit()


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The words (3+ letters, lower case) of known area and puskesmas names."""
    words = set()
    for n in names:
        words.update(w for w in re.findall(r"[a-z]{3,}", str(n).lower()) if w not in {"kota", "kel", "kec", "desa"})
    return frozenset(words)


def facility_like(text: object, words: frozenset[str]) -> bool:
    """Whether a puskesmas or posyandu cell reads like a facility rather than a person.

    The rule (conservative, documented in README "Gizi anak: definisi dan privasi"): the text is a
    facility name when it starts with a facility word (Puskesmas, PKM, UPT, UPTD, Pusk., Posyandu,
    Pos, Pustu …), contains a word of a known kecamatan, kelurahan or puskesmas name (the city's puskesmas.txt),
    or has a stand-alone number or Roman numeral (``Mawar 3``, ``Melati II``). Anything else, e.g.
    ``Siti Aminah``, is treated as possibly a person's name. Limits: a posyandu called only by a
    flower name (``Dahlia``) fails the rule unless its cells repeat (the readers also accept a
    value seen on many rows, as a child's name is not); a person called like a kelurahan passes.
    """
    t = str(text).strip()
    if not t or long_number(t):
        return False
    if _FACILITY.match(t) or _NUMBER_TOKEN.search(t):
        return True
    return any(w in words for w in re.findall(r"[a-z]{3,}", t.lower()))


def area_echo(text: object, known: Iterable[str]) -> str | None:
    """An unmatched area cell, escaped, when it is close to a known area name (a misspelling worth
    showing); None otherwise, so a name or NIK typed into an area column is never echoed."""
    import difflib

    from kla.core.wilayah import normalise_name

    t = str(text or "").strip()
    if not t or long_number(t) or len(t) > 60:
        return None
    key = normalise_name(t)
    if not key:
        return None
    if difflib.get_close_matches(key, [normalise_name(k) for k in known], n=1, cutoff=0.75):
        return fmt.plain(t, 40)
    return None


def area_text(value: object, known: Iterable[str]) -> str:
    """An unmatched area cell as a message shows it: quoted when close to a known name
    (:func:`area_echo`), otherwise a note that it is hidden."""
    shown = area_echo(value, known)
    return f"'{shown}'" if shown else "(isinya tidak ditampilkan: tidak mirip nama wilayah mana pun)"


def xlsx_unreadable(name: str, exc: BaseException) -> str:
    """Indonesian reason a spreadsheet could not be read, from the library's exception.

    The exception's own text is never shown: openpyxl's messages are English and may quote a cell
    (which could hold a name or NIK). Only its kind decides the sentence.
    """
    import zipfile
    from xml.etree.ElementTree import ParseError

    if isinstance(exc, zipfile.BadZipFile):
        why = (
            "isinya bukan XLSX yang utuh (XLSX adalah arsip zip; berkas ini bukan zip, terpotong saat "
            "diunduh, atau sebenarnya CSV/XLS lama yang diberi akhiran .xlsx)"
        )
    elif isinstance(exc, KeyError):
        why = "salah satu bagian berkas (lembar kerja atau daftar teksnya) hilang; berkas rusak atau tidak lengkap"
    elif isinstance(exc, ParseError) or type(exc).__name__ in {"XMLSyntaxError", "DefusedXmlException"}:
        why = "isi lembar kerjanya (XML) rusak atau tidak aman"
    else:
        why = "formatnya tidak dikenali sebagai buku kerja Excel"
    return f"Berkas {name} tidak bisa dibaca sebagai XLSX: {why}. Simpan ulang dari Excel sebagai .xlsx"
