"""The city's records live apart from the artifact: a rebuild or `make clean` never loses them.

Imported rows go to ``<records>/imports.duckdb`` (written before the database is swapped), saved
scenarios to ``<records>/scenarios.json`` (without touching either DuckDB file), and an
old-style database's imports move into the records on the first build.
"""

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
import pytest

from kla.cli.main import main as cli_main
from kla.core.config import PROJECT_ROOT, load_city
from kla.core.rulebook import load_rulebook
from kla.ingest import build, store
from kla.ingest.nutrition import import_eppgbm, import_rekap
from kla.ingest.scenarios import delete_scenario, rename_scenario, save_scenario
from kla.read import analysis as analysis_data
from kla.read import records
from tests.cli import run_kla
from tests.fixtures.nutrition import address, child_name, good_rows, nik, parent_name, write_csv
from tests.test_build import score_csv
from tests.test_rekap import GOOD as REKAP_ROWS
from tests.test_rekap import write as write_rekap

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

MIRROR = Path(os.environ.get("KLA_GEO_MIRROR", PROJECT_ROOT.parent / "shared" / "geo"))
# every imported row, without source_id (renumbered by each build), with its provenance
SNAPSHOT = {
    "kla_score": "year, area_code, indicator_code, points, evidence_status, t.note, rulebook_key",
    "measurement": "row_no, child_key, sex, measure_date, age_days, weight_kg, height_cm, haz, whz, waz, class_haz",
    "rekap": "row_no, period, kecamatan_code, kelurahan_code, sasaran, diukur, pendek, sangat_pendek",
    "nutrition_base": "source_type, level, area_key, period, measured, n_haz, stunted, wasted, underweight",
    "boundary": "code, level, t.name, md5(geojson), area_km2",
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def imported_rows(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: con.execute(
                f"SELECT p.path, p.sha256, p.kind, {cols} FROM {table} t JOIN provenance p USING (source_id) "  # noqa: S608
                f"WHERE {store.RECORD_SOURCES.replace('kind', 'p.kind').replace('table_name', 'p.table_name')} "
                "ORDER BY ALL"
            ).fetchall()
            for table, cols in SNAPSHOT.items()
        }
    finally:
        con.close()


def fill(db: Path, tmp_path: Path, *, boundaries: bool = True) -> None:
    """One import of every kind, and two saved scenarios."""
    scores = tmp_path / "nilai_2024.csv"
    scores.write_text(score_csv(), encoding="utf-8")
    assert cli_main(["import", "kla-scores", str(scores), "--year", "2024", "--db", str(db)]) == 0
    assert import_eppgbm(write_csv(tmp_path / "ekspor.csv", good_rows(40)), db).rows_imported == 40
    assert import_rekap(write_rekap(tmp_path, REKAP_ROWS), db).rows_imported == len(REKAP_ROWS)
    if boundaries and (MIRROR / "raw").is_dir():
        from kla.ingest.boundaries import fetch_into

        fetch_into(db, source=str(MIRROR))
    rb = load_rulebook(load_city().rulebook)
    pts = {i.code: float(i.levels[1]) for i in rb.indicators}
    for name in ("Rencana A", "Rencana B"):
        save_scenario(None, name=name, year=2025, area="36.73", points=pts, base=pts, rulebook=rb)


def test_clean_then_build_keeps_every_imported_row_and_scenario(
    db_copy: Path, tmp_path: Path, private_records: Path
) -> None:
    fill(db_copy, tmp_path)
    before = imported_rows(db_copy)
    assert len(before["kla_score"]) == 24 and len(before["measurement"]) == 40
    assert len(before["rekap"]) == len(REKAP_ROWS) and before["nutrition_base"]
    if (MIRROR / "raw").is_dir():
        assert len(before["boundary"]) == 73
    scenarios = analysis_data.scenarios()
    assert (private_records / "imports.duckdb").is_file() and (private_records / "scenarios.json").is_file()

    db_copy.unlink()  # what `make clean` does to the artifact
    report = build.build(db_copy)
    assert report.migrated_sources == 0 and report.carried_sources == 3 + (73 if before["boundary"] else 0)
    after = imported_rows(db_copy)
    assert after == before  # same rows, same values, same provenance (path, sha256, kind)
    con = duckdb.connect(str(db_copy), read_only=True)
    try:
        total = con.execute("SELECT sum(points) FROM kla_score WHERE year = 2024").fetchone()[0]
    finally:
        con.close()
    assert total == pytest.approx(526.5)  # levels[2] of the test rulebook (tests/test_build.py)
    assert analysis_data.scenarios().equals(scenarios)


def test_saving_a_scenario_writes_only_the_scenario_store(db_copy: Path, tmp_path: Path, private_records: Path) -> None:
    fill(db_copy, tmp_path, boundaries=False)
    imports = private_records / "imports.duckdb"
    watched = {p: (sha(p), p.stat().st_mtime_ns) for p in (db_copy, imports)}
    listing = {p.name for p in private_records.iterdir()} | {p.name for p in db_copy.parent.iterdir()}
    rb = load_rulebook(load_city().rulebook)
    pts = {i.code: float(i.levels[2]) for i in rb.indicators}
    took = []
    for n in range(5):
        start = time.perf_counter()
        save_scenario(None, name=f"S{n}", year=2025, area="36.73", points=pts, base=pts, rulebook=rb)
        took.append(time.perf_counter() - start)
    rename_scenario(None, name="S0", year=2025, area="36.73", new_name="S0 baru")
    delete_scenario(None, name="S1", year=2025, area="36.73")
    assert {p: (sha(p), p.stat().st_mtime_ns) for p in watched} == watched
    new = ({p.name for p in private_records.iterdir()} | {p.name for p in db_copy.parent.iterdir()}) - listing
    assert new <= {"scenarios.json.lock"}
    print(f"scenario save: median {sorted(took)[2] * 1000:.1f} ms over 5 saves")
    assert sorted(took)[2] < 0.5, took  # a small JSON file, not a database copy


def test_failed_artifact_swap_puts_the_records_back(
    db_copy: Path, tmp_path: Path, private_records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db_copy, tmp_path, boundaries=False)
    imports = private_records / "imports.duckdb"
    before = (sha(db_copy), sha(imports))
    real_replace = os.replace

    def fail_on_db(src, dst):
        if Path(dst) == db_copy:
            raise OSError("simulated: the database file could not be replaced")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_on_db)
    more = tmp_path / "lagi"
    more.mkdir()
    with pytest.raises(OSError, match="simulated"):
        import_eppgbm(write_csv(more / "ekspor2.csv", good_rows(30)), db_copy)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (sha(db_copy), sha(imports)) == before
    assert sorted(p.name for p in private_records.iterdir() if p.suffix != ".lock") == [
        "imports.duckdb",
        "scenarios.json",
    ]


KILL_IN_RECORDS_WRITE = """
import os, signal, sys
from pathlib import Path
from kla.ingest import store
from kla.ingest.nutrition import import_eppgbm
real = os.replace
def replace(src, dst):
    if Path(dst).name == "imports.duckdb":
        print("RECORDS", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # the new records file is written and fsynced, not yet renamed
    return real(src, dst)
os.replace = replace
import_eppgbm(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_kill_9_during_the_records_write_leaves_both_files_identical(
    db_copy: Path, tmp_path: Path, private_records: Path
) -> None:
    fill(db_copy, tmp_path, boundaries=False)
    imports = private_records / "imports.duckdb"
    before = (sha(db_copy), sha(imports))
    more = tmp_path / "lagi"
    more.mkdir()
    src = write_csv(more / "ekspor2.csv", good_rows(30))
    proc = subprocess.run(
        [sys.executable, "-c", KILL_IN_RECORDS_WRITE, str(src), str(db_copy)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL and "RECORDS" in proc.stdout, proc.stderr
    assert (sha(db_copy), sha(imports)) == before
    assert list(private_records.glob("imports.duckdb.tmp-*"))  # left by the killed writer ...
    assert import_eppgbm(src, db_copy).status == "imported"  # ... and cleaned by the next write
    assert not list(private_records.glob("*.tmp-*")) and not list(db_copy.parent.glob("*.tmp-*"))
    assert len(imported_rows(db_copy)["measurement"]) == 70


def test_an_old_style_database_moves_its_imports_and_scenarios_into_the_records(
    db_copy: Path, tmp_path: Path, private_records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db_copy, tmp_path, boundaries=False)
    rows = imported_rows(db_copy)
    scenarios = analysis_data.scenarios()
    # Make it a database from before this change: scenarios in its kla_scenario table, no records.
    con = duckdb.connect(str(db_copy))
    con.execute(
        "CREATE TABLE kla_scenario (name VARCHAR, year INTEGER, area_code VARCHAR, indicator_code VARCHAR, "
        "points DOUBLE, base_points DOUBLE, created_at TIMESTAMP, source_id INTEGER)"
    )
    for sc in records.read_scenarios():
        (sid,) = con.execute("SELECT max(source_id) + 1 FROM provenance").fetchone()
        con.execute(
            "INSERT INTO provenance VALUES (?, ?, '0', 24, 'imported', 'kla_scenario', '', now()::TIMESTAMP)",
            [sid, f"skenario:{sc['name']}"],
        )
        con.executemany(
            "INSERT INTO kla_scenario VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [sc["name"], sc["year"], sc["area_code"], c, p, b, sc["created_at"], sid]
                for c, (p, b) in sc["points"].items()
            ],
        )
    con.close()
    shutil.rmtree(private_records)

    monkeypatch.setenv("KLA_DB", str(db_copy))
    proc = run_kla("build", "--quiet", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "3 sumber impor dari kla.duckdb lama dipindahkan ke catatan kota" in proc.stderr
    assert "2 skenario" in proc.stderr
    assert imported_rows(db_copy) == rows
    pd_scen = analysis_data.scenarios()
    assert pd_scen[["name", "year", "area_code", "total", "n_changed"]].equals(
        scenarios[["name", "year", "area_code", "total", "n_changed"]]
    )
    # the records now stand on their own: the artifact can go
    db_copy.unlink()
    build.build(db_copy)
    assert imported_rows(db_copy) == rows
    rec = duckdb.connect(str(private_records / "imports.duckdb"), read_only=True)
    try:
        kinds = rec.execute("SELECT table_name, count(*) FROM provenance GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        rec.close()
    assert kinds == [("kla_score", 1), ("measurement", 1), ("rekap", 1)]  # no scenario provenance in imports


def test_no_name_or_nik_in_the_records_files(db_copy: Path, tmp_path: Path, private_records: Path) -> None:
    n = 60
    import_eppgbm(write_csv(tmp_path / "pii.csv", good_rows(n)), db_copy)
    fill(db_copy, tmp_path, boundaries=False)
    for path in private_records.iterdir():
        raw = path.read_bytes()
        for i in range(n):
            for secret in (nik(i), child_name(i), parent_name(i), address(i), child_name(i).split()[1]):
                assert secret.encode() not in raw, f"an identifier was written to {path.name}"
                assert secret.encode("utf-16-le") not in raw
        assert os.environ["KLA_SECRET_KEY"].encode() not in raw
    rec = duckdb.connect(str(private_records / "imports.duckdb"), read_only=True)
    art = duckdb.connect(str(db_copy), read_only=True)
    try:
        cols = {
            t: [r[0] for r in c.execute(f"DESCRIBE {t}").fetchall()]  # noqa: S608
            for t in store.CARRIED_TABLES
            for c in (rec,)
        }
        assert cols == {t: [r[0] for r in art.execute(f"DESCRIBE {t}").fetchall()] for t in store.CARRIED_TABLES}  # noqa: S608
    finally:
        rec.close()
        art.close()


def test_backup_copies_the_records_folder(db_copy: Path, tmp_path: Path, private_records: Path) -> None:
    fill(db_copy, tmp_path, boundaries=False)
    proc = run_kla("records", "backup", str(tmp_path / "cadangan"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (tmp_path / "cadangan").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["imports.duckdb", "scenarios.json"]
    for p in folder.iterdir():
        assert sha(p) == sha(private_records / p.name)


def test_make_clean_leaves_the_records_alone() -> None:
    text = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    (clean,) = [line for line in text.splitlines() if line.strip().startswith("rm -rf") and "kla.duckdb" in line]
    assert "records" not in clean and "data " not in clean + " "
