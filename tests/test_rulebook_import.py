"""`python -m kla import rulebook`: the city's official KLA sheet becomes the active rulebook.

Every test works on a private city config (absolute paths to the shipped data, records folder in
tmp) and a private database, so the shipped data/ and tests/fixtures/ are never written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import tomllib
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from kla.core import config, fmt
from kla.core.config import PROJECT_ROOT
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook, load_rulebook
from kla.ingest import build, store
from kla.ingest.files import write_lock
from kla.ingest.rulebook_import import repoint_crosswalk, to_toml
from kla.ingest.rulebook_sheet import cluster_code, parse_levels
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

FIXTURE_RULEBOOK = PROJECT_ROOT / "tests/fixtures/rulebook/uji-bobot-beragam.toml"
SHIPPED_RULEBOOK = PROJECT_ROOT / "data/rulebook/kla-kemenpppa-24-ilustratif.toml"
BASE = load_rulebook(FIXTURE_RULEBOOK)
BASE_K3 = sum(i.max_points for i in BASE.indicators if i.group == "K3")
HEADER = ["No", "Indikator", "Klaster", "Nilai Maksimal", "Tingkat Poin", "OPD"]
#: unequal weights that differ from the fixture (levels with decimal comma): Klaster III 220 → 230, Klaster V 195 → 185
NEW_WEIGHTS = {
    12: (40, "0; 20; 40"),
    13: (80, "0; 20; 40; 60; 80"),
    14: (25, "0; 12,5; 25"),
    22: (55, "0; 27,5; 55"),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_city(folder: Path, rulebook: Path = FIXTURE_RULEBOOK) -> Path:
    data = PROJECT_ROOT / "data"
    path = folder / "city.toml"
    path.write_text(
        f"""[city]
code = "36.73"
name = "Kota Serang"
official_area_km2 = 266.314

[sources]
wilayah = "{data / "wilayah.csv"}"
wilayah_alias = "{data / "wilayah_alias.csv"}"
published_figures = "{data / "published_figures.csv"}"
rulebook = "{rulebook}"
kla_scores = [
  {{ path = "{data / "sample/kla_scores_2025.csv"}", year = 2025, kind = "sample" }},
]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private city folder with a built database; returns the folder (records go to <folder>/records)."""
    folder = tmp_path / "kota"
    folder.mkdir()
    monkeypatch.setenv("KLA_CITY_CONFIG", str(write_city(folder)))
    monkeypatch.delenv("KLA_RECORDS_DIR")  # the records folder next to this city's config
    monkeypatch.setenv("KLA_DATA_DIR", str(folder))
    monkeypatch.setenv("KLA_DB", str(folder / "kla.duckdb"))
    build.build(folder / "kla.duckdb")
    return folder


def records(folder: Path) -> Path:
    return folder / "records" / "rulebook.toml"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return run_kla(*args, timeout=120)


def sheet_rows(rb: Rulebook = BASE, weights: dict | None = None) -> list[list[object]]:
    """The rulebook as DP3AKB would type it: one row per indicator, cluster as label."""
    weights = NEW_WEIGHTS if weights is None else weights
    rows = []
    for i in rb.indicators:
        max_points, levels = weights.get(i.number, (i.max_points, fmt.number_list(i.levels)))
        rows.append([i.number, i.name, rb.group(i.group).label, max_points, levels, i.opd])
    return rows


def write_xlsx(path: Path, rows: list[list[object]], *, header: list[str] = HEADER, title: bool = True) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Evaluasi KLA"
    if title:
        ws.append(["LEMBAR EVALUASI KABUPATEN/KOTA LAYAK ANAK"])
        ws.merge_cells("A1:F1")  # merged title above the header is normal and allowed
        ws.append(["Kota Serang, tahun 2025"])
        ws.append([])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_valid_xlsx_becomes_the_active_rulebook(city: Path, tmp_path: Path) -> None:
    sheet = write_xlsx(tmp_path / "Lembar KLA resmi.xlsx", sheet_rows())
    proc = run_cli("import", "rulebook", str(sheet))
    assert proc.returncode == 0, proc.stderr
    assert "Rulebook aktif sekarang kla-resmi-36-73@" in proc.stderr
    key = f"kla-resmi-36-73@{sha(sheet)[:12]}"
    # records file: the normalised rulebook with its provenance, and now the city's active rulebook
    saved = tomllib.loads(records(city).read_text(encoding="utf-8"))
    assert saved["rulebook"]["imported_from"] == "Lembar KLA resmi.xlsx"
    assert saved["rulebook"]["imported_sha256"] == sha(sheet)
    assert saved["rulebook"]["weights_official"] is True
    assert config.load_city().rulebook == records(city)
    rb = load_rulebook(records(city))
    assert rb.key == key and rb.weights_official and rb.weights_note == ""
    assert rb.indicator("I13").max_points == 80 and rb.indicator("I14").levels == (0, 12.5, 25)
    assert rb.indicator("I05").levels == BASE.indicator("I05").levels  # "0; 7,5; 15; 22,5; 30"
    # the crosswalk is kept, re-pointed by number, points converted to the new levels
    by_measure = {r.measure: r for r in rb.crosswalk}
    assert by_measure["stunting_prevalence"].steps == ((14.0, 80.0), (17.0, 40.0), (20.0, 20.0))
    assert by_measure["exclusive_breastfeeding"].steps == ((80.0, 25.0), (70.0, 12.5))
    assert by_measure["facility_births"].steps == ((95.0, 40.0), (90.0, 20.0))
    assert "dikonversi" in proc.stderr
    # the database has it, with the sheet in the provenance row
    con = duckdb.connect(str(city / "kla.duckdb"), read_only=True)
    assert con.execute("SELECT rulebook_id, version, weights_official FROM rulebook").fetchone() == (
        "kla-resmi-36-73",
        sha(sheet)[:12],
        True,
    )
    assert con.execute("SELECT max_points FROM kla_indicator WHERE code = 'I13'").fetchone()[0] == 80
    prov = con.execute("SELECT path, sha256, rows, kind, note FROM provenance WHERE table_name = 'kla_indicator'")
    path, digest, rows, kind, note = prov.fetchone()
    assert (path, digest, rows, kind) == ("Lembar KLA resmi.xlsx", sha(sheet), 24, "imported")
    assert key in note and "records/rulebook.toml" in note
    assert {r[0] for r in con.execute("SELECT DISTINCT rulebook_key FROM kla_score").fetchall()} == {key}
    con.close()
    # the score CLI uses the new weights and no longer prints an illustrative label
    out = run_cli("score", "--year", "2025", "--json")
    assert out.returncode == 0, out.stderr
    groups = json.loads(out.stdout)["groups"]
    assert sum(g["max"] for g in groups.values()) == pytest.approx(1000)
    k3 = sum(i.max_points for i in rb.indicators if i.group == "K3")
    assert groups["Klaster III"]["max"] == pytest.approx(k3) != BASE_K3
    text = run_cli("score", "--year", "2025")
    assert text.returncode == 0 and "Bobot:" not in text.stdout and "ilustratif" not in text.stdout
    # a plain rebuild keeps it (records file preferred over city.toml's rulebook), one provenance row
    assert run_cli("build").returncode == 0
    con = duckdb.connect(str(city / "kla.duckdb"), read_only=True)
    assert con.execute("SELECT rulebook_id FROM rulebook").fetchone()[0] == "kla-resmi-36-73"
    assert con.execute("SELECT count(*) FROM provenance WHERE table_name = 'kla_indicator'").fetchone()[0] == 1
    con.close()
    # the same sheet again: nothing to do
    before = sha(city / "kla.duckdb")
    again = run_cli("import", "rulebook", str(sheet))
    assert again.returncode == 0 and "sudah menjadi rulebook aktif" in again.stderr
    assert sha(city / "kla.duckdb") == before


def test_records_file_makes_the_database_stale(city: Path, tmp_path: Path) -> None:
    db = city / "kla.duckdb"
    assert not build.needs_build(db)
    assert records(city) in config.load_city().source_paths()
    records(city).parent.mkdir()
    records(city).write_text(to_toml(_raw(BASE)), encoding="utf-8")
    os.utime(records(city), (db.stat().st_mtime + 10, db.stat().st_mtime + 10))
    assert build.needs_build(db)


def _raw(rb: Rulebook) -> dict:
    return {k: rb.raw[k] for k in ("rulebook", "group", "band", "indicator")}


def _with(fn):
    def make(tmp: Path) -> Path:
        rows = sheet_rows()
        fn(rows)
        return write_xlsx(tmp / "lembar.xlsx", rows)

    return make


def _set(row: int, col: int, value: object):
    def fn(rows: list[list[object]]) -> None:
        rows[row][col] = value

    return fn


def _merged(tmp: Path) -> Path:
    path = write_xlsx(tmp / "lembar.xlsx", sheet_rows())
    wb = openpyxl.load_workbook(path)
    wb.active.merge_cells("C5:C7")  # the cluster typed once for three rows
    wb.save(path)
    return path


def _formula(tmp: Path) -> Path:
    rows = sheet_rows()
    rows[5][3] = "=30+10"  # row 10 of the sheet, column D
    return write_xlsx(tmp / "lembar.xlsx", rows)


def _no_header(tmp: Path) -> Path:
    rows = sheet_rows()
    return write_xlsx(tmp / "lembar.xlsx", rows, header=["Nomor urut", "Uraian", "Kategori", "Angka"])


def _csv_1252(tmp: Path, rows: list[list[object]]) -> Path:
    frame = pd.DataFrame(rows, columns=HEADER)
    path = tmp / "lembar.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").encode("cp1252"))
    return path


BAD = {
    "23 indicators": (_with(lambda r: r.pop()), ["nomor indikator tidak ada: 24"]),
    "25 indicators": (
        _with(lambda r: r.append([25, "Indikator tambahan", "Klaster V", 0, "", ""])),
        ["di luar 1–24: 25"],
    ),
    "duplicate number": (_with(_set(6, 0, 6)), ["baris 11", "nomor indikator 6 ganda", "sudah ada di baris 10"]),
    "maxima sum to 999": (_with(lambda r: r[0].__setitem__(slice(3, 5), [59, ""])), ["999", "seharusnya tepat 1000"]),
    "level above its maximum": (
        _with(_set(2, 4, "0; 20; 40; 50")),
        ["baris 7", "Tingkat Poin", "50 melebihi poin maksimum 45"],
    ),
    "unknown cluster": (_with(_set(3, 2, "Klaster VII")), ["baris 8", "Klaster", "Klaster VII", "tidak dikenal"]),
    "no header row": (_no_header, ["tidak ada baris judul kolom", "10 baris pertama", "nomor, indikator"]),
    "merged cells": (_merged, ["sel gabungan", "C5:C7", "Unmerge"]),
    "formula in a cell": (_formula, ["baris 10", "sel D10 berisi rumus", "=30+10", "Paste Values"]),
    "levels not readable": (_with(_set(1, 4, "0 sampai 55")), ["baris 6", "tidak terbaca", "titik koma"]),
    "total row disagrees": (
        _with(lambda r: r.append([None, "Jumlah", None, 990])),
        ["baris jumlah menyebut 990", "1000"],
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sheets_are_refused_and_change_nothing(case: str, city: Path, tmp_path: Path) -> None:
    make, needles = BAD[case]
    path = make(tmp_path)
    db = city / "kla.duckdb"
    before = sha(db)
    proc = run_cli("import", "rulebook", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} not in {proc.stderr!r}"
    assert "tidak ada yang diubah" in proc.stderr
    assert sha(db) == before
    assert not records(city).exists() and not (city / "records").exists()


def test_windows_1252_csv_is_read_correctly(city: Path, tmp_path: Path) -> None:
    rows = sheet_rows()
    rows[19][1] = "Pencegahan kekerasan – termasuk ‘perundungan’ di sekolah"
    proc = run_cli("import", "rulebook", str(_csv_1252(tmp_path, rows)))
    assert proc.returncode == 0, proc.stderr
    assert "Windows-1252" in proc.stderr
    rb = load_rulebook(records(city))
    assert rb.indicator("I20").name == "Pencegahan kekerasan – termasuk ‘perundungan’ di sekolah"
    assert rb.indicator("I14").levels == (0, 12.5, 25)


def test_comma_csv_with_spaced_level_lists_and_cluster_spellings(city: Path, tmp_path: Path) -> None:
    spellings = {"KL": "Kelembagaan", "K1": "I", "K2": "2", "K3": "Klaster III", "K4": "Klaster 4", "K5": "klaster v"}
    rows = [
        [f"{i.number}.", i.name, spellings[i.group], fmt.number(i.max_points), ", ".join(map(str, i.levels)), ""]
        for i in BASE.indicators
    ]
    frame = pd.DataFrame(rows, columns=["NO", "nama indikator", " KLASTER ", "Poin Maksimal", "levels", "OPD"])
    path = tmp_path / "lembar.csv"
    frame.to_csv(path, index=False)
    proc = run_cli("import", "rulebook", str(path), "--id", "kla-serang", "--version", "2025")
    assert proc.returncode == 0, proc.stderr
    rb = load_rulebook(records(city))
    assert rb.key == "kla-serang@2025"
    assert [(i.number, i.group, i.max_points, i.levels) for i in rb.indicators] == [
        (i.number, i.group, i.max_points, i.levels) for i in BASE.indicators
    ]
    assert rb.indicator("I01").opd == BASE.indicator("I01").opd  # empty OPD: the active rulebook's


def test_toml_input_and_illustrative_flag(city: Path, tmp_path: Path) -> None:
    path = tmp_path / "rulebook.toml"
    path.write_text(SHIPPED_RULEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_cli("import", "rulebook", str(path), "--bobot-ilustratif")
    assert proc.returncode == 0, proc.stderr
    rb = load_rulebook(records(city))
    shipped = load_rulebook(SHIPPED_RULEBOOK)
    assert rb.key == shipped.key and not rb.weights_official and rb.weights_note == "bobot ilustratif"
    assert rb.indicators == shipped.indicators and rb.crosswalk == shipped.crosswalk
    assert "Bobot: bobot ilustratif" in run_cli("score", "--year", "2025").stdout


def test_conflicting_imported_scores_refuse_the_import(city: Path, tmp_path: Path) -> None:
    scores = tmp_path / "nilai_2024.csv"
    frame = pd.read_csv(PROJECT_ROOT / "data/sample/kla_scores_2025.csv", dtype=str, keep_default_na=False)
    frame["rulebook"] = BASE.key
    frame["poin"] = [str(BASE.indicator(c).max_points / 2) for c in frame["kode_indikator"]]
    frame.to_csv(scores, index=False)
    done = run_cli("import", "kla-scores", str(scores), "--year", "2024")
    assert done.returncode == 0, done.stderr
    db = city / "kla.duckdb"
    before = sha(db)
    proc = run_cli("import", "rulebook", str(write_xlsx(tmp_path / "lembar.xlsx", sheet_rows())))
    assert proc.returncode == 2, proc.stderr
    assert "24 nilai KLA tersimpan" in proc.stderr and "tidak ada yang diubah" in proc.stderr
    for code in BASE.codes:  # every conflict listed, none elided
        assert f"nilai 2024 wilayah 36.73 indikator {code}: dibuat untuk rulebook {BASE.key}" in proc.stderr
    assert "masalah lain" not in proc.stderr
    assert sha(db) == before and not records(city).exists()


def test_failed_swap_puts_the_records_file_back(city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kla.ingest import rulebook_import as ri

    sheet = write_xlsx(tmp_path / "lembar.xlsx", sheet_rows())
    meta = ri.ImportMeta("lembar.xlsx", sha(sheet), pd.Timestamp("2026-01-01").to_pydatetime(), "x", "1", "t")
    result = ri.import_rulebook_file(sheet, active=BASE, meta=meta)
    db = city / "kla.duckdb"
    before = sha(db)
    real = os.replace

    def fail_on_db(src, dst):
        if Path(dst) == db:
            raise OSError("disk penuh (uji)")
        return real(src, dst)

    monkeypatch.setattr(store.os, "replace", fail_on_db)
    with pytest.raises(OSError):
        build.build(db, rulebook=build.PendingRulebook(result.rulebook, result.text, records(city)))
    assert sha(db) == before and not records(city).exists()


@pytest.mark.parametrize("source", [FIXTURE_RULEBOOK, SHIPPED_RULEBOOK], ids=["fixture", "shipped"])
def test_round_trip_of_a_rulebook_as_a_sheet(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "kota"
    folder.mkdir()
    monkeypatch.setenv("KLA_CITY_CONFIG", str(write_city(folder, source)))
    monkeypatch.delenv("KLA_RECORDS_DIR")
    monkeypatch.setenv("KLA_DATA_DIR", str(folder))
    monkeypatch.setenv("KLA_DB", str(folder / "kla.duckdb"))
    original = load_rulebook(source)
    rows = [
        [i.number, i.name, original.group(i.group).label, i.max_points, fmt.number_list(i.levels), i.opd, i.status]
        for i in original.indicators
    ]
    sheet = write_xlsx(tmp_path / "lembar.xlsx", rows, header=[*HEADER, "Status"])
    proc = run_cli("import", "rulebook", str(sheet), "--bobot-ilustratif")
    assert proc.returncode == 0, proc.stderr
    rb = load_rulebook(records(folder))
    fields = [(i.number, i.code, i.name, i.group, i.opd, i.max_points, i.levels, i.status) for i in rb.indicators]
    assert fields == [
        (i.number, i.code, i.name, i.group, i.opd, i.max_points, i.levels, i.status) for i in original.indicators
    ]
    assert rb.crosswalk == original.crosswalk and rb.bands == original.bands and rb.groups == original.groups


CLUSTERS = [
    ("Kelembagaan", "KL"),
    ("KELEMBAGAAN", "KL"),
    ("Klaster I", "K1"),
    ("I", "K1"),
    ("1", "K1"),
    ("Klaster 1", "K1"),
    ("Klaster III", "K3"),
    ("klaster iv: pendidikan", "K4"),
    ("K5", "K5"),
    ("Kesehatan Dasar dan Kesejahteraan", "K3"),
    ("Klaster VI", None),
    ("Klaster 0", None),
    ("Lainnya", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "code"), CLUSTERS)
def test_cluster_spellings(text: str, code: str | None) -> None:
    assert cluster_code(text, BASE.groups) == code


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("0; 10; 20; 30", [0, 10, 20, 30]),
        ("0; 12,5; 25", [0, 12.5, 25]),
        ("0, 10, 20", [0, 10, 20]),
        ("0;12.5;25", [0, 12.5, 25]),
        ("0,10,20", None),  # commas between digits are decimal commas: ambiguous, refused
        ("nol; sepuluh", None),
    ],
)
def test_level_syntax(text: str, levels: list[float] | None) -> None:
    assert parse_levels(text) == levels


def _reweighted(changes: dict[int, tuple[float, list[float]]]) -> Rulebook:
    from kla.core.rulebook import parse_rulebook

    raw = _raw(BASE)
    raw["indicator"] = [
        {**i, "max_points": changes[i["number"]][0], "levels": changes[i["number"]][1]} if i["number"] in changes else i
        for i in raw["indicator"]
    ]
    return parse_rulebook(raw)


def test_crosswalk_steps_snap_down_merge_and_a_rule_that_collapses_is_dropped() -> None:
    # I12 facility_births: 30/20/10 of 30 points
    finer = _reweighted({12: (10, [0, 5, 10]), 1: (80, [0, 40, 80])})
    rules, _ = repoint_crosswalk(BASE, finer)
    assert [r["steps"] for r in rules if r["measure"] == "facility_births"] == [[[95, 10], [90, 5]]]
    coarse = _reweighted({12: (10, [0, 10]), 1: (80, [0, 40, 80])})  # 10 / 6,7→0 / 3,3→0
    rules, notes = repoint_crosswalk(BASE, coarse)
    assert [r["steps"] for r in rules if r["measure"] == "facility_births"] == [[[95, 10]]]
    rule = next(r for r in BASE.crosswalk if r.measure == "facility_births")
    weak = dataclasses.replace(rule, steps=((95.0, 20.0), (90.0, 10.0)))
    base = dataclasses.replace(BASE, crosswalk=(weak,))
    rules, notes = repoint_crosswalk(base, _reweighted({12: (30, [0, 30])}))  # 20 and 10 of 30 → 0
    assert rules == []
    assert any("facility_births → indikator 12 dihapus" in n for n in notes)


def test_missing_file_and_unknown_type(city: Path, tmp_path: Path) -> None:
    proc = run_cli("import", "rulebook", str(tmp_path / "tidak_ada.xlsx"))
    assert proc.returncode == 2 and "tidak ditemukan" in proc.stderr
    odd = tmp_path / "lembar.ods"
    odd.write_bytes(b"x")
    proc = run_cli("import", "rulebook", str(odd))
    assert proc.returncode == 2 and "tidak didukung" in proc.stderr
    assert not records(city).exists()


def test_pending_rulebook_requires_the_lock_like_every_writer(city: Path) -> None:
    with write_lock(city / "kla.duckdb"):
        os.environ["KLA_WRITE_LOCK_TIMEOUT"] = "0"
        try:
            with pytest.raises(KlaError):
                build.build(
                    city / "kla.duckdb", rulebook=build.PendingRulebook(BASE, to_toml(_raw(BASE)), records(city))
                )
        finally:
            del os.environ["KLA_WRITE_LOCK_TIMEOUT"]
    assert not records(city).exists()


def _page_texts(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "title", "subheader") for e in at.get(kind)]
    parts += [str(getattr(m.proto, "help", "")) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_pages_drop_the_illustrative_label_and_sumber_data_names_the_sheet(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    pages = ["app.py", *sorted(f"pages/{p.name}" for p in (PROJECT_ROOT / "pages").glob("*.py"))]

    def render(page: str) -> AppTest:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        at.run()
        if page != "app.py":
            at.switch_page(page)
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    assert "Bobot indikator: **bobot uji**" in _page_texts(render("app.py"))  # before: the label is shown
    sheet = write_xlsx(tmp_path / "Lembar KLA resmi.xlsx", sheet_rows())
    assert run_cli("import", "rulebook", str(sheet)).returncode == 0
    try:
        for page in pages:
            text = _page_texts(render(page))
            assert "bobot ilustratif" not in text.lower() and "bobot uji" not in text, page
            assert "Bobot indikator:" not in text, page
        at = render("pages/9_Sumber_Data.py")
        frame = next(d.value for d in at.dataframe if "keterangan" in d.value.columns)
        shown = dict(zip(frame["keterangan"], frame["nilai"], strict=True))
        assert shown["Rulebook"] == f"kla-resmi-36-73@{sha(sheet)[:12]}"
        assert shown["Bobot"] == "resmi" and shown["Berkas"] == "Lembar KLA resmi.xlsx"
        assert shown["sha256"] == sha(sheet) and shown["Diimpor (UTC)"]
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_rulebook_frame_for_a_shipped_rulebook(built_db: Path) -> None:
    from kla.read import repository
    from kla.read.db import connect_readonly
    from kla.views import sources

    con = connect_readonly(built_db)
    try:
        frame = sources.rulebook_frame(repository.rulebook_info(con))
    finally:
        con.close()
    shown = dict(zip(frame["keterangan"], frame["nilai"], strict=True))
    assert shown["Rulebook"] == BASE.key and shown["Bobot"] == "bobot uji (bukan bobot resmi)"
    assert shown["Asal"] == "berkas rulebook bawaan repo" and "Dibaca (UTC)" in shown


def test_readme_documents_the_command_columns_levels_and_records_file() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for needle in [
        "python -m kla import rulebook BERKAS",
        "data/records/rulebook.toml",
        "`0; 12,5; 25`",
        "--bobot-ilustratif",
        "Kembali ke rulebook bawaan",
        *("**nomor**", "**indikator**", "**klaster**", "**poin maksimal**"),
    ]:
        assert needle in readme, needle


def test_a_broken_records_file_is_replaced_by_the_next_import(city: Path, tmp_path: Path) -> None:
    records(city).parent.mkdir()
    records(city).write_text("[rulebook]\nid = 'rusak'\n", encoding="utf-8")
    proc = run_cli("import", "rulebook", str(write_xlsx(tmp_path / "lembar.xlsx", sheet_rows())))
    assert proc.returncode == 0, proc.stderr
    assert "tidak valid" in proc.stderr and "uji-bobot-beragam.toml" in proc.stderr
    assert load_rulebook(records(city)).id == "kla-resmi-36-73"
