"""The ``boundary`` table: write (import commands only, inside ``store.staged``) and read.

Writes happen only on the read-write connection that :func:`kla.ingest.store.staged` yields, so a
failure anywhere leaves the previous database byte-identical. Reads take any connection
(the app's read-only one). Values are always bound parameters; the SQL lives in
``geo/sql/*.sql``, one named query per file, as in ``kla/sql``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd

from geo.validate import PreparedLevel
from kla.read import repository

SCHEMA_FILE = "schema_30_geo.sql"


@cache
def sql(name: str) -> str:
    """Text of ``geo/sql/<name>.sql``."""
    return (resources.files("kla.read") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the boundary table if a database built before this schema lacks it."""
    con.execute((resources.files("kla.read") / "sql" / SCHEMA_FILE).read_text(encoding="utf-8"))


def has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return repository.has_relation(con, "boundary")


@dataclass(frozen=True)
class SourceRecord:
    """Provenance for boundary rows: which file, its hash, and a note (licence, chain)."""

    path: str
    sha256: str
    rows: int
    note: str


def replace_level(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedLevel,
    source_ids: dict[str, int],
) -> int:
    """Replace every boundary of ``prepared.level`` with ``prepared.rows``.

    Parameters
    ----------
    source_ids:
        code -> provenance ``source_id`` (fetch: one file per area; import: one file for all).

    Returns
    -------
    number of rows written.
    """
    ensure_schema(con)
    con.execute("DELETE FROM boundary WHERE level = ?", [prepared.level])
    con.executemany(
        "INSERT INTO boundary VALUES (?, ?, ?, ?, ?, ?)",
        [[r.code, r.level, r.name, r.geojson, r.area_km2, source_ids[r.code]] for r in prepared.rows],
    )
    (n,) = con.execute("SELECT count(*) FROM boundary WHERE level = ?", [prepared.level]).fetchone()
    return int(n)


def wilayah_frames(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wilayah and alias tables as the pure functions expect them."""
    wilayah = repository.area_names(con)
    aliases = con.cursor().execute("SELECT alias, code FROM wilayah_alias").df()
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
