"""Shared fixtures: a database built once per session from the shipped data/, and cache hygiene."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import plotly
import pytest
import streamlit as st

from kla.ingest import build

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KLA_SHARED", ROOT.parent / "shared"))
os.environ.setdefault("TZ", "UTC")
# The suite runs on a test rulebook with unequal weights and uneven levels, not the shipped
# illustrative one, so replacing the shipped rulebook (e.g. with the city's official sheet) cannot
# break it. Tests of the shipped data itself set KLA_CITY_CONFIG to SHIPPED_CITY explicitly.
FIXTURES = ROOT / "tests" / "fixtures"
TEST_CITY = FIXTURES / "city_bobot_beragam" / "city.toml"
SHIPPED_CITY = ROOT / "data" / "city.toml"
os.environ.setdefault("KLA_CITY_CONFIG", str(TEST_CITY))
# Tests never touch the developer's real database or secret.
os.environ.setdefault("KLA_SECRET_KEY", "test-only-secret-key-not-for-production")
# ...nor the city's records (imports, scenarios): a throwaway folder for the session, and a private
# one per test (fixture `private_records`), so one test's imports never reach another's build.
os.environ.setdefault("KLA_RECORDS_DIR", tempfile.mkdtemp(prefix="kla-records-session-"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"python {sys.version.split()[0]}; duckdb {duckdb.__version__}; streamlit {st.__version__}; "
        f"pandas {pd.__version__}; plotly {plotly.__version__}",
    ]


@pytest.fixture(autouse=True)
def private_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes the city's records (imports.duckdb, scenarios.json) into its own folder."""
    folder = tmp_path / "records"
    monkeypatch.setenv("KLA_RECORDS_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped data built into a throwaway file (read-only use: copy it before writing)."""
    path = tmp_path_factory.mktemp("db") / "kla.duckdb"
    build.build(path)
    return path


@pytest.fixture
def db_copy(built_db: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the built database."""
    path = tmp_path / "kla.duckdb"
    shutil.copyfile(built_db, path)
    return path


@pytest.fixture
def app_env(built_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at the session database and clear Streamlit's process-global caches."""
    monkeypatch.setenv("KLA_DB", str(built_db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield built_db
    st.cache_data.clear()
    st.cache_resource.clear()
