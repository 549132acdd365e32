"""The build: one pass, validated, atomic. A failed build leaves the old database byte-identical."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kla import store
from kla.config import PROJECT_ROOT

PY = sys.executable


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of data/ (without any built database) that the build reads."""
    dest = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", dest, ignore=shutil.ignore_patterns("*.duckdb*"))
    monkeypatch.setenv("KLA_DATA_DIR", str(dest))
    monkeypatch.setenv("KLA_DB", str(dest / "kla.duckdb"))
    return dest


def run_cli(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "kla", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)


def test_build_records_provenance_for_every_source(built_db: Path) -> None:
    con = duckdb.connect(str(built_db), read_only=True)
    prov = con.execute("SELECT path, kind, rows, length(sha256) FROM provenance").fetchall()
    kinds = {p[0]: p[1] for p in prov}
    assert kinds["wilayah.csv"] == "reference"
    assert kinds["published_figures.csv"] == "published"
    assert kinds["sample/kla_scores_2023.csv"] == "sample"
    assert all(p[3] == 64 for p in prov)
    counts = dict(con.execute("SELECT level, count(*) FROM wilayah GROUP BY level").fetchall())
    assert counts == {"kota": 1, "kecamatan": 6, "kelurahan": 67}
    # every sample score row says it is sample, through its provenance row
    (n_sample,) = con.execute(
        "SELECT count(*) FROM kla_score s JOIN provenance p USING (source_id) WHERE p.kind = 'sample' "
        "AND p.note LIKE 'DATA CONTOH%'"
    ).fetchone()
    (n_all,) = con.execute("SELECT count(*) FROM kla_score").fetchone()
    assert n_sample == n_all == 48 + 6 * 24  # city 2023 and 2025, plus six kecamatan in 2025 (Kecamatan Layak Anak)


BREAKAGES = {
    "rulebook points not summing to 1000": (
        "rulebook/kla-2022-ilustratif.toml",
        lambda t: t.replace("max_points = 42", "max_points = 43", 1),
        "seharusnya tepat 1000",
    ),
    "score above the maximum": (
        "sample/kla_scores_2023.csv",
        lambda t: t.replace(",42.0,31.5,", ",42.0,99,", 1),
        "melebihi maksimum",
    ),
    "wilayah with a duplicated code": ("wilayah.csv", lambda t: t + t.splitlines()[-1] + "\n", "ganda"),
    "published figure without a source URL": (
        "published_figures.csv",
        lambda t: t.replace("https://databoks", "databoks", 1),
        "URL sumber",
    ),
    "corrupt CSV bytes": ("wilayah_alias.csv", lambda t: None, "UTF-8"),
}


@pytest.mark.parametrize("case", list(BREAKAGES), ids=list(BREAKAGES))
def test_failed_build_names_the_problem_and_keeps_the_old_database(data_copy: Path, case: str) -> None:
    db = data_copy / "kla.duckdb"
    store.build(db)
    before = sha(db)
    rel, edit, needle = BREAKAGES[case]
    target = data_copy / rel
    new = edit(target.read_text(encoding="utf-8"))
    if new is None:
        target.write_bytes(b"alias,code\nK\xe9lodran,36.73.03.1008\n")
    else:
        assert new != target.read_text(encoding="utf-8"), "the breakage must change the file"
        target.write_text(new, encoding="utf-8")
    proc = run_cli("build")
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert Path(rel).name in proc.stderr or "rulebook" in proc.stderr.lower()
    assert sha(db) == before
    assert not list(data_copy.glob("kla.duckdb.tmp*")), "temp file must be cleaned up"


def test_rebuild_keeps_imported_scores(data_copy: Path, tmp_path: Path) -> None:
    db = data_copy / "kla.duckdb"
    store.build(db)
    src = tmp_path / "nilai_2024.csv"
    shutil.copyfile(data_copy / "sample/kla_scores_2025.csv", src)
    assert run_cli("import", "kla-scores", str(src), "--year", "2024").returncode == 0
    proc = run_cli("build")
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    kinds = con.execute(
        "SELECT DISTINCT p.kind FROM kla_score s JOIN provenance p USING (source_id) WHERE s.year = 2024"
    ).fetchall()
    assert kinds == [("imported",)]
    assert con.execute("SELECT count(*) FROM kla_score WHERE year = 2024").fetchone()[0] == 24


def test_build_replaces_a_file_that_is_not_duckdb(data_copy: Path) -> None:
    db = data_copy / "kla.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    proc = run_cli("build")
    assert proc.returncode == 0, proc.stderr
    assert "bukan berkas DuckDB" in proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM wilayah").fetchone()[0] == 74


def test_if_stale_skips_a_fresh_database_and_rebuilds_after_a_source_changes(data_copy: Path) -> None:
    db = data_copy / "kla.duckdb"
    assert store.needs_build(db)
    store.build(db)
    assert not store.needs_build(db)
    before = sha(db)
    assert run_cli("build", "--if-stale").returncode == 0
    assert sha(db) == before
    alias = data_copy / "wilayah_alias.csv"
    alias.write_text(alias.read_text(encoding="utf-8"), encoding="utf-8")  # newer mtime
    import os

    os.utime(alias, (db.stat().st_mtime + 10, db.stat().st_mtime + 10))
    assert store.needs_build(db)


def test_build_to_explicit_path_with_db_flag(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "lain" / "kla.duckdb"
    proc = run_cli("build", "--db", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and not (data_copy / "kla.duckdb").exists()


def test_temp_file_of_a_killed_writer_is_cleaned_up_by_the_next_write(data_copy: Path) -> None:
    db = data_copy / "kla.duckdb"
    store.build(db)
    # a pid that cannot be running: above the kernel's pid_max
    stale = data_copy / "kla.duckdb.tmp-99999999"
    stale.write_bytes(b"half-written")
    (data_copy / "kla.duckdb.tmp-99999999.wal").write_bytes(b"wal")
    store.build(db)
    assert not stale.exists()
    assert not (data_copy / "kla.duckdb.tmp-99999999.wal").exists()
