"""A city is one folder: ``KLA_CITY`` alone selects another city end to end.

The fixture ``tests/fixtures/kota_uji`` is an invented city (code 99.01, three kecamatan, nine
kelurahan, square boundaries, example.org sources). It is copied to a temporary folder, built and
given its boundaries with nothing but ``KLA_CITY`` set (the database lands in that folder), and
every page is rendered from it: no exception, no ``st.error``, no Serang name or code anywhere on
the page, and the map draws the fixture's own kecamatan.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core.config import PROJECT_ROOT
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "kota_uji"
PAGES = ["app.py", *sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "pages").glob("*.py"))]
KECAMATAN = ["99.01.01", "99.01.02", "99.01.03"]
#: Kota Serang's names and codes: none may reach a page of another city.
SERANG = ("Serang", "Kasemen", "Walantaka", "Curug", "Cipocok", "Taktakan", "36.73", "3673", "Banten")
#: every per-city override; the tests below set KLA_CITY only
OVERRIDES = ("KLA_CITY_CONFIG", "KLA_DATA_DIR", "KLA_DB", "KLA_GEO_MANIFEST", "KLA_GEO_SOURCE")


def _copy_city(dest: Path) -> Path:
    """A private copy of the fixture folder: the whole city, nothing outside it."""
    shutil.copytree(FIXTURE, dest / "kota_uji", ignore=shutil.ignore_patterns("*.duckdb*", "records"))
    return dest / "kota_uji"


def _env(city: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDES}
    return {**env, "KLA_CITY": str(city), "PYTHONPATH": str(PROJECT_ROOT)}


def _kla(city: Path, *args: str) -> subprocess.CompletedProcess:
    return run_kla(*args, env=_env(city), timeout=300)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture city built (``kla build``) and given boundaries (``kla geo fetch``), KLA_CITY only."""
    folder = _copy_city(tmp_path_factory.mktemp("kota"))
    for args in (("build", "--quiet"), ("geo", "fetch")):
        proc = _kla(folder, *args)
        assert proc.returncode == 0, proc.stderr
    assert (folder / "kla.duckdb").is_file()  # the database belongs to the city folder
    return folder


@pytest.fixture
def city_env(city: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLA_CITY", str(city))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield city
    st.cache_data.clear()
    st.cache_resource.clear()


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _page_text(at: AppTest) -> str:
    """Everything the page shows: text elements, metrics, widgets, dataframes and figure specs."""
    parts: list[str] = []
    for node in _walk(at._tree):
        value = getattr(node, "value", None) if getattr(node, "type", "") == "arrow_data_frame" else None
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_csv())
        elif getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
    return "\n".join(parts)


def _render(page: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_fixture_city_and_nothing_of_serang(city_env: Path, page: str) -> None:
    at = _render(page)
    assert at.title
    text = _page_text(at)
    assert "Kota Uji" in text
    leaked = [word for word in SERANG if word.lower() in text.lower()]
    assert leaked == [], f"{page} shows {leaked}"


def test_the_map_draws_the_fixture_kecamatan(city_env: Path) -> None:
    at = _render("pages/2_Peta.py")
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert figures, "the Peta page drew no figure"
    traces = [t for t in figures[0]["data"] if t["type"] == "choropleth"]
    located = sorted({c for t in traces if not t["name"].startswith("Garis") for c in t["locations"]})
    assert located == KECAMATAN
    features = sorted({f["id"] for t in traces for f in t["geojson"]["features"]})
    assert features == KECAMATAN


def test_the_build_reads_only_the_city_folder(city: Path) -> None:
    import duckdb

    con = duckdb.connect(str(city / "kla.duckdb"), read_only=True)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        paths = [r[0] for r in con.execute("SELECT path FROM provenance").fetchall()]
        kelurahan = con.execute("SELECT count(*) FROM wilayah WHERE level = 'kelurahan'").fetchone()[0]
        nutrition = con.execute("SELECT count(DISTINCT area_key) FROM nutrition_base WHERE level = 'kelurahan'")
        n_kel_sample = nutrition.fetchone()[0]
    finally:
        con.close()
    assert (meta["city_code"], meta["city_name"]) == ("99.01", "Kota Uji")
    assert kelurahan == 9 and n_kel_sample == 9
    # every source is a file of the city folder, recorded relative to it (boundaries: file:// URLs into it)
    assert all(not p.startswith(("/", "..")) or p.startswith("file://") for p in paths), paths
    assert "sample/gizi_contoh_agregat.csv" in paths
    assert any(p.endswith("kecamatan/99.01.01.geojson") for p in paths)


# --------------------------------------------------------------------------- missing files


@pytest.mark.parametrize(
    ("remove", "setting"),
    [
        ("wilayah_alias.csv", "wilayah_alias"),
        ("published_figures.csv", "published_figures"),
        ("sample/kla_scores_2025.csv", "kla_scores"),
        ("sample/gizi_contoh_agregat.csv", "nutrition_sample"),
    ],
)
def test_a_missing_city_file_is_named_with_its_setting(tmp_path: Path, remove: str, setting: str) -> None:
    folder = _copy_city(tmp_path)
    (folder / remove).unlink()
    proc = _kla(folder, "build")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"Berkas kota tidak ditemukan: {folder / remove}" in proc.stderr
    assert f"[sources] {setting}" in proc.stderr and "KLA_CITY=" in proc.stderr
    assert not (folder / "kla.duckdb").exists()


def test_a_missing_manifest_or_folder_is_named(tmp_path: Path) -> None:
    folder = _copy_city(tmp_path)
    assert _kla(folder, "build", "--quiet").returncode == 0
    (folder / "geo" / "manifest.csv").unlink()
    proc = _kla(folder, "geo", "fetch")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "geo/manifest.csv" in proc.stderr and "[sources] boundary_manifest" in proc.stderr

    nowhere = tmp_path / "tidak-ada"
    proc = _kla(nowhere, "build")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"Konfigurasi kota tidak ditemukan: {nowhere / 'city.toml'}" in proc.stderr


def test_the_app_names_a_missing_city_file_instead_of_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_city(tmp_path)
    (folder / "wilayah.csv").unlink()
    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLA_CITY", str(folder))
    monkeypatch.setenv("KLA_AUTO_BUILD", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Berkas kota tidak ditemukan" in e.value and "[sources] wilayah" in e.value for e in at.error)
    st.cache_data.clear()
    st.cache_resource.clear()


# --------------------------------------------------------------------------- generated files stay reproducible


def test_fixture_samples_and_manifest_are_what_the_generators_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.manifest import manifest_rows, write_manifest
    from kla.ingest import sample_nutrition

    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLA_CITY", str(FIXTURE))
    out = tmp_path / "agregat.csv"
    sample_nutrition.aggregate().to_csv(out, index=False)
    assert out.read_bytes() == (FIXTURE / "sample" / "gizi_contoh_agregat.csv").read_bytes()
    proc = _kla(FIXTURE, "sample", "--out-dir", str(tmp_path / "nilai"))
    assert proc.returncode == 0, proc.stderr
    for f in (tmp_path / "nilai").iterdir():
        assert f.read_bytes() == (FIXTURE / "sample" / f.name).read_bytes(), f.name

    manifest = FIXTURE / "geo" / "manifest.csv"
    rows = manifest_rows(FIXTURE / "geo", out=manifest, licence="", source="")
    committed = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    assert [(r["code"], r["level"], r["file"], r["sha256"], r["bytes"]) for r in rows] == list(
        committed[["code", "level", "file", "sha256", "bytes"]].itertuples(index=False, name=None)
    )
    write_manifest(rows, tmp_path / "manifest.csv")  # the writer round-trips through read_manifest
    from geo.manifest import read_manifest

    assert [e.code for e in read_manifest(tmp_path / "manifest.csv")][:3] == KECAMATAN


def test_synthetic_export_uses_the_city_not_serang(monkeypatch: pytest.MonkeyPatch) -> None:
    from kla.ingest import sample_export, sample_nutrition

    for name in OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLA_CITY", str(FIXTURE))
    export = sample_export.to_export(sample_nutrition.generate(max_rows=400), messy=True)
    niks = export.loc[export["NIK"] != "", "NIK"]
    assert niks.str.len().eq(16).all() and niks.str.startswith("9901").all()
    assert set(export["Prov"]) == {"PROVINSI UJI"} and set(export["Kab/Kota"]) == {"KOTA UJI"}
    text = export.to_csv()
    assert [w for w in SERANG if w.lower() in text.lower()] == []


# --------------------------------------------------------------------------- no city in code


def _code_strings(path: Path) -> Iterator[tuple[int, str]]:
    """String literals of a module that are not docstrings (docstrings may show a code format)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_city_code_is_written_into_code() -> None:
    modules = [
        PROJECT_ROOT / "app.py",
        *(f for d in ("kla", "geo", "pages") for f in sorted((PROJECT_ROOT / d).rglob("*.py"))),
    ]
    found = [
        f"{m.relative_to(PROJECT_ROOT)}:{line}"
        for m in modules
        for line, text in _code_strings(m)
        if "3673" in text or "36.73" in text or "Serang" in text
    ]
    assert found == []
