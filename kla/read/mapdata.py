"""Everything the Peta page reads from the store, as plain frames for :mod:`kla.views.maps`.

Kept next to the boundary queries (:mod:`kla.read.boundaries`) so the map's data access lives in one place;
nutrition figures come from :func:`kla.read.nutrition.agg_frame` (the nutrition issue's own query,
rates and Wilson intervals), not from a second copy of that SQL.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kla.read import repository
from kla.read.nutrition import agg_frame
from kla.read.repository import sql

_has = repository.has_relation


def nutrition(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Monthly nutrition figures per area with rates (empty frame when that part is not built)."""
    if not _has(con, "nutrition_agg"):
        return pd.DataFrame()
    return agg_frame(con.cursor())


def published(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.cursor().execute(sql("map_published")).df()


def kla_achievement(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not _has(con, "kla_score"):
        return pd.DataFrame(
            columns=["area_code", "area_level", "year", "points", "max_points", "n_indicators", "sample"]
        )
    return con.cursor().execute(sql("map_kla_achievement")).df()


def areas(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return repository.area_names(con)
