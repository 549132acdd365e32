"""The nutrition store's two frames for the pages: monthly routine figures and published figures.

What the Gizi Anak page (:mod:`kla.views.nutrition`) and the map (:mod:`kla.read.mapdata`) read;
rates and Wilson intervals are added by :func:`kla.core.rates.add_rates`, the same arithmetic
the importers use.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from kla.core.rates import add_rates
from kla.read.repository import query


def agg_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All rows of ``nutrition_agg`` with rates added (small: levels × months × sources)."""
    df = query(con, "nutrition_agg")
    df["period"] = pd.to_datetime(df["period"])
    return add_rates(df)


def published_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Published child-nutrition figures with their source URLs (survey and routine apart)."""
    return query(con, "nutrition_published")
