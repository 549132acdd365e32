"""e-PPGBM import: real-world layout, privacy, bad input, atomicity and idempotency."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kla import privacy
from kla.config import PROJECT_ROOT
from kla.errors import ValidationError
from kla.nutrition import import_eppgbm
from tests.fixtures.nutrition import (
    HEADER,
    address,
    child_name,
    good_rows,
    nik,
    parent_name,
    row,
    write_csv,
)


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
    rows = good_rows(40)
    for i in (3, 9, 15):
        rows[i][11] = "Kebon Antah"
    rep = import_eppgbm(write_csv(tmp_path / "x.csv", rows), db_copy)
    assert rep.stats["unmatched_areas"] == [
        {"kecamatan": "SERANG", "kelurahan": "Kebon Antah", "rows": 3, "first_rows": [5, 11, 17]}
    ]


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


def _file_level(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cases: dict[str, tuple[Path, str]] = {}
    cases["wrong delimiter"] = (write_csv(tmp_path / "koma.csv", good_rows(3), sep=","), "pemisah kolom tampaknya koma")
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
        from kla.nutrition import import_eppgbm
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
    res = subprocess.run(
        [sys.executable, "-m", "kla", "import", "eppgbm", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    import json

    out = json.loads(res.stdout)
    assert out["rows_imported"] == 29 and out["problems"][0]["row"] == 4 and out["problems"][0]["column"] == "Berat"
    bad = write_csv(tmp_path / "koma.csv", good_rows(3), sep=",")
    res = subprocess.run(
        [sys.executable, "-m", "kla", "import", "eppgbm", str(bad)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )
    assert res.returncode == 2 and "GAGAL" in res.stderr and "Traceback" not in res.stderr
