"""Structure rules that keep the design honest (Datasette's "test the structure" habit)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.cli import run_kla

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_TOP = {
    "app.py",
    "pages",
    "data",
    "geo",
    "kla",
    "tests",
    "requirements.txt",
    "README.md",
    "requirements-dev.txt",
    "Makefile",
    ".ci",
    "pyproject.toml",
    ".streamlit",
    ".gitignore",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_kla_ui_imports_streamlit() -> None:
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "kla").rglob("*.py")
        if "streamlit" in _imports(p) and p.parent.name != "ui"
    ]
    assert offenders == []


def test_only_kla_db_and_the_writer_open_duckdb_connections() -> None:
    allowed = {"kla/read/db.py", "kla/ingest/store.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for p in [*(ROOT / "kla").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
        if "duckdb.connect(" in p.read_text(encoding="utf-8") and p.relative_to(ROOT).as_posix() not in allowed
    ]
    assert offenders == []


def test_pages_hold_no_sql_and_no_duckdb() -> None:
    for page in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        text = page.read_text(encoding="utf-8")
        assert "duckdb" not in _imports(page), page.name
        assert "SELECT " not in text.upper().replace("SELECTBOX", ""), page.name


def test_no_unsafe_html_anywhere() -> None:
    for path in [
        *ROOT.glob("*.py"),
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "kla").rglob("*.py"),
        *(ROOT / "geo").rglob("*.py"),
    ]:
        assert "unsafe_allow_html" not in path.read_text(encoding="utf-8"), path


def test_top_level_layout() -> None:
    tracked = {
        p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name in {".ci", ".streamlit", ".gitignore"}
    }
    tracked -= {".venv", "__pycache__"}
    assert {"app.py", "pages", "data", "geo", "kla", "tests", "requirements.txt", "README.md"} <= tracked
    assert tracked <= ALLOWED_TOP | {".git"}, tracked - ALLOWED_TOP


def test_every_requirement_is_pinned() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert "==" in line, f"{name}: {line} is not pinned"


def test_secure_streamlit_defaults_are_not_turned_off() -> None:
    text = (ROOT / ".streamlit/config.toml").read_text()
    assert "enableXsrfProtection = false" not in text
    assert "enableCORS = false" not in text
    assert 'showErrorDetails = "none"' in text


def test_no_boundary_geometry_is_committed() -> None:
    """Boundary files have an unclear licence: only the manifest may live in the project.

    The one exception is our own synthetic test city (tests/fixtures/kota_uji): squares we drew,
    each marked ``synthetic`` in its properties.
    """
    import json

    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    geometry = [f for f in files if f.endswith((".geojson", ".gpkg", ".shp", ".topojson", ".parquet"))]
    synthetic = [
        f
        for f in geometry
        if f.startswith("tests/fixtures/kota_uji/geo/")
        and f.endswith(".geojson")
        and json.loads((ROOT / f).read_text(encoding="utf-8"))["properties"].get("synthetic")
    ]
    assert sorted(set(geometry) - set(synthetic)) == []


def test_sidebar_menu_lists_every_page_exactly_once() -> None:
    from kla.ui.page import NAV

    listed = [path for path, _, _ in NAV]
    on_disk = ["app.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))]
    assert sorted(listed) == sorted(on_disk)
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("args", [["-h"], ["import", "eppgbm", "-h"], ["plan", "-h"], ["zscore", "-h"]])
def test_cli_help_is_indonesian(args: list[str]) -> None:
    res = run_kla(*args, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("penggunaan:")
    for english in ("usage:", "positional arguments", "options:", "show this help message"):
        assert english not in res.stdout, english
