"""Upload diagnoses name the real problem (issue 12 §6): separators and broken spreadsheets.

Each file goes through the real importer entry points; the message must say what is wrong in
Indonesian, never an exception class name like "BadZipFile", and must not blame a separator that
is not in the file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kla.core.errors import ValidationError
from kla.core.wilayah import WilayahMatcher
from kla.ingest.eppgbm import parse_export
from kla.ingest.eppgbm_csv import separator_diagnosis
from kla.ingest.tabular import read_table
from tests.test_hostile_files import xlsx

KEY = b"k" * 48
MATCHER = WilayahMatcher(pd.DataFrame(columns=["code", "level", "name", "parent_code"]))


def _parse(data: bytes, name: str) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_export(data, matcher=MATCHER, key=KEY, name=name)
    return str(caught.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Nama,NIK,Tanggal Lahir", "koma (,)"),
        ("Nama\tNIK\tTanggal Lahir", "tab"),
        ("Nama|NIK|Tanggal Lahir", "garis tegak (|)"),
    ],
)
def test_a_separator_that_is_there_is_named(header: str, expected: str) -> None:
    assert expected in separator_diagnosis(header)


def test_a_header_without_any_separator_is_not_called_comma_separated() -> None:
    text = separator_diagnosis("NamaAnakTanpaPemisah")
    assert "koma" not in text and "tidak punya pemisah kolom" in text


def test_eppgbm_csv_without_separators_says_so() -> None:
    message = _parse(b"HanyaSatuKolom\nbaris1\nbaris2\n", "satu.csv")
    assert "tidak punya pemisah kolom" in message and "koma (,)" not in message


def test_eppgbm_csv_with_commas_says_commas() -> None:
    message = _parse(b"Nama,NIK,Berat\na,b,c\n", "koma.csv")
    assert "pemisah kolomnya koma (,)" in message


def _no_class_names(message: str) -> None:
    for name in ("BadZipFile", "KeyError", "ParseError", "InvalidFileException", "Traceback"):
        assert name not in message, message


def test_eppgbm_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    message = _parse(b"Nama;NIK\nx;y\n", "bukan.xlsx")
    _no_class_names(message)
    assert "tidak bisa dibaca sebagai XLSX" in message or "bukan" in message


@pytest.mark.parametrize("data", [b"PK\x03\x04 terpotong", b"bukan zip sama sekali"], ids=["truncated", "text"])
def test_table_xlsx_broken_is_explained_in_indonesian(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "nilai.xlsx"
    path.write_bytes(data)
    with pytest.raises(ValidationError) as caught:
        read_table(path)
    message = str(caught.value)
    _no_class_names(message)
    assert "bukan XLSX yang utuh" in message and "tidak ada yang diubah" in message.lower()


def test_table_xlsx_missing_sheet_part(tmp_path: Path) -> None:
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(xlsx({"A1": "x"}, sheet_part=False))  # the hostile-file suite's builder
    with pytest.raises(ValidationError) as caught:
        read_table(path)
    message = str(caught.value)
    _no_class_names(message)
    assert "sheet" in message and "tidak ada di berkas" in message


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (zipfile.BadZipFile("File is not a zip file"), "bukan XLSX yang utuh"),
        (KeyError("There is no item named 'xl/worksheets/sheet1.xml' in the archive"), "bagian berkas"),
        (ValueError("Max value is 14"), "tidak dikenali"),
    ],
)
def test_library_errors_become_indonesian_reasons(error: Exception, words: str) -> None:
    """The library's English text (which may quote a cell) never reaches the message."""
    from kla.ingest.filecheck import xlsx_unreadable

    message = xlsx_unreadable("data.xlsx", error)
    assert words in message and str(error) not in message
    _no_class_names(message)
