"""Public API of the boundary package, and the two import paths end to end.

Pure parts (re-exported here):

* :func:`read_manifest`: the known files (the city's ``boundary_manifest``);
* :func:`fetch`: download or copy, verify sha256, parse -> ``{level: GeoDataFrame}``;
* :func:`import_user_file`: a user's GeoJSON / GeoPackage / zipped Shapefile, any CRS, matched
  to the wilayah table;
* :func:`validate`, :func:`simplify`, :func:`prepare`: coverage checks and the one
  simplification, returning :class:`BoundaryRow` (GeoJSON text ready to store).

Orchestration (:func:`fetch_into`, :func:`import_into`) runs those and writes the result
through :func:`kla.ingest.store.staged` (:func:`replace_level`), so the database changes only
when everything passed. Reading stored boundaries is :mod:`kla.read.boundaries`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from geo.fetch import DEFAULT_TIMEOUT, FetchError, fetch
from geo.manifest import LEVELS, ManifestEntry, read_manifest
from geo.userfile import import_user_file
from geo.validate import BoundaryRow, PreparedLevel, prepare, simplify, validate
from kla.read.repository import sql

__all__ = [
    "LEVELS",
    "BoundaryRow",
    "FetchError",
    "ImportSummary",
    "ManifestEntry",
    "PreparedLevel",
    "fetch",
    "fetch_into",
    "import_into",
    "import_user_file",
    "prepare",
    "read_manifest",
    "replace_level",
    "simplify",
    "validate",
]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the boundary table if a database built before this schema lacks it."""
    con.execute(sql("schema_30_geo"))


def replace_level(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedLevel,
    source_ids: dict[str, int],
) -> int:
    """Replace every boundary of ``prepared.level`` with ``prepared.rows`` (inside :func:`~kla.ingest.store.staged`).

    Parameters
    ----------
    source_ids:
        code -> provenance ``source_id`` (fetch: one file per area; import: one file for all).

    Returns
    -------
    number of rows written.
    """
    ensure_schema(con)
    con.execute(sql("boundaries_delete_level"), [prepared.level])
    con.executemany(
        sql("boundaries_insert"),
        [[r.code, r.level, r.name, r.geojson, r.area_km2, source_ids[r.code]] for r in prepared.rows],
    )
    (n,) = con.execute(sql("boundaries_count_level"), [prepared.level]).fetchone()
    return int(n)


@dataclass
class ImportSummary:
    """What a fetch or import stored, for the CLI to print."""

    levels: list[PreparedLevel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fetch_into(
    db: Path | None = None,
    *,
    source: str | None = None,
    levels: Iterable[str] = LEVELS,
    timeout: float = DEFAULT_TIMEOUT,
    manifest: Path | None = None,
) -> ImportSummary:
    """``python -m kla geo fetch``: download, verify, validate, simplify, store atomically.

    Every file is downloaded and checked before the database is opened; then validation and
    the write run inside :func:`kla.ingest.store.staged`. Any failure leaves the database as it was.
    """
    import time

    from kla.core import config
    from kla.ingest import store
    from kla.read import boundaries as geostore

    start = time.perf_counter()
    levels = tuple(levels)
    city = config.load_city()
    frames = fetch(source, levels, timeout=timeout, manifest=manifest)
    entries = {e.code: e for e in read_manifest(manifest, levels)}
    summary = ImportSummary()
    with store.staged(db) as con:
        wilayah, _ = geostore.wilayah_frames(con)
        for level in levels:
            gdf = frames[level]
            prepared = prepare(
                gdf, level, wilayah, official_area_km2=city.official_area_km2, file=f"manifest ({level})"
            )
            source_ids: dict[str, int] = {}
            for code, origin, sha in zip(gdf["code"], gdf["origin"], gdf["sha256"], strict=True):
                e = entries[code]
                source_ids[code] = store.add_provenance(
                    con,
                    path=origin,
                    sha256=sha,
                    rows=1,
                    # 'imported': came in through an import command, so a rebuild carries it over.
                    kind="imported",
                    table_name="boundary",
                    note=f"batas {level} {code} {e.name}; {e.source}; {e.licence}",
                )
            replace_level(con, prepared, source_ids)
            summary.levels.append(prepared)
    summary.seconds = time.perf_counter() - start
    return summary


def import_into(
    path: Path,
    level: str,
    db: Path | None = None,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    layer: str | None = None,
) -> ImportSummary:
    """``python -m kla geo import FILE --level L``: read, match, validate, simplify, store atomically."""
    import time

    from kla.core import config
    from kla.ingest import store
    from kla.ingest.files import file_sha256
    from kla.read import boundaries as geostore

    start = time.perf_counter()
    city = config.load_city()
    summary = ImportSummary()
    with store.staged(db) as con:
        wilayah, aliases = geostore.wilayah_frames(con)
        parents = geostore.stored_gdf(con, "kecamatan") if level == "kelurahan" else None
        gdf, notes = import_user_file(
            path,
            level,
            wilayah=wilayah,
            aliases=aliases,
            code_field=code_field,
            name_field=name_field,
            parent_field=parent_field,
            layer=layer,
            parent_boundaries=parents,
            reference_bbox=geostore.reference_bbox(con),
            city=city.name,
        )
        prepared = prepare(gdf, level, wilayah, official_area_km2=city.official_area_km2, file=path.name)
        sid = store.add_provenance(
            con,
            path=path.name,
            sha256=file_sha256(path),
            rows=len(prepared.rows),
            kind="imported",
            table_name="boundary",
            note=f"batas {level} dari berkas pengguna; " + "; ".join(notes + prepared.notes),
        )
        replace_level(con, prepared, {r.code: sid for r in prepared.rows})
        summary.levels.append(prepared)
        summary.notes = notes
    summary.seconds = time.perf_counter() - start
    return summary
