"""Monthly recap sheets: checks with row-level messages; bad files change nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kla.errors import ValidationError
from kla.nutrition import import_rekap
from kla.rekap import parse_period

HEAD = (
    "Periode;Kecamatan;Kelurahan;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
    "BB Kurang;BB Sangat Kurang"
)
GOOD = [
    "2024-06;Serang;Kagungan;1200;1000;40;12;30;4;35;5",
    "2024-06;Serang;Cipare;900;700;30;9;20;2;22;3",
    "2024-06;Kasemen;Kilasah;800;600;50;20;25;6;30;8",
    "2024-06;Taktakan;Kalang Anyar;500;420;10;2;8;1;9;1",
    "2024-06;Curug;Sukawana;300;280;6;1;4;0;5;0",
    "2024-06;Serang;Sukawana;310;300;5;1;3;0;4;0",
    "2024-06;Walantaka;Kelodran;400;350;8;2;6;1;7;1",
    "2024-06;Cipocok Jaya;Banjaragung;600;520;12;3;10;2;11;2",
    "2024-06;Kasemen;Margaluyu;700;640;45;15;20;3;25;4",
    "2024-06;Serang;Unyur;650;600;25;5;12;1;14;2",
    "2024-06;Serang;Kota Baru;450;400;15;4;9;1;10;1",
]


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write(tmp: Path, lines: list[str], name: str = "rekap.csv") -> Path:
    path = tmp / name
    path.write_text("\n".join([HEAD, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06", "2024-06-01"),
        ("06/2024", "2024-06-01"),
        ("Juni 2024", "2024-06-01"),
        ("jun 2024", "2024-06-01"),
        ("2024-13", None),
        ("00/2024", None),
        ("1999-05", None),
        ("Mei", None),
        ("2099-01", None),
    ],
)
def test_parse_period(text: str, expected: str | None) -> None:
    got = parse_period(text)
    assert (str(got) if got else None) == expected


def test_good_recap_imported(db_copy: Path, tmp_path: Path) -> None:
    rep = import_rekap(write(tmp_path, GOOD), db_copy)
    assert rep.rows_imported == 11 and not rep.problems
    con = duckdb.connect(str(db_copy), read_only=True)
    got = dict(con.execute("SELECT kelurahan_code, diukur FROM rekap").fetchall())
    con.close()
    assert got["36.73.04.1007"] == 280 and got["36.73.01.1008"] == 300  # two Sukawana, each in its kecamatan
    assert got["36.73.06.1005"] == 420  # alias Kalang Anyar


def test_recap_xlsx(db_copy: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame([r.split(";") for r in GOOD], columns=HEAD.split(";"))
    for c in frame.columns[3:]:
        frame[c] = frame[c].astype(int)
    path = tmp_path / "rekap.xlsx"
    frame.to_excel(path, index=False)
    assert import_rekap(path, db_copy).rows_imported == 11


BAD = {
    "sub-count above measured": ("2024-06;Serang;Kagungan;1200;100;90;20;0;0;0;0", "Pendek", "melebihi balita diukur"),
    "negative count": ("2024-06;Serang;Kagungan;1200;100;-1;0;0;0;0;0", "Pendek", "bukan bilangan bulat tidak negatif"),
    "fractional count": ("2024-06;Serang;Kagungan;1200;100;2,5;0;0;0;0;0", "Pendek", "bukan bilangan bulat"),
    "measured above target": ("2024-06;Serang;Kagungan;100;111;0;0;0;0;0;0", "Balita Diukur", "melebihi sasaran 100"),
    "not a real month": ("2024-13;Serang;Kagungan;1200;100;0;0;0;0;0;0", "Periode", "bukan bulan yang nyata"),
    "unknown kelurahan": ("2024-06;Serang;Antah;1200;100;0;0;0;0;0;0", "Kelurahan", "tidak ada di Kecamatan Serang"),
    "unknown kecamatan": ("2024-06;Antah;Kagungan;1200;100;0;0;0;0;0;0", "Kecamatan", "tidak dikenal"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_recap_row_alone_changes_nothing(case: str, db_copy: Path, tmp_path: Path) -> None:
    line, column, message = BAD[case]
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_rekap(write(tmp_path, [line]), db_copy)
    assert digest(db_copy) == before
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == column
    assert message in err.value.problems[0].message


@pytest.mark.parametrize("case", list(BAD))
def test_bad_recap_row_among_good_ones_skipped(case: str, db_copy: Path, tmp_path: Path) -> None:
    line, column, message = BAD[case]
    lines = [g.replace("2024-06", "2024-05") for g in GOOD[1:]] + [line]
    rep = import_rekap(write(tmp_path, lines), db_copy)
    assert rep.rows_imported == 10 and [(p.row, p.column) for p in rep.problems] == [(12, column)]


def test_duplicate_area_month_and_missing_columns(db_copy: Path, tmp_path: Path) -> None:
    rep = import_rekap(write(tmp_path, GOOD + [GOOD[0]]), db_copy)
    assert rep.rows_imported == 11 and "sudah ada di baris 2" in rep.problems[0].message
    before = digest(db_copy)
    bad = tmp_path / "kurang.csv"
    bad.write_text("Periode;Kecamatan;Kelurahan;Balita Diukur\n2024-06;Serang;Kagungan;10\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="kolom wajib tidak ditemukan: Pendek, Sangat Pendek"):
        import_rekap(bad, db_copy)
    cp = tmp_path / "ansi.csv"
    cp.write_bytes((HEAD + "\n2024-06;Serang;Kagungan é;1;1;0;0;0;0;0;0\n").encode("cp1252"))
    with pytest.raises(ValidationError, match="bukan teks UTF-8"):
        import_rekap(cp, db_copy)
    assert digest(db_copy) == before


def test_recap_idempotent(db_copy: Path, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    import_rekap(path, db_copy)
    before = digest(db_copy)
    assert import_rekap(path, db_copy).status == "already-imported"
    assert digest(db_copy) == before
