"""Reading the ``boundary`` table (and the wilayah names boundary files are matched to).

Reads take any connection (the app's read-only one). Values are always bound parameters; the SQL
lives in ``kla/read/sql/boundar*.sql``, one named query per file. Writing boundaries is
:mod:`kla.ingest.boundaries`.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pandas as pd

from kla.read import repository
from kla.read.repository import sql


def has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return repository.has_relation(con, "boundary")


def wilayah_frames(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wilayah and alias tables as the pure functions expect them."""
    wilayah = repository.area_names(con)
    aliases = con.cursor().execute(sql("boundaries_wilayah_alias")).df()
    return wilayah, aliases


def boundary_levels(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """``{level: count}`` of stored boundaries; empty when none (or no table yet)."""
    if not has_table(con):
        return {}
    return {str(lv): int(n) for lv, n in con.cursor().execute(sql("boundary_levels")).fetchall()}


def load_boundaries(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Stored boundaries of ``level``: ``code, name, geojson, area_km2, parent_code, source_path, source_note``."""
    if not has_table(con):
        return pd.DataFrame(
            columns=["code", "name", "geojson", "area_km2", "parent_code", "source_path", "source_note"]
        )
    return con.cursor().execute(sql("boundaries"), {"level": level}).df()


def feature_collection(frame: pd.DataFrame) -> dict[str, Any]:
    """GeoJSON FeatureCollection for plotly: ``id`` = code, properties ``name``."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": code, "properties": {"name": name}, "geometry": json.loads(text)}
            for code, name, text in zip(frame["code"], frame["name"], frame["geojson"], strict=True)
        ],
    }


def stored_gdf(con: duckdb.DuckDBPyConnection, level: str) -> Any:
    """Stored boundaries of ``level`` as a GeoDataFrame (EPSG:4326), or None when there are none."""
    import geopandas as gpd
    import shapely

    frame = load_boundaries(con, level)
    if frame.empty:
        return None
    return gpd.GeoDataFrame(
        frame[["code", "name"]], geometry=shapely.from_geojson(frame["geojson"].tolist()), crs="EPSG:4326"
    )


def reference_bbox(con: duckdb.DuckDBPyConnection) -> tuple[float, float, float, float] | None:
    """Extent of whatever boundaries are stored, to spot a file for another place."""
    for level in ("kecamatan", "kelurahan"):
        gdf = stored_gdf(con, level)
        if gdf is not None:
            return tuple(float(v) for v in gdf.total_bounds)  # type: ignore[return-value]
    return None
