"""e-PPGBM import: real-world layout, privacy, bad input, atomicity and idempotency."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from kla.core import privacy
from kla.core.config import PROJECT_ROOT
from kla.core.errors import ValidationError
from kla.ingest import build
from kla.ingest.nutrition import import_eppgbm
from kla.read import records
from tests.cli import run_kla
from tests.fixtures.nutrition import (
    HEADER,
    address,
    child_name,
    csv_lines,
    good_rows,
    nik,
    parent_name,
    row,
    write_csv,
    write_lines,
    write_xlsx,
)

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_import_real_layout_and_variants(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(20)
    rows.append(row(100, kel="Kalang Anyar", kec="Taktakan", pkm="Taktakan"))  # alias spelling
    rows.append(row(101, kel="  sukawana ", kec="curug", pkm="Curug"))  # Sukawana exists twice
    rows.append(row(102, lahir="15/01/2022", ukur="10 Juni 2024"))  # other date formats
    rows.append(row(103, lahir="", ukur="2024-06-10", cara="Terlentang"))
    rows[-1][16] = "2 Tahun - 4 Bulan - 26 Hari"  # age from 'Usia Saat Ukur' when no birth date
    path = write_csv(tmp_path / "ekspor.csv", rows)
    rep = import_eppgbm(path, db_copy)
    assert rep.status == "imported" and rep.rows_imported == 24 and rep.rows_rejected == 0
    con = duckdb.connect(str(db_copy), read_only=True)
    got = con.execute(
        "SELECT row_no, kelurahan_code, kecamatan_code, age_days, measure_date::VARCHAR AS measure_date, position, "
        "height_cm FROM measurement WHERE source_id = ? ORDER BY row_no",
        [rep.source_id],
    ).df()
    con.close()
    by_row = got.set_index("row_no")
    assert by_row.loc[22, "kelurahan_code"] == "36.73.06.1005"  # Kalanganyar via alias
    assert by_row.loc[23, "kelurahan_code"] == "36.73.04.1007"  # Sukawana in Curug, not Serang
    assert by_row.loc[2, "kelurahan_code"] == "36.73.01.1012"  # Kagungan
    assert by_row.loc[24, "measure_date"] == "2024-06-10"
    assert by_row.loc[24, "age_days"] == by_row.loc[2, "age_days"]
    assert by_row.loc[2, "height_cm"] == pytest.approx(84.5)  # comma decimal
    assert by_row.loc[2, "position"] == "H" and by_row.loc[25, "position"] == "L"
    assert abs(by_row.loc[25, "age_days"] - (2 * 365.25 + 4 * 30.4375 + 26)) <= 1


def test_xlsx_single_sheet_and_several_sheets(db_copy: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame(good_rows(12), columns=HEADER)
    frame["Tgl Lahir"] = pd.to_datetime(frame["Tgl Lahir"])  # real date cells
    one = tmp_path / "satu.xlsx"
    frame.to_excel(one, index=False, sheet_name="Data")
    several = tmp_path / "banyak.xlsx"
    with pd.ExcelWriter(several) as xw:
        frame.to_excel(xw, index=False, sheet_name="Data")
        frame.head(2).to_excel(xw, index=False, sheet_name="Rekap")
    before = digest(db_copy)
    with pytest.raises(ValidationError, match="punya 2 sheet.*--sheet"):
        import_eppgbm(several, db_copy)
    assert digest(db_copy) == before
    rep = import_eppgbm(one, db_copy)
    assert rep.rows_imported == 12
    rep2 = import_eppgbm(several, db_copy, sheet="Data")
    assert rep2.rows_imported == 12


def test_no_identifier_reaches_the_database_bytes(db_copy: Path, tmp_path: Path) -> None:
    n = 60
    path = write_csv(tmp_path / "pii.csv", good_rows(n))
    rep = import_eppgbm(path, db_copy)
    assert rep.rows_imported == n
    raw = db_copy.read_bytes()
    for i in range(n):
        for secret in (nik(i), child_name(i), parent_name(i), address(i), child_name(i).split()[1]):
            assert secret.encode() not in raw, "an identifier was written to the database file"
            assert secret.encode("utf-16-le") not in raw
    assert os.environ["KLA_SECRET_KEY"].encode() not in raw
    # but children can be followed: the stored key is HMAC-SHA256 of the NIK
    con = duckdb.connect(str(db_copy), read_only=True)
    keys = {r[0] for r in con.execute("SELECT child_key FROM measurement").fetchall()}
    con.close()
    assert privacy.hmac_nik(nik(0), privacy.get_key(create=False)) in keys


def test_sql_hmac_matches_python_hmac() -> None:
    con = duckdb.connect()
    for key in (b"k", b"x" * 64, b"y" * 100, os.environ["KLA_SECRET_KEY"].encode()):
        ipad, opad = privacy.hmac_pads(key)
        expr = privacy.HMAC_SQL.format(col="v")
        for value in ("3673010101010001", "3604999999999999"):
            got = con.sql(f"SELECT {expr} FROM (SELECT $v AS v)", params={"v": value, "ipad": ipad, "opad": opad})  # noqa: S608
            assert got.fetchall()[0][0] == privacy.hmac_nik(value, key)


def test_key_generated_once_into_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLA_SECRET_KEY", raising=False)
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('other = "x"\n', encoding="utf-8")
    k1 = privacy.get_key(path=secrets)
    k2 = privacy.get_key(path=secrets)
    assert k1 == k2 and len(k1) == 64
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"
    assert 'other = "x"' in secrets.read_text()
    # and the project ignores the real secrets file
    assert ".streamlit/secrets.toml" in (PROJECT_ROOT / ".gitignore").read_text()


def test_messages_never_show_identifiers(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(40)
    rows[3][2] = "X"  # bad sex
    rows[5][21] = "300"  # bad weight
    rows[7][0] = "12345"  # NIK not 16 digits: kept, not linkable
    path = write_csv(tmp_path / "campur.csv", rows)
    rep = import_eppgbm(path, db_copy)
    text = "\n".join(str(p) for p in rep.problems) + str(rep.as_dict())
    for i in range(40):
        assert nik(i) not in text and child_name(i) not in text and parent_name(i) not in text
    assert rep.stats["nik_invalid"] == 1


# ----------------------------------------------------------------------------- bad input
BAD_ROWS = {
    "weight 0": (dict(berat="0"), "Berat", "berat"),
    "negative weight": (dict(berat="-4"), "Berat", "berat"),
    "weight 300 kg": (dict(berat="300"), "Berat", "300 kg di luar rentang"),
    "height 15 cm": (dict(tinggi="15"), "Tinggi", "15 cm di luar rentang"),
    "height 200 cm": (dict(tinggi="200"), "Tinggi", "200 cm di luar rentang"),
    "birth after measurement": (dict(lahir="2024-07-01"), "Tgl Lahir", "sesudah tanggal pengukuran"),
    "older than 60 months": (dict(lahir="2018-01-01"), "Tgl Lahir", "lebih dari 60 bulan"),
    "unknown kelurahan": (dict(kel="ANTAH BERANTAH"), "Desa/Kel", "tidak ada di Kecamatan Serang"),
    "unknown sex": (dict(jk="Q"), "JK", "jenis kelamin 'Q' tidak dikenal"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_row_alone_changes_nothing(case: str, db_copy: Path, tmp_path: Path) -> None:
    kw, column, message = BAD_ROWS[case]
    path = write_csv(tmp_path / "buruk.csv", [row(1, **kw)])
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_eppgbm(path, db_copy)
    assert digest(db_copy) == before
    assert any(p.row == 2 and p.column == column and message in p.message for p in err.value.problems), err.value
    assert "tidak ada yang diubah" in str(err.value)


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_row_among_good_rows_is_reported_and_skipped(case: str, db_copy: Path, tmp_path: Path) -> None:
    kw, column, message = BAD_ROWS[case]
    rows = good_rows(30)
    rows.insert(10, row(999, **kw))
    rep = import_eppgbm(write_csv(tmp_path / "campur.csv", rows), db_copy)
    assert rep.rows_imported == 30 and rep.rows_rejected == 1
    assert [(p.row, p.column) for p in rep.problems] == [(12, column)]
    assert message in rep.problems[0].message


def test_unmatched_areas_counted_with_rows(db_copy: Path, tmp_path: Path) -> None:
    """Counted with rows; the text is shown only when it is close to a known area name (a
    misspelling), so a child's name typed into an area column never reaches a message."""
    rows = good_rows(40)
    for i in (3, 9, 15):
        rows[i][11] = "Kebon Antah"
    rows[20][11] = "Kagungann"
    rep = import_eppgbm(write_csv(tmp_path / "x.csv", rows), db_copy)
    assert rep.stats["unmatched_areas"] == [
        {"kecamatan": "SERANG", "kelurahan": "(tidak ditampilkan)", "rows": 3, "first_rows": [5, 11, 17]},
        {"kecamatan": "SERANG", "kelurahan": "Kagungann", "rows": 1, "first_rows": [22]},
    ]
    assert not any("Kebon Antah" in str(p) for p in rep.problems)


def test_duplicated_rows(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows.append(list(rows[4]))
    rep = import_eppgbm(write_csv(tmp_path / "dup.csv", rows), db_copy)
    assert rep.rows_imported == 30
    assert [(p.row, p.column) for p in rep.problems] == [(32, "NIK")]
    assert "duplikat dari baris 6" in rep.problems[0].message
    before = digest(db_copy)
    with pytest.raises(ValidationError, match="ditolak"):
        import_eppgbm(write_csv(tmp_path / "dup2.csv", good_rows(3) + good_rows(3)), db_copy)
    assert digest(db_copy) == before


@pytest.mark.parametrize("bad_first", [True, False])
def test_rejected_row_does_not_make_its_correction_a_duplicate(bad_first: bool, db_copy: Path, tmp_path: Path) -> None:
    """A row typed with a bad weight and the corrected row for the same child and date: the bad
    one is rejected for its weight (naming the accepted row), the corrected one is imported and is
    not a 'duplicate' of the rejected one, whichever comes first in the file."""
    rows = good_rows(30)
    wrong = row(4, berat="300")  # child 4, same date, weight typed wrong
    rows.insert(4 if bad_first else 5, wrong)  # file row 6 (before the correct row 7) or row 7 (after row 6)
    bad_row, good_row = (6, 7) if bad_first else (7, 6)
    rep = import_eppgbm(write_csv(tmp_path / "koreksi.csv", rows), db_copy)
    assert rep.rows_imported == 30 and rep.rows_rejected == 1
    assert [(p.row, p.column) for p in rep.problems] == [(bad_row, "Berat")]
    message = rep.problems[0].message
    assert "300 kg di luar rentang" in message and f"baris {good_row}" in message and "diterima" in message
    assert "duplikat" not in message
    con = duckdb.connect(str(db_copy), read_only=True)
    got = con.execute(
        "SELECT row_no, weight_kg FROM measurement WHERE source_id = ? AND row_no IN (6, 7) ORDER BY row_no",
        [rep.source_id],
    ).fetchall()
    con.close()
    assert got == [(good_row, pytest.approx(11.2))]  # the correct row, with the weight of the fixture


def test_true_duplicate_after_a_rejected_row_is_still_a_duplicate(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows.insert(4, row(4, berat="300"))  # row 6: rejected for its weight
    rows.append(row(4))  # row 33: same child and date as the accepted row 7
    rep = import_eppgbm(write_csv(tmp_path / "dua.csv", rows), db_copy)
    assert rep.rows_imported == 30 and rep.rows_rejected == 2
    assert [(p.row, p.column) for p in rep.problems] == [(6, "Berat"), (33, "NIK")]
    assert "duplikat dari baris 7" in rep.problems[1].message


def _file_level(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cases: dict[str, tuple[Path, str]] = {}
    cases["wrong delimiter"] = (write_csv(tmp_path / "koma.csv", good_rows(3), sep=","), "pemisah kolomnya koma")
    cases["missing columns"] = (
        write_csv(tmp_path / "kurang.csv", [r[:21] for r in good_rows(3)], header=HEADER[:21]),
        "kolom wajib tidak ditemukan: Berat, Tinggi",
    )
    cases["windows-1252"] = (
        write_csv(
            tmp_path / "ansi.csv", good_rows(3) + [row(9, kel="KAGUNGAN", pkm="Puskesmas Ciruas é")], encoding="cp1252"
        ),
        "bukan teks UTF-8 (byte tak dikenal di baris 5",
    )
    empty = tmp_path / "kosong.csv"
    empty.write_bytes(b"")
    cases["empty file"] = (empty, "kosong")
    cases["header only"] = (write_csv(tmp_path / "judul.csv", []), "hanya berisi judul kolom")
    big = tmp_path / "besar.csv"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: 2 GB on paper, no disk used
    cases["2 GB file"] = (big, "terlalu besar (2,00 GB; batas 1,00 GB)")
    cases["not a csv"] = ((tmp_path / "data.pdf"), "tidak ditemukan")
    return cases


@pytest.mark.parametrize(
    "case",
    ["wrong delimiter", "missing columns", "windows-1252", "empty file", "header only", "2 GB file", "not a csv"],
)
def test_file_level_problems_change_nothing(case: str, db_copy: Path, tmp_path: Path) -> None:
    path, message = _file_level(tmp_path)[case]
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_eppgbm(path, db_copy)
    assert message in str(err.value)
    assert digest(db_copy) == before


def test_too_many_bad_rows_blocks_whole_file(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(20) + [row(200 + i, berat="0") for i in range(3)]  # 3/23 = 13% > 10%
    before = digest(db_copy)
    with pytest.raises(ValidationError, match=r"3 dari 23 baris \(13%\) ditolak, lebih dari batas 10%"):
        import_eppgbm(write_csv(tmp_path / "banyak_salah.csv", rows), db_copy)
    assert digest(db_copy) == before


def test_same_file_twice_is_idempotent(db_copy: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sekali.csv", good_rows(25))
    first = import_eppgbm(path, db_copy)
    n = count(db_copy, "SELECT count(*) FROM measurement")
    before = digest(db_copy)
    second = import_eppgbm(path, db_copy)
    assert second.status == "already-imported" and second.source_id == first.source_id
    assert digest(db_copy) == before
    assert count(db_copy, "SELECT count(*) FROM measurement") == n == 25
    assert count(db_copy, f"SELECT count(*) FROM provenance WHERE sha256 = '{first.sha256}'") == 1  # noqa: S608


def test_same_file_landing_meanwhile_is_caught_under_the_lock(
    db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports of one file at once both pass the early check; the writer checks again
    under the lock, so the second changes nothing and says "already imported"."""
    from kla.ingest import nutrition

    path = write_csv(tmp_path / "dua_kali.csv", good_rows(25))
    first = import_eppgbm(path, db_copy)
    before = digest(db_copy)
    monkeypatch.setattr(nutrition, "_already", lambda *a, **k: None)  # as if the first had not landed yet
    second = import_eppgbm(path, db_copy)
    assert second.status == "already-imported" and second.source_id == first.source_id
    assert digest(db_copy) == before
    assert count(db_copy, "SELECT count(*) FROM measurement") == 25


def test_exception_during_write_leaves_db_identical(db_copy: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gagal.csv", good_rows(25))
    before = digest(db_copy)

    def boom() -> None:
        raise RuntimeError("simulated crash after writing")

    with pytest.raises(RuntimeError):
        import_eppgbm(path, db_copy, _after_write=boom)
    assert digest(db_copy) == before


def test_kill_9_during_import_leaves_db_identical(db_copy: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bunuh.csv", good_rows(200))
    before = digest(db_copy)
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from kla.ingest.nutrition import import_eppgbm
        def pause():
            print("WRITTEN", flush=True)
            time.sleep(120)
        import_eppgbm(Path({str(path)!r}), Path({str(db_copy)!r}), _after_write=pause)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "WRITTEN", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert digest(db_copy) == before
    # and the database still opens and has no measurement from that file
    assert count(db_copy, "SELECT count(*) FROM measurement") == 0


def test_cli_import_json_and_messages(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows[2][21] = "0"
    path = write_csv(tmp_path / "cli.csv", rows)
    env = {**os.environ, "KLA_DB": str(db_copy)}
    res = run_kla("import", "eppgbm", str(path), "--json", env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["rows_imported"] == 29 and out["problems"][0]["row"] == 4 and out["problems"][0]["column"] == "Berat"
    bad = write_csv(tmp_path / "koma.csv", good_rows(3), sep=",")
    res = run_kla("import", "eppgbm", str(bad), env=env, timeout=120)
    assert res.returncode == 2 and "GAGAL" in res.stderr and "Traceback" not in res.stderr


# ----------------------------------------------------------------------------- malformed CSV structure
def fresh_db(built_db: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kla.duckdb"
    shutil.copyfile(built_db, path)
    return path


def measurements(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * EXCLUDE (source_id) FROM measurement ORDER BY row_no").df()
    finally:
        con.close()


def test_unterminated_quote_is_refused_naming_the_line(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(100)
    rows[39][15] = '"Jl. Kenanga'  # opening quote, never closed: used to swallow the next lines silently
    path = write_csv(tmp_path / "kutip.csv", rows)
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_eppgbm(path, db_copy)
    assert digest(db_copy) == before
    text = str(err.value)
    assert 'tanda kutip (") tidak ditutup di baris 41.' in text and "tidak ada yang diubah" in text
    assert [(p.row, p.column) for p in err.value.problems] == [(41, None)]
    for secret in ("Kenanga", child_name(39), nik(39), parent_name(39)):
        assert secret not in text

    # a cell broken over two lines inside quotes is refused the same way, naming where it opens
    rows = good_rows(20)
    rows[4][15] = '"Jl. Kenanga\nRT 01"'
    with pytest.raises(ValidationError, match=r"tidak ditutup di baris 6\."):
        import_eppgbm(write_csv(tmp_path / "pecah.csv", rows), db_copy)
    assert digest(db_copy) == before


def test_parsed_record_count_must_match_the_scan(tmp_path: Path) -> None:
    """The safety net behind every structural check: if the parser ever returned a different
    number of records than the line scan expects, the file is refused instead of losing rows."""
    from kla.ingest.eppgbm_csv import read_csv_columns, scan_csv

    data = write_csv(tmp_path / "x.csv", good_rows(10)).read_bytes()
    scan = scan_csv(memoryview(data), "x.csv")
    assert read_csv_columns(memoryview(data), scan, [2, 21], "x.csv").num_rows == 10
    scan.fields[3] = len(HEADER) + 1  # pretend the scan saw one line shaped differently
    with pytest.raises(ValidationError, match="10 baris terbaca, padahal 9 baris berisi 31 kolom"):
        read_csv_columns(memoryview(data), scan, [2, 21], "x.csv")


def test_quoted_cells_may_hold_semicolons_and_quotes(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows[5][15] = '"Jl. Kenanga; Gg. ""Buntu"" No. 5"'
    rows[6][1] = '"Siti; Aminah"'
    rows[7][15] = 'Jl. Kenanga 5" (dekat masjid)'  # a stray quote inside a cell is only a character
    rows[8][1] = 'Siti "Ani" Aminah'
    rows[9][15] = '"Gg. Buntu" No. 5'  # quoted start, text after the closing quote
    rep = import_eppgbm(write_csv(tmp_path / "kutip_benar.csv", rows), db_copy)
    assert (rep.rows_total, rep.rows_imported, rep.rows_rejected, rep.problems) == (30, 30, 0, [])


def test_every_cell_quoted_reads_like_unquoted(built_db: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows[4][21] = "0"
    rows[6][1] = "Siti; Aminah"  # a ';' inside a quoted name
    quoted = [['"' + v.replace('"', '""') + '"' for v in r] for r in rows]
    header = ['"' + h + '"' for h in HEADER]
    plain_rows = [list(r) for r in rows]
    plain_rows[6][1] = "Siti Aminah"
    a = import_eppgbm(write_csv(tmp_path / "biasa.csv", plain_rows), fresh_db(built_db, tmp_path / "a"))
    b = import_eppgbm(write_csv(tmp_path / "kutip.csv", quoted, header=header), fresh_db(built_db, tmp_path / "b"))
    assert (b.rows_total, b.rows_imported, b.rows_rejected) == (a.rows_total, a.rows_imported, a.rows_rejected)
    assert [(p.row, p.column) for p in b.problems] == [(6, "Berat")]
    pd.testing.assert_frame_equal(
        measurements(tmp_path / "a" / "kla.duckdb"), measurements(tmp_path / "b" / "kla.duckdb")
    )


def test_csv_blank_lines_and_rows_of_empty_cells_are_ignored(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(30)
    rows[20][21] = "0"
    lines = csv_lines(rows)
    lines.insert(11, "")  # line 12: an empty line between data rows
    lines.insert(12, ";" * 30)  # line 13: a row of empty cells, as Excel saves it
    lines += [";" * 30] * 15 + ['"";"";' + ";" * 28, "  \r"]
    rep = import_eppgbm(write_lines(tmp_path / "kosong_di_tengah.csv", lines), db_copy)
    assert (rep.rows_total, rep.rows_imported, rep.rows_rejected) == (30, 29, 1)
    assert rep.stats["rows_blank_ignored"] == 19
    # row numbers stay the file's line numbers: data row 20 is line 24 after the two inserted lines
    assert [(p.row, p.column) for p in rep.problems] == [(24, "Berat")]
    assert measurements(db_copy)["row_no"].max() == 33


def test_xlsx_trailing_blank_formatted_rows_are_ignored(db_copy: Path, tmp_path: Path) -> None:
    import openpyxl

    path = write_xlsx(tmp_path / "format.xlsx", good_rows(30), blank_formatted_rows=20)
    wb = openpyxl.load_workbook(path)
    assert wb.active.max_row == 51 and wb.active.cell(40, 3).fill.fgColor.rgb.endswith("FFFF00")
    wb.close()
    rep = import_eppgbm(path, db_copy)
    assert (rep.rows_total, rep.rows_imported, rep.rows_rejected) == (30, 30, 0)
    assert rep.stats["rows_blank_ignored"] == 20

    # a blank row in the middle is skipped too, and later rows keep their sheet row numbers
    rows: list[list] = good_rows(30, start=100)
    rows.insert(10, [None] * len(HEADER))
    rows[20][21] = "0"
    rep = import_eppgbm(write_xlsx(tmp_path / "celah.xlsx", rows, blank_formatted_rows=5), db_copy)
    assert (rep.rows_total, rep.rows_imported, rep.rows_rejected) == (30, 29, 1)
    assert [(p.row, p.column) for p in rep.problems] == [(22, "Berat")]


NEW_NAMES = ("Aminah", "raha", "Qx0")


def test_semicolon_in_unquoted_name_is_a_row_problem_and_never_echoed(built_db: Path, tmp_path: Path) -> None:
    rows = good_rows(60)
    for i in (7, 19, 33):
        rows[i][1] = f"Aminah;raha Qx{i:03d}"  # a ';' inside a name shifts every later cell
    rows[45] = rows[45][:15] + rows[45][16:]  # Alamat missing: one field short
    path = write_csv(tmp_path / "geser.csv", rows)
    expected = [
        (9, None, "jumlah kolom tidak sesuai header (32, seharusnya 31)"),
        (21, None, "jumlah kolom tidak sesuai header (32, seharusnya 31)"),
        (35, None, "jumlah kolom tidak sesuai header (32, seharusnya 31)"),
        (47, None, "jumlah kolom tidak sesuai header (30, seharusnya 31)"),
    ]

    db = fresh_db(built_db, tmp_path / "api")
    rep = import_eppgbm(path, db)
    assert (rep.rows_total, rep.rows_imported, rep.rows_rejected) == (60, 56, 4)
    assert [(p.row, p.column, p.message) for p in rep.problems] == expected
    assert rep.stats["unmatched_areas"] == []  # shifted cells never reach the area report
    text = "\n".join(map(str, rep.problems)) + json.dumps(rep.as_dict(), ensure_ascii=False)
    assert not [f for f in NEW_NAMES if f in text]

    # the same through the command line, plain and --json: no fragment on stdout or stderr
    for flag in ([], ["--json"]):
        db = fresh_db(built_db, tmp_path / f"cli{len(flag)}")
        res = run_kla("import", "eppgbm", str(path), "--db", str(db), *flag, timeout=120)
        assert res.returncode == 0, res.stderr
        assert not [f for f in NEW_NAMES if f in res.stdout + res.stderr]
        assert "jumlah kolom tidak sesuai header (32, seharusnya 31)" in res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert [(p["row"], p["column"]) for p in out["problems"]] == [(r, c) for r, c, _ in expected]


def test_sex_value_is_echoed_only_when_shaped_like_a_code(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(40)
    rows[3][2] = "Aminahraha"  # e.g. a name that landed in JK
    rows[4][2] = "Q"
    rows[5][2] = ""
    rep = import_eppgbm(write_csv(tmp_path / "jk.csv", rows), db_copy)
    assert {p.row: p.message for p in rep.problems} == {
        5: "kode jenis kelamin: nilai tidak dikenal (pakai L atau P; isinya tidak ditampilkan)",
        6: "kode jenis kelamin 'Q' tidak dikenal (pakai L atau P)",
        7: "kode jenis kelamin kosong (pakai L atau P)",
    }
    assert "Aminah" not in json.dumps(rep.as_dict())


def test_rows_separated_by_commas_under_a_semicolon_header_give_one_message(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(200)
    lines = [";".join(HEADER)] + [",".join(r) for r in rows]
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_eppgbm(write_lines(tmp_path / "campur_pemisah.csv", lines), db_copy)
    assert digest(db_copy) == before
    assert len(err.value.problems) == 1 and err.value.problems[0].row is None
    text = str(err.value)
    assert "200 dari 200 baris data (100%) punya jumlah kolom yang tidak sesuai judul kolom (31 kolom)" in text
    assert "tidak dipisah titik koma (;)" in text and "mis. baris 2, 3, 4, 5, 6 (dan 195 baris lain)" in text
    assert "JK" not in text and child_name(0) not in text


def test_dates_in_indonesian_export_formats(db_copy: Path, tmp_path: Path) -> None:
    serial = (dt.date(2024, 6, 10) - dt.date(1899, 12, 30)).days
    birth_serial = (dt.date(2022, 1, 15) - dt.date(1899, 12, 30)).days
    formats = [  # (Tanggal Pengukuran, Tgl Lahir): all day-first or ISO, some with a time
        ("2024-06-10", "2022-01-15"),
        ("2024/06/10", "2022/01/15"),
        ("10/06/2024", "15/01/2022"),
        ("10-06-2024", "15-01-2022"),
        ("10.06.2024", "15.01.2022"),
        ("10/06/2024 08:30", "15/01/2022 00:00"),
        ("2024-06-10 08:30:00", "2022-01-15 00:00:00"),
        ("10 Juni 2024", "15 Januari 2022"),
        (str(serial), str(birth_serial)),
        (f"{serial},35", str(birth_serial)),  # Excel serial with a time fraction
    ]
    rows = [row(i, ukur=u, lahir=b) for i, (u, b) in enumerate(formats)]
    rep = import_eppgbm(write_csv(tmp_path / "tanggal.csv", rows), db_copy)
    assert (rep.rows_imported, rep.rows_rejected) == (len(formats), 0), rep.problems
    got = measurements(db_copy)
    assert set(got["measure_date"].astype(str)) == {"2024-06-10"}
    assert set(got["age_days"]) == {(dt.date(2024, 6, 10) - dt.date(2022, 1, 15)).days}


def test_age_text_variants_when_birth_date_is_missing(db_copy: Path, tmp_path: Path) -> None:
    texts = {
        "2 Tahun - 4 Bulan - 26 Hari": int(2 * 365.25 + 4 * 30.4375 + 26),
        "2 thn 4 bln 26 hr": int(2 * 365.25 + 4 * 30.4375 + 26),
        "2 Th 4 Bl": int(2 * 365.25 + 4 * 30.4375),
        "28 bulan": int(28 * 30.4375),
        "3 tahun": int(3 * 365.25),
        "1 Tahun - 0 Bulan - 5 Hari": int(365.25 + 5),
    }
    rows = []
    for i, text in enumerate(texts):
        r = row(i, lahir="")
        r[16] = text
        rows.append(r)
    rep = import_eppgbm(write_csv(tmp_path / "usia.csv", rows), db_copy)
    assert (rep.rows_imported, rep.rows_rejected) == (len(texts), 0), rep.problems
    assert measurements(db_copy)["age_days"].tolist() == list(texts.values())


def test_columns_found_by_name_in_any_order_case_and_spacing(built_db: Path, tmp_path: Path) -> None:
    rows = good_rows(25)
    rows[3][21] = "0"
    plain = import_eppgbm(write_csv(tmp_path / "biasa.csv", rows), fresh_db(built_db, tmp_path / "a"))
    renamed = {
        "JK": "  jk ",
        "Tgl Lahir": "TGL. LAHIR",
        "Tanggal Pengukuran": "tanggal  pengukuran",
        "Desa/Kel": "desa / kel",
        "Pukesmas": "Puskesmas",  # correctly spelled variant of the export's 'Pukesmas'
        "Kec": "KECAMATAN",
        "Berat": " BERAT ",
        "Tinggi": "Tinggi",
        "Cara Ukur": "cara_ukur",
    }
    header = [renamed.get(h, h) for h in HEADER]
    order = np.random.default_rng(3).permutation(len(HEADER))
    shuffled = write_csv(
        tmp_path / "acak.csv", [[r[j] for j in order] for r in rows], header=[header[j] for j in order]
    )
    db = fresh_db(built_db, tmp_path / "b")
    other = import_eppgbm(shuffled, db)
    assert (other.rows_imported, other.rows_rejected) == (plain.rows_imported, plain.rows_rejected) == (24, 1)
    assert [(p.row, p.column, p.message) for p in other.problems] == [
        (p.row, p.column, p.message) for p in plain.problems
    ]
    a, b = measurements(tmp_path / "a" / "kla.duckdb"), measurements(db)
    pd.testing.assert_frame_equal(a, b)
    assert set(b["puskesmas"]) == {"Singandaru"}


def test_xlsx_excel_serial_and_day_first_dates(db_copy: Path, tmp_path: Path) -> None:
    serial = (dt.date(2024, 6, 10) - dt.date(1899, 12, 30)).days
    rows: list[list] = good_rows(4)
    rows[0][17], rows[0][3] = serial, "15-01-2022"  # number cell (no date format), dd-mm-yyyy text
    rows[1][17], rows[1][3] = float(serial), dt.datetime(2022, 1, 15)  # float serial, real date cell
    rows[2][17], rows[2][3] = dt.datetime(2024, 6, 10, 8, 30), "15/01/2022"  # date-time cell
    rows[3][17] = "10-06-2024"
    rep = import_eppgbm(write_xlsx(tmp_path / "serial.xlsx", rows), db_copy)
    assert (rep.rows_imported, rep.rows_rejected) == (4, 0), rep.problems
    got = measurements(db_copy)
    assert set(got["measure_date"].astype(str)) == {"2024-06-10"}
    assert set(got["age_days"]) == {(dt.date(2024, 6, 10) - dt.date(2022, 1, 15)).days}


# ----------------------------------------------------------------------------- upload from memory
def test_import_from_bytes_equals_path_import_and_writes_no_file(
    built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins
    import io
    import tempfile

    rows = good_rows(40)
    rows[3][21] = "0"
    rows[9][1] = "Aminah;raha"
    (tmp_path / "src").mkdir()
    path = write_csv(tmp_path / "src" / "ekspor.csv", rows)
    from_path = import_eppgbm(path, fresh_db(built_db, tmp_path / "a"))
    data = path.read_bytes()

    db = fresh_db(built_db, tmp_path / "b")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    written: list[Path] = []
    rec = records.imports_path()  # before monkeypatch.undo() puts the session's records folder back
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and any(m in mode for m in "wax+"):
            written.append(Path(file))
        return real_open(file, mode, *args, **kwargs)

    def spy_os_open(file, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            written.append(Path(file))
        return real_os_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    listing = set(db.parent.iterdir())
    from_bytes = import_eppgbm(data, db, name="ekspor.csv")
    monkeypatch.undo()

    # nothing but the database's and the records' own staging and lock files (and their folders,
    # for fsync) was opened for writing ...
    files = [p for p in written if p not in (db.parent, rec.parent)]

    def own(p: Path) -> bool:
        return (p.parent == db.parent and p.name.startswith(db.name)) or (
            (p.parent == rec.parent and p.name.startswith(rec.name)) or p == rec.parent.with_name("records.lock")
        )

    assert files and all(own(p) for p in files), written
    assert any(p.parent == rec.parent for p in files)  # the records were written too
    assert list(private_tmp.iterdir()) == []
    assert {p.name for p in set(db.parent.iterdir()) - listing} <= {f"{db.name}.lock"}
    assert not (tmp_path / "b" / "ekspor.csv").exists()
    # ... and the result is the same as importing the file
    a, b = from_path.as_dict(), from_bytes.as_dict()
    for d in (a, b):
        d.pop("seconds")
        for k in ("seconds_read", "seconds_parse"):
            d["stats"].pop(k)
    assert a == b and b["sha256"] == hashlib.sha256(data).hexdigest() and b["file"] == "ekspor.csv"
    pd.testing.assert_frame_equal(measurements(tmp_path / "a" / "kla.duckdb"), measurements(db))
    con = duckdb.connect(str(db), read_only=True)
    prov = con.execute("SELECT path, sha256, kind FROM provenance WHERE table_name = 'measurement'").fetchall()
    con.close()
    assert prov == [("ekspor.csv", b["sha256"], "imported")]
    # the same bytes again: already imported
    assert import_eppgbm(data, db, name="ekspor.csv").status == "already-imported"


def test_xlsx_from_bytes(db_copy: Path, tmp_path: Path) -> None:
    data = write_xlsx(tmp_path / "unggah.xlsx", good_rows(12), blank_formatted_rows=3).read_bytes()
    rep = import_eppgbm(data, db_copy, name="unggah.xlsx")
    assert (rep.file, rep.rows_imported, rep.rows_rejected) == ("unggah.xlsx", 12, 0)
    with pytest.raises(ValidationError, match="Jenis berkas .pdf tidak didukung"):
        import_eppgbm(data, db_copy, name="unggah.pdf")


# ----------------------------------------------------------------------------- DATA CONTOH exports
def _kinds(db: Path, sql: str) -> list:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] if len(r) == 1 else r for r in con.execute(sql).fetchall()]
    finally:
        con.close()


def _page_warnings(db: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Warnings in the main area of the Gizi Anak page rendered on ``db``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KLA_DB", str(db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "3_Gizi_Anak.py"), default_timeout=60)
    at.run()
    assert not at.exception
    st.cache_data.clear()
    st.cache_resource.clear()
    return [w.value for w in at.main.warning]  # the sidebar warns whenever any sample exists (KLA too)


def test_sample_export_carries_a_marker_and_imports_as_data_contoh(
    built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kla.ingest.eppgbm_columns import SAMPLE_MARKER, SAMPLE_MARKER_COLUMN

    csv = tmp_path / "contoh.csv"
    res = subprocess.run(
        [sys.executable, "-m", "kla.ingest.sample_nutrition", "export", str(csv), "--rows", "1500", "--scale", "0.01"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    export = pd.read_csv(csv, sep=";", dtype=str, keep_default_na=False)
    assert (export[SAMPLE_MARKER_COLUMN] == SAMPLE_MARKER).all()
    assert SAMPLE_MARKER == "DATA CONTOH — dibuat oleh kla/sample_nutrition.py"

    db = fresh_db(built_db, tmp_path / "contoh")
    rep = import_eppgbm(csv, db)
    assert rep.status == "imported" and rep.kind == "sample" and rep.as_dict()["kind"] == "sample"
    assert rep.rows_imported > 1400
    ((kind, note),) = _kinds(db, f"SELECT kind, note FROM provenance WHERE source_id = {rep.source_id}")  # noqa: S608
    assert kind == "sample" and note.startswith("DATA CONTOH: ekspor e-PPGBM sintetis dari kla/sample_nutrition.py")
    # its monthly counts reach the page's views as sample, like the shipped sample aggregate
    sql = f"SELECT DISTINCT source_kind FROM nutrition_latest WHERE source_id = {rep.source_id}"  # noqa: S608
    assert _kinds(db, sql) == ["sample"]
    first = min(rep.stats["periods"])
    assert _kinds(db, f"SELECT DISTINCT source_kind FROM nutrition_agg WHERE period = '{first}-01'") == ["sample"]  # noqa: S608
    assert any("DATA CONTOH" in w for w in _page_warnings(db, monkeypatch))
    # re-importing the same sample file is idempotent too
    assert import_eppgbm(csv, db).status == "already-imported"
    # an imported sample export survives a rebuild, still as sample, exactly once
    monkeypatch.setenv("KLA_DB", str(db))
    build.build(db)
    assert _kinds(db, f"SELECT kind FROM provenance WHERE sha256 = '{rep.sha256}'") == ["sample"]  # noqa: S608
    assert count(db, "SELECT count(*) FROM measurement") == rep.rows_imported

    # a real export (no marker) is 'imported', and from then on the sample rows are not shown
    real = import_eppgbm(write_csv(tmp_path / "nyata.csv", good_rows(40)), db)
    assert real.kind == "imported"
    assert _kinds(db, f"SELECT kind FROM provenance WHERE source_id = {real.source_id}") == ["imported"]  # noqa: S608
    assert _kinds(db, "SELECT DISTINCT source_kind FROM nutrition_latest") == ["imported"]
    warnings = _page_warnings(db, monkeypatch)
    assert not any("DATA CONTOH" in w for w in warnings), warnings


def test_real_export_with_a_keterangan_column_is_not_sample(db_copy: Path, tmp_path: Path) -> None:
    rows = [r + ["catatan kader"] for r in good_rows(20)]
    rep = import_eppgbm(write_csv(tmp_path / "ket.csv", rows, header=[*HEADER, "Keterangan"]), db_copy)
    assert rep.kind == "imported" and rep.rows_imported == 20
    # a file mixing marked and unmarked rows is refused: sample and real data never mix
    mixed = [
        r + ["DATA CONTOH — dibuat oleh kla/sample_nutrition.py" if i < 5 else ""] for i, r in enumerate(good_rows(20))
    ]
    before = digest(db_copy)
    with pytest.raises(ValidationError, match="5 dari 20 baris bertanda DATA CONTOH di kolom Keterangan"):
        import_eppgbm(write_csv(tmp_path / "campur.csv", mixed, header=[*HEADER, "Keterangan"]), db_copy)
    assert digest(db_copy) == before


# ----------------------------------------------------------------------------- CLI robustness
def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_kla(*args, env={**os.environ, **(env or {})}, timeout=180)


def test_cli_folder_instead_of_file_is_refused_in_indonesian(db_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    before = digest(db_copy)
    for what in ("eppgbm", "rekap"):
        res = run_cli("import", what, str(folder), "--db", str(db_copy))
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert "GAGAL: folder.csv bukan berkas (mungkin sebuah folder)" in res.stderr
        res = run_cli("import", what, str(folder), "--db", str(db_copy), "--json")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        out = json.loads(res.stdout)
        assert out["status"] == "refused" and "bukan berkas" in out["message"] and out["problems"] == []
    assert digest(db_copy) == before


@pytest.mark.parametrize(
    ("limit", "ok"),
    [("1GB", True), ("500MB", True), ("1 gb", True), ("1073741824", True), ("2KB", False), ("banyak", False)],
)
def test_max_import_bytes_accepts_sizes_with_units(limit: str, ok: bool, db_copy: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ukuran.csv", good_rows(12))
    assert path.stat().st_size > 2048
    res = run_cli("import", "eppgbm", str(path), "--db", str(db_copy), env={"KLA_MAX_IMPORT_BYTES": limit})
    assert "Traceback" not in res.stderr and "ValueError" not in res.stderr
    if ok:
        assert res.returncode == 0, res.stderr
        assert "Diimpor 12 dari 12 baris" in res.stderr
    else:
        assert res.returncode == 2
        expected = "terlalu besar" if limit == "2KB" else "KLA_MAX_IMPORT_BYTES='banyak' tidak dimengerti"
        assert f"GAGAL: Berkas ukuran.csv {expected}" in res.stderr or f"GAGAL: {expected}" in res.stderr


def test_parse_size() -> None:
    from kla.ingest.eppgbm_source import parse_size

    assert parse_size("1GB") == parse_size("1 gb") == parse_size("1024MB") == 1024**3
    assert parse_size("500MB") == 500 * 1024**2 and parse_size("1,5 GB") == int(1.5 * 1024**3)
    assert parse_size("123") == 123 and parse_size("2k") == 2048
    for bad in ("", "GB", "1TB", "-5", "1.2.3", "0"):
        with pytest.raises(ValidationError, match="KLA_MAX_IMPORT_BYTES"):
            parse_size(bad)


def test_the_date_macro_reads_the_month_names_of_the_period_reader() -> None:
    """``kla_date`` (SQL) spells out :data:`kla.core.periods.MONTH_NAMES`: same names, same order."""
    import re

    from kla.core.periods import MONTH_NAMES
    from kla.read.repository import sql

    assert re.findall(r"^\s*, '([a-z]+)', '(\d\d)'\)", sql("eppgbm_macros"), re.MULTILINE) == MONTH_NAMES


def test_cli_refusal_lists_first_problems_and_counts_per_column(db_copy: Path, tmp_path: Path) -> None:
    rows = good_rows(100) + [row(300 + i, jk="X") for i in range(40)] + [row(400 + i, berat="0") for i in range(3)]
    path = write_csv(tmp_path / "tolak.csv", rows)
    before = digest(db_copy)

    res = run_cli("import", "eppgbm", str(path), "--db", str(db_copy))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    lines = res.stderr.split("\n")
    failed = [ln for ln in lines if "GAGAL" in ln]
    # GAGAL starts its own line: the progress bar is ended first (text mode reads its \r as a newline)
    assert len(failed) == 1 and failed[0].startswith("GAGAL: Berkas tolak.csv: 43 dari 143 baris (30%) ditolak")
    assert lines[lines.index(failed[0]) - 1].startswith("[#")
    listed = [ln for ln in lines if ln.startswith("  - tolak.csv, baris ")]
    assert (
        len(listed) == 30
        and listed[0] == "  - tolak.csv, baris 102, kolom 'JK': kode jenis kelamin 'X' tidak dikenal (pakai L atau P)"
    )
    assert "  … dan 13 masalah lain (pakai --json untuk daftar lengkap)" in lines
    assert "  Ringkasan per kolom: JK: 40 baris; Berat: 3 baris" in lines

    res = run_cli("import", "eppgbm", str(path), "--db", str(db_copy), "--json")
    assert res.returncode == 2 and res.stderr == ""
    out = json.loads(res.stdout)
    assert out["status"] == "refused" and out["file"] == "tolak.csv"
    assert out["message"].startswith("Berkas tolak.csv: 43 dari 143 baris (30%) ditolak")
    assert out["problems_total"] == 43 and len(out["problems"]) == 43
    assert out["problems"][0] == {
        "row": 102,
        "column": "JK",
        "message": "kode jenis kelamin 'X' tidak dikenal (pakai L atau P)",
    }
    assert out["problem_counts"] == {"JK": 40, "Berat": 3}
    assert digest(db_copy) == before


def test_cli_usage_errors_are_indonesian() -> None:
    cases = [
        (("zscore", "in.csv"), "python -m kla zscore: galat: argumen wajib belum diisi: --out"),
        (("import", "eppgbm"), "python -m kla import eppgbm: galat: argumen wajib belum diisi: file"),
        (("bench", "import", "--rows", "banyak"), "galat: argumen --rows: 'banyak' bukan nilai int yang sah"),
        (("impor",), "galat: argumen command: pilihan 'impor' tidak ada (pilih dari 'build'"),
    ]
    for args, message in cases:
        res = run_cli(*args)
        assert res.returncode == 2 and message in res.stderr, res.stderr
        assert res.stderr.startswith("penggunaan: python -m kla")
        assert "error:" not in res.stderr and "usage:" not in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "name",
    ["Kilasah", "Puskesmas Kilasah", "UPT Puskesmas Kilasah", "Pusk. Kilasah", "PKM KILASAH", "UPTD PKM kilasah"],
)
def test_puskesmas_spellings_share_one_key_and_one_label(name: str) -> None:
    from kla.core.puskesmas import puskesmas_key, puskesmas_label

    assert puskesmas_key(name) == "pkm:kilasah"
    assert puskesmas_label(name) == "Puskesmas Kilasah"


def test_counts_in_messages_use_indonesian_thousands() -> None:
    """ "12,340 baris" would read as twelve point three rows to an Indonesian reader."""
    from kla.ingest.eppgbm_columns import EXAMPLE_ROWS, rows_text

    text = rows_text(list(range(2, 2 + EXAMPLE_ROWS)), 12_340 + EXAMPLE_ROWS)
    assert text.endswith("(dan 12.340 baris lain)")
