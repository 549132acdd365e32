"""The build: one pass, validated, atomic. A failed build leaves the old database byte-identical."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kla.core.config import PROJECT_ROOT, load_city
from kla.core.errors import KlaError
from kla.core.rulebook import load_rulebook
from kla.ingest import build, store
from kla.ingest.files import lock_path, write_lock
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

PY = sys.executable
TEST_CITY = PROJECT_ROOT / "tests/fixtures/city_bobot_beragam/city.toml"
TEST_RULEBOOK = PROJECT_ROOT / "tests/fixtures/rulebook/uji-bobot-beragam.toml"
RB = load_rulebook(load_city().rulebook)  # the suite's active (test) rulebook


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of data/ (without any built database) that the build reads.

    The copy carries the suite's test rulebook and a city config like the test one
    (tests/fixtures/city_bobot_beragam/city.toml) whose sources all point into the copy, so a
    breakage made in the copy is what the build sees.
    """
    dest = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", dest, ignore=shutil.ignore_patterns("*.duckdb*"))
    shutil.copyfile(TEST_RULEBOOK, dest / "rulebook" / TEST_RULEBOOK.name)
    city = TEST_CITY.read_text(encoding="utf-8").replace("../../../data/", "").replace("../rulebook/", "rulebook/")
    assert "../" not in city
    (dest / "city_uji.toml").write_text(city, encoding="utf-8")
    monkeypatch.setenv("KLA_DATA_DIR", str(dest))
    monkeypatch.setenv("KLA_DB", str(dest / "kla.duckdb"))
    monkeypatch.setenv("KLA_CITY_CONFIG", str(dest / "city_uji.toml"))
    assert load_city().rulebook == dest / "rulebook" / TEST_RULEBOOK.name
    return dest


def score_csv(points: dict[str, float] | None = None) -> str:
    """A self-assessment file for the active rulebook: every indicator at levels[2] unless given."""
    points = points or {}
    return pd.DataFrame(
        {
            "rulebook": RB.key,
            "kode_indikator": [i.code for i in RB.indicators],
            "nama_indikator": [i.name for i in RB.indicators],
            "poin_maks": [i.max_points for i in RB.indicators],
            "poin": [points.get(i.code, i.levels[2]) for i in RB.indicators],
            "status_bukti": "sebagian",
            "catatan": "uji",
            "kode_wilayah": "",
        }
    ).to_csv(index=False)


def run_cli(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess:
    return run_kla(*args, timeout=120)


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
        f"rulebook/{TEST_RULEBOOK.name}",
        lambda t: t.replace("max_points = 55", "max_points = 56", 1),  # I02, on default quarter levels
        "seharusnya tepat 1000",
    ),
    # the sample file, rewritten for the active rulebook (so it is read, not regenerated) with I01 = 99 > 60
    "score above the maximum": (
        "sample/kla_scores_2023.csv",
        lambda t: score_csv({"I01": 99.0}),
        f"melebihi maksimum {RB.indicator('I01').max_points:g} untuk I01",
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
    build.build(db)
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
    build.build(db)
    src = tmp_path / "nilai_2024.csv"
    src.write_text(score_csv(), encoding="utf-8")
    imported = run_cli("import", "kla-scores", str(src), "--year", "2024")
    assert imported.returncode == 0, imported.stderr
    proc = run_cli("build")
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    kinds = con.execute(
        "SELECT DISTINCT p.kind, s.rulebook_key FROM kla_score s JOIN provenance p USING (source_id) "
        "WHERE s.year = 2024"
    ).fetchall()
    assert kinds == [("imported", RB.key)]
    count, total = con.execute("SELECT count(*), sum(points) FROM kla_score WHERE year = 2024").fetchone()
    # levels[2] of the test rulebook: 500 + I01 10 + I07 17.5 + I11 7.5 + I12 5 − I13 10 − I14 3.5
    assert count == 24 and total == pytest.approx(526.5)


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
    assert build.needs_build(db)
    build.build(db)
    assert not build.needs_build(db)
    before = sha(db)
    assert run_cli("build", "--if-stale").returncode == 0
    assert sha(db) == before
    alias = data_copy / "wilayah_alias.csv"
    alias.write_text(alias.read_text(encoding="utf-8"), encoding="utf-8")  # newer mtime
    os.utime(alias, (db.stat().st_mtime + 10, db.stat().st_mtime + 10))
    assert build.needs_build(db)


def test_build_to_explicit_path_with_db_flag(data_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "lain" / "kla.duckdb"
    proc = run_cli("build", "--db", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and not (data_copy / "kla.duckdb").exists()


def test_temp_file_of_a_killed_writer_is_cleaned_up_by_the_next_write(data_copy: Path) -> None:
    db = data_copy / "kla.duckdb"
    build.build(db)
    # a pid that cannot be running: above the kernel's pid_max
    stale = data_copy / "kla.duckdb.tmp-99999999"
    stale.write_bytes(b"half-written")
    (data_copy / "kla.duckdb.tmp-99999999.wal").write_bytes(b"wal")
    build.build(db)
    assert not stale.exists()
    assert not (data_copy / "kla.duckdb.tmp-99999999.wal").exists()


# --------------------------------------------------------------------------- one writer at a time

SLOW_WRITER = """
import sys, time
from pathlib import Path
from kla.ingest import store
db, tag, hold, wait_for, announce = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
if announce != "-":
    Path(announce).touch()  # "I am about to ask for the write"
with store.staged(db) as con:
    store.add_provenance(con, path=f"writer-{tag}", sha256="0" * 64, rows=0, kind="imported", table_name="kla_score")
    print(f"IN {time.time()!r}", flush=True)
    deadline = time.time() + 30
    while wait_for != "-" and not Path(wait_for).exists() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(hold)
    print(f"LEAVING {time.time()!r}", flush=True)  # still inside the write: validate and swap follow
print("DONE", flush=True)
"""


def provenance_paths(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT path FROM provenance").fetchall()}
    finally:
        con.close()


def slow_writer(
    db: Path, tag: str, hold: float, *, wait_for: Path | None = None, announce: Path | None = None
) -> subprocess.Popen:
    """A writer that adds provenance row ``writer-<tag>`` and stays inside its write for a while."""
    return subprocess.Popen(
        [PY, "-c", SLOW_WRITER, str(db), tag, str(hold), str(wait_for or "-"), str(announce or "-")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_second_writer_waits_for_the_first_and_both_writes_survive(db_copy: Path, tmp_path: Path) -> None:
    # A stays inside its write until B has asked for its own, then 0.5 s more. Without the lock B
    # copies the database while A is still writing, and whichever swaps last drops the other's rows.
    b_asking = tmp_path / "b-asking"
    first = slow_writer(db_copy, "A", 0.5, wait_for=b_asking)
    second = None
    try:
        line = first.stdout.readline()
        assert line.startswith("IN "), first.stderr.read()
        second = slow_writer(db_copy, "B", 0.0, announce=b_asking)
        out_b, err_b = second.communicate(timeout=60)
        out_a, err_a = first.communicate(timeout=60)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert first.returncode == 0, err_a
    assert second.returncode == 0, err_b
    a_leaving = float(out_a.split("LEAVING ")[1].split()[0])
    b_in = float(out_b.split("IN ")[1].split()[0])
    assert b_in > a_leaving, "the second writer entered its write while the first was still inside its own"
    assert {"writer-A", "writer-B"} <= provenance_paths(db_copy)
    assert not list(db_copy.parent.glob("kla.duckdb.tmp*"))


def test_two_concurrent_cli_imports_both_land(db_copy: Path, tmp_path: Path) -> None:
    from tests.fixtures.nutrition import good_rows, write_csv

    files = [
        write_csv(tmp_path / "puskesmas_a.csv", good_rows(15, start=0)),
        write_csv(tmp_path / "puskesmas_b.csv", good_rows(25, start=500)),
    ]
    env = {**os.environ, "KLA_DB": str(db_copy)}
    procs = [
        subprocess.Popen(
            [PY, "-m", "kla", "import", "eppgbm", str(f)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    con = duckdb.connect(str(db_copy), read_only=True)
    try:
        per_file = dict(
            con.execute(
                "SELECT p.path, count(*) FROM measurement m JOIN provenance p USING (source_id) GROUP BY p.path"
            ).fetchall()
        )
    finally:
        con.close()
    assert per_file == {"puskesmas_a.csv": 15, "puskesmas_b.csv": 25}


def test_writer_gives_up_on_a_held_lock_with_a_clear_message(
    db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fixtures.nutrition import good_rows, write_csv

    path = write_csv(tmp_path / "tunggu.csv", good_rows(10))
    before = sha(db_copy)
    env = {**os.environ, "KLA_DB": str(db_copy), "KLA_WRITE_LOCK_TIMEOUT": "0.5"}
    with write_lock(db_copy):
        start = time.perf_counter()
        proc = run_kla("import", "eppgbm", str(path), env=env, timeout=120)
        waited = time.perf_counter() - start
        # in-process writers (the app's upload, build) wait on the same lock
        monkeypatch.setenv("KLA_WRITE_LOCK_TIMEOUT", "0.2")
        with pytest.raises(KlaError, match="Impor/pembangunan lain sedang menulis ke .*; coba lagi nanti"):
            build.build(db_copy)
        with pytest.raises(KlaError, match="coba lagi nanti"), store.staged(db_copy):
            pass
    assert proc.returncode == 2, proc.stderr
    assert f"Impor/pembangunan lain sedang menulis ke {db_copy}; coba lagi nanti" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert waited >= 0.5
    assert sha(db_copy) == before
    assert not list(db_copy.parent.glob("kla.duckdb.tmp*"))
    # once the lock is free the same import goes through
    from kla.ingest.nutrition import import_eppgbm

    assert import_eppgbm(path, db_copy).rows_imported == 10


def test_readers_do_not_take_the_writer_lock(db_copy: Path) -> None:
    from kla.read.db import connect_readonly

    with write_lock(db_copy, timeout=0):
        start = time.perf_counter()
        con = connect_readonly(db_copy)
        try:
            assert con.execute("SELECT count(*) FROM wilayah").fetchone()[0] == 74
        finally:
            con.close()
        assert time.perf_counter() - start < 5


def test_killed_writer_releases_the_lock_and_its_temp_file_is_cleaned(db_copy: Path) -> None:
    before = sha(db_copy)
    proc = slow_writer(db_copy, "killed", 120)
    try:
        line = proc.stdout.readline()
        assert line.startswith("IN "), proc.stderr.read()
        assert list(db_copy.parent.glob("kla.duckdb.tmp-*")), "the writer should be mid-write"
        with pytest.raises(KlaError, match="coba lagi nanti"), write_lock(db_copy, timeout=0.2):
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sha(db_copy) == before
    assert list(db_copy.parent.glob("kla.duckdb.tmp-*")), "kill -9 leaves its temp file behind"
    start = time.perf_counter()
    with store.staged(db_copy) as con:  # no wait for the dead writer
        store.add_provenance(con, path="after", sha256="1" * 64, rows=0, kind="imported", table_name="kla_score")
    assert time.perf_counter() - start < 10
    assert not list(db_copy.parent.glob("kla.duckdb.tmp-*"))
    paths = provenance_paths(db_copy)
    assert "after" in paths and "writer-killed" not in paths


def test_lock_file_sits_beside_the_database_and_is_git_ignored() -> None:
    db = PROJECT_ROOT / "data" / "kla.duckdb"
    assert lock_path(db) == PROJECT_ROOT / "data" / "kla.duckdb.lock"
    proc = subprocess.run(
        ["git", "check-ignore", "-q", "data/kla.duckdb.lock"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, "data/kla.duckdb.lock must be git-ignored"


@pytest.mark.parametrize("value", ["abc", "-1", "inf", "nan"])
def test_bad_lock_timeout_setting_is_refused(db_copy: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("KLA_WRITE_LOCK_TIMEOUT", value)
    before = sha(db_copy)
    with pytest.raises(KlaError, match="KLA_WRITE_LOCK_TIMEOUT"), store.staged(db_copy):
        pass
    assert sha(db_copy) == before


def test_database_files_and_their_temp_copies_are_private(db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One row per child: the artifact, the records and every temp copy are 0600 (issue 13)."""
    seen: dict[str, int] = {}
    real_validate = store.validate

    def spy(con) -> None:  # runs while the temp copy exists, before the swap
        for p in db_copy.parent.glob(f"{db_copy.name}.tmp-*"):
            seen[p.name] = p.stat().st_mode & 0o777
        real_validate(con)

    monkeypatch.setattr(store, "validate", spy)
    db_copy.chmod(0o644)  # a database from before this rule
    with store.staged(db_copy) as con:
        con.execute("INSERT INTO meta VALUES ('test_private', '1')")
    assert seen and set(seen.values()) == {0o600}, seen
    assert db_copy.stat().st_mode & 0o777 == 0o600
    imports = load_city().records_dir / "imports.duckdb"
    assert imports.exists() and imports.stat().st_mode & 0o777 == 0o600
