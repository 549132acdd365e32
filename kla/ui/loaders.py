"""Cached loaders over the one read-only connection.

The connection is keyed on the database fingerprint, so a rebuilt file is picked up without a
restart; :func:`database_fingerprint` is each page's entry (it builds the database on first start).
Every ``load_*`` takes that fingerprint so its cache is dropped with the file it read. The saved
scenarios live apart from the database: :mod:`kla.ui.scenarios`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from kla.core import config
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook
from kla.ingest import build
from kla.read import analysis as analysis_data
from kla.read import boundaries as geostore
from kla.read import nutrition as nutrition_read
from kla.read import repository
from kla.read.db import connect_readonly, fingerprint
from kla.ui.page import fail

log = logging.getLogger("kla.ui")
Fingerprint = tuple[str, int, int]


def _auto_build_enabled() -> bool:
    return os.environ.get("KLA_AUTO_BUILD", "1") != "0"


def database_fingerprint() -> Fingerprint:
    """Fingerprint of a usable database; builds it on first start, or stops with a message."""
    path = config.db_path()
    if not path.exists() and _auto_build_enabled():
        st.info(f"Basis data belum ada; sedang dibangun dari berkas kota di {config.city_dir()} (sekali saja).")
        bar = st.progress(0.0, text="Membangun basis data…")
        try:
            build.build(path, progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
        except KlaError as exc:
            fail(f"Basis data gagal dibangun: {exc}", hint="Perbaiki berkas sumber lalu muat ulang halaman ini.")
        bar.empty()
    try:
        fp = fingerprint(path)
        _forget_replaced_database(fp)
        _connection(fp)
    except FileNotFoundError:
        fail(
            f"Basis data belum ada ({path.name}).",
            hint="Jalankan `make run` atau `python -m kla build`, lalu muat ulang halaman ini.",
        )
    except KlaError as exc:
        fail(str(exc), hint="Jalankan `python -m kla build`, lalu muat ulang halaman ini.")
    return fp


_last_fingerprint: list[Fingerprint] = []


def _forget_replaced_database(fp: Fingerprint) -> None:
    """Close the connection to a file the build has since replaced.

    DuckDB keeps one database instance per path and process, so a new ``connect`` to the same
    path would silently reuse the old instance (the old, replaced inode). Closing it first makes
    the next connect open the new file.
    """
    if _last_fingerprint and _last_fingerprint[0] != fp:
        _connection.clear()
    _last_fingerprint[:] = [fp]


def _close(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.close()
    except duckdb.Error:  # already closed
        log.debug("connection already closed")


@st.cache_resource(max_entries=1, on_release=_close)
def _connection(fp: Fingerprint) -> duckdb.DuckDBPyConnection:
    """One read-only connection per database file version."""
    return connect_readonly(Path(fp[0]))


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook(fp: Fingerprint) -> Rulebook:
    return repository.rulebook(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook_info(fp: Fingerprint) -> pd.DataFrame:
    """The active rulebook with its source's provenance (Sumber Data page)."""
    return repository.rulebook_info(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_meta(fp: Fingerprint) -> dict[str, str]:
    return repository.meta(_connection(fp))


@st.cache_data(max_entries=16, show_spinner=False)
def load_score_years(fp: Fingerprint, area: str) -> pd.DataFrame:
    return repository.score_years(_connection(fp), area=area)


@st.cache_data(max_entries=64, show_spinner=False)
def load_scores(fp: Fingerprint, year: int, area: str) -> pd.DataFrame:
    return repository.kla_scores(_connection(fp), year=year, area=area)


def load_points(fp: Fingerprint, year: int, area: str) -> dict[str, float]:
    """``{indicator_code: points}`` of the scored indicators of one area and year."""
    return repository.points_by_code(load_scores(fp, year, area))


@st.cache_data(max_entries=16, show_spinner=False)
def load_published_stunting(fp: Fingerprint, area: str) -> pd.DataFrame:
    return repository.published_stunting(_connection(fp), area=area)


@st.cache_data(max_entries=4, show_spinner=False)
def load_provenance(fp: Fingerprint) -> pd.DataFrame:
    return repository.provenance(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_areas(fp: Fingerprint) -> pd.DataFrame:
    return repository.area_names(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_rulebook_crosswalk(fp: Fingerprint) -> Rulebook:
    """The rulebook with its health crosswalk rules (planner, what-if and crosswalk page share it)."""
    return analysis_data.rulebook_with_crosswalk(_connection(fp))


@st.cache_data(max_entries=8, show_spinner=False)
def load_area_scores(fp: Fingerprint, year: int) -> pd.DataFrame:
    return analysis_data.area_scores(_connection(fp), year=year)


@st.cache_data(max_entries=16, show_spinner=False)
def load_area_totals(fp: Fingerprint, area: str) -> pd.DataFrame:
    return analysis_data.area_totals(_connection(fp), area=area)


@st.cache_data(max_entries=16, show_spinner=False)
def load_published_all(fp: Fingerprint, area: str) -> pd.DataFrame:
    return analysis_data.published(_connection(fp), area=area)


@st.cache_data(max_entries=4, show_spinner=False)
def load_measure_values(fp: Fingerprint) -> pd.DataFrame:
    return analysis_data.measure_values(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_published_figures(fp: Fingerprint) -> pd.DataFrame:
    """Every published figure with its source URL (Sumber Data page)."""
    return repository.published_all(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_boundary_levels(fp: Fingerprint) -> dict[str, int]:
    """``{level: count}`` of stored boundaries (empty: the page explains how to fetch them)."""
    return geostore.boundary_levels(_connection(fp))


@st.cache_resource(max_entries=4)
def load_boundaries(fp: Fingerprint, level: str) -> tuple[dict, pd.DataFrame]:
    """Parsed boundaries of one level: (GeoJSON FeatureCollection, ``code, name, parent_code``).

    ``cache_resource`` because the parsed GeoJSON is large and only ever read (never mutated);
    the fingerprint argument drops it when the database is rebuilt.
    """
    frame = geostore.load_boundaries(_connection(fp), level)
    return geostore.feature_collection(frame), frame[["code", "name", "parent_code"]].reset_index(drop=True)


@st.cache_data(max_entries=2, show_spinner=False)
def load_map_inputs(fp: Fingerprint) -> object:
    """Everything the map's measures are computed from (:class:`kla.views.maps.MapInputs`)."""
    from kla.read import mapdata
    from kla.views.maps import MapInputs

    con = _connection(fp)
    return MapInputs(mapdata.nutrition(con), mapdata.published(con), mapdata.kla_achievement(con))


@st.cache_data(max_entries=4, show_spinner=False)
def load_nutrition_agg(fp: Fingerprint) -> pd.DataFrame:
    """Routine nutrition figures per month and area with rates and Wilson CIs (small table)."""
    return nutrition_read.agg_frame(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_nutrition_published(fp: Fingerprint) -> pd.DataFrame:
    """Published child-nutrition figures (survey and routine, labelled) with source URLs."""
    return nutrition_read.published_frame(_connection(fp))


@st.cache_data(max_entries=4, show_spinner=False)
def load_peer_figures(fp: Fingerprint) -> pd.DataFrame:
    """Published KLA categories, scores, survey stunting and award counts (:mod:`kla.views.peers` selects peers)."""
    from kla.views.peers import INDICATORS

    return repository.peer_figures(_connection(fp), INDICATORS)
