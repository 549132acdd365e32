"""`python -m kla import kla-scores`: row-level Indonesian messages; bad files change nothing."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kla.core.config import PROJECT_ROOT, load_city
from kla.core.rulebook import load_rulebook
from kla.ingest.scores_io import write_template
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

RB = load_rulebook(load_city().rulebook)
SHIPPED_CITY = PROJECT_ROOT / "data/city.toml"
SHIPPED_RB = load_rulebook(load_city(SHIPPED_CITY).rulebook)
# The shipped DATA CONTOH file: written for the shipped rulebook, not for the suite's test rulebook.
SAMPLE = PROJECT_ROOT / "data/sample/kla_scores_2025.csv"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_import(path: Path, db: Path, year: int = 2024) -> subprocess.CompletedProcess:
    return run_kla("import", "kla-scores", str(path), "--year", str(year), "--db", str(db), timeout=120)


def good_frame() -> pd.DataFrame:
    """A filled-in template for the active (test) rulebook: every indicator at its third level (levels[2])."""
    return pd.DataFrame(
        {
            "rulebook": RB.key,
            "kode_indikator": [i.code for i in RB.indicators],
            "nama_indikator": [i.name for i in RB.indicators],
            "poin_maks": [str(i.max_points) for i in RB.indicators],
            "poin": [str(i.levels[2]) for i in RB.indicators],
            "status_bukti": "sebagian",
            "catatan": "Catatan uji",
            "kode_wilayah": "",
        },
        dtype=str,
    )


def test_good_file_is_stored_as_imported_and_reimport_is_idempotent(db_copy: Path, tmp_path: Path) -> None:
    src = tmp_path / "nilai.csv"
    good_frame().to_csv(src, index=False)
    proc = run_import(src, db_copy)
    assert proc.returncode == 0, proc.stderr
    once = duckdb.connect(str(db_copy), read_only=True)
    rows = once.execute("SELECT count(*), sum(points) FROM kla_score WHERE year = 2024").fetchone()
    keys = once.execute("SELECT DISTINCT rulebook_key FROM kla_score WHERE year = 2024").fetchall()
    prov = once.execute(
        "SELECT kind, path, rows FROM provenance WHERE table_name='kla_score' AND kind='imported'"
    ).fetchall()
    once.close()
    # test rulebook at levels[2]: 500 (half of every maximum) + I01 10 + I07 17.5 + I11 7.5 + I12 5 − I13 10 − I14 3.5
    assert rows[0] == 24 and rows[1] == pytest.approx(526.5)
    assert rows[1] == pytest.approx(pd.to_numeric(good_frame()["poin"]).sum())
    assert keys == [(RB.key,)]
    assert prov == [("imported", "nilai.csv", 24)]
    before = sha(db_copy)
    again = run_import(src, db_copy)
    assert again.returncode == 0 and "sudah pernah diimpor" in again.stderr
    assert sha(db_copy) == before


def test_xlsx_template_round_trip(db_copy: Path, tmp_path: Path) -> None:
    path = write_template(RB, tmp_path / "templat.xlsx")
    frame = pd.read_excel(path, dtype=str)
    assert list(frame["kode_indikator"]) == RB.codes
    frame["poin"] = [str(i.max_points / 2) for i in RB.indicators]
    frame["status_bukti"] = "sebagian"
    frame.to_excel(path, index=False)
    proc = run_import(path, db_copy)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(db_copy), read_only=True)
    assert con.execute("SELECT sum(points) FROM kla_score WHERE year = 2024").fetchone()[0] == pytest.approx(500)


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _edit(fn):
    def make(tmp: Path) -> Path:
        frame = good_frame()
        fn(frame)
        return _csv(frame, tmp / "nilai.csv")

    return make


def _set(row: int, col: str, value: str):
    def fn(frame: pd.DataFrame) -> None:
        frame.loc[row, col] = value

    return fn


def _non_utf8(tmp: Path) -> Path:
    path = tmp / "nilai.csv"
    text = good_frame().to_csv(index=False).replace("Catatan uji", "Catatan Dinas Sosial – ‘lengkap’")
    path.write_bytes(text.encode("cp1252"))
    return path


def _header_on_row_3(tmp: Path) -> Path:
    path = tmp / "nilai.xlsx"
    frame = good_frame()
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame([["Penilaian mandiri KLA 2024"], [""]]).to_excel(xl, index=False, header=False)
        frame.to_excel(xl, index=False, startrow=2)
    return path


def _missing_column(tmp: Path) -> Path:
    return _csv(good_frame().drop(columns=["status_bukti"]), tmp / "nilai.csv")


def _duplicate_row(tmp: Path) -> Path:
    frame = good_frame()
    return _csv(pd.concat([frame, frame.iloc[[4]]]), tmp / "nilai.csv")


def _missing_indicator(tmp: Path) -> Path:
    return _csv(good_frame().iloc[:-1], tmp / "nilai.csv")


BAD = {
    "unknown indicator code": (
        _edit(_set(3, "kode_indikator", "I99")),
        ["baris 5", "kode_indikator", "I99", "tidak dikenal"],
    ),
    "negative value": (_edit(_set(0, "poin", "-5")), ["baris 2", "negatif"]),
    # row 10 is I11 (max 45 in the test rulebook)
    "value above the maximum": (
        _edit(_set(10, "poin", str(RB.indicator("I11").max_points + 5))),
        ["baris 12", f"melebihi maksimum {RB.indicator('I11').max_points:g}"],
    ),
    "duplicate row": (_duplicate_row, ["baris 26", "ganda", "baris 6"]),
    "missing column": (_missing_column, ["kolom wajib tidak ada", "status_bukti"]),
    "missing indicator": (_missing_indicator, ["belum diisi", "I24"]),
    "non-UTF-8 CSV": (_non_utf8, ["bukan teks UTF-8", "CSV UTF-8"]),
    "XLSX header on row 3": (_header_on_row_3, ["baris 1", "baris 3"]),
    "bad evidence status": (
        _edit(_set(2, "status_bukti", "ada")),
        ["baris 4", "status_bukti", "lengkap, sebagian, belum"],
    ),
    "points not a number": (_edit(_set(1, "poin", "banyak")), ["baris 3", "bukan angka"]),
    "empty rulebook cell": (_edit(_set(6, "rulebook", "")), ["baris 8", "rulebook", "kosong", RB.key]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_score_files_are_rejected_and_change_nothing(case: str, db_copy: Path, tmp_path: Path) -> None:
    make, needles = BAD[case]
    path = make(tmp_path)
    before = sha(db_copy)
    proc = run_import(path, db_copy)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} not in {proc.stderr!r}"
    assert "tidak ada yang diubah" in proc.stderr
    assert sha(db_copy) == before


def test_file_for_another_rulebook_is_refused_naming_both_keys(db_copy: Path, tmp_path: Path) -> None:
    assert SHIPPED_RB.key != RB.key
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    assert set(frame["rulebook"]) == {SHIPPED_RB.key}  # the shipped sample names the shipped rulebook
    for path in (_csv(frame, tmp_path / "nilai.csv"), _csv(good_frame().assign(rulebook="lain@9"), tmp_path / "b.csv")):
        before = db_copy.read_bytes()
        proc = run_import(path, db_copy)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        foreign = SHIPPED_RB.key if path.name == "nilai.csv" else "lain@9"
        assert foreign in proc.stderr and RB.key in proc.stderr, proc.stderr
        assert "tidak ada yang diubah" in proc.stderr
        assert db_copy.read_bytes() == before


def test_file_without_rulebook_column_is_refused(db_copy: Path, tmp_path: Path) -> None:
    path = _csv(good_frame().drop(columns=["rulebook"]), tmp_path / "nilai.csv")
    before = db_copy.read_bytes()
    proc = run_import(path, db_copy)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "rulebook" in proc.stderr and RB.key in proc.stderr, proc.stderr
    assert "tidak ada yang diubah" in proc.stderr
    assert db_copy.read_bytes() == before


def test_missing_database_and_non_duckdb_file(tmp_path: Path) -> None:
    src = _csv(good_frame(), tmp_path / "nilai.csv")
    proc = run_import(src, tmp_path / "tidak_ada.duckdb")
    assert proc.returncode == 2 and "python -m kla build" in proc.stderr
    fake = tmp_path / "palsu.duckdb"
    fake.write_bytes(b"bukan duckdb" * 50)
    before = sha(fake)
    proc = run_import(src, fake)
    assert proc.returncode == 2 and "rusak" in proc.stderr and "Traceback" not in proc.stderr
    assert sha(fake) == before


def test_score_cli_json_shape(built_db: Path) -> None:
    import json

    proc = run_kla("score", "--year", "2025", "--json", "--db", str(built_db), timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["year"] == 2025 and out["area"] == "36.73"
    assert 500 <= out["total"] <= 600 and out["category"] == "Pratama"
    assert out["next_category"] == "Madya" and out["points_to_next"] == pytest.approx(601 - out["total"])
    assert sum(g["max"] for g in out["groups"].values()) == pytest.approx(1000)
    lost = [x["points_lost"] for x in out["lost"]]
    assert lost == sorted(lost, reverse=True)
    # the sample is shaped so that nutrition (KemenPPPA #13, I13) is among the weakest indicators
    assert "I13" in [x["code"] for x in out["lost"][:6]]


def test_score_cli_on_missing_database_is_a_clear_message(tmp_path: Path) -> None:
    proc = run_kla("score", "--year", "2025", "--db", str(tmp_path / "x.duckdb"), timeout=60)
    assert proc.returncode == 2 and "belum dibangun" in proc.stderr and "Traceback" not in proc.stderr


def test_score_file_for_another_rulebook_is_refused_and_changes_nothing(db_copy: Path, tmp_path: Path) -> None:
    frame = good_frame()
    frame["rulebook"] = "kla-lain@2020"
    src = _csv(frame, tmp_path / "nilai.csv")
    before = sha(db_copy)
    proc = run_import(src, db_copy)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "dibuat untuk rulebook kla-lain@2020" in proc.stderr and f"rulebook aktif {RB.key}" in proc.stderr
    assert "tidak ada yang diubah" in proc.stderr
    assert sha(db_copy) == before
