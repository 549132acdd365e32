"""Is this set of polygons really the city's wilayah at one level? Then make it small.

:func:`validate` checks, on both the fetch and the user-import path:

* every area of the level in the ``wilayah`` table is present exactly once, and no other code;
* every geometry is a (multi)polygon and valid, or can be repaired with ``make_valid`` at a
  negligible change of area (a tiny digitising loop); a real self-intersection is refused;
* neighbours neither overlap nor leave gaps beyond small tolerances (slivers below them are
  removed later by :func:`simplify` via ``coverage_clean``);
* the total area is close to the official area supplied by the caller (the city config), so a
  file in the wrong units, for the wrong city or with a kecamatan missing cannot slip through.

:func:`simplify` then cleans the coverage, simplifies it once with the coverage-preserving
``simplify_coverage`` (shared borders stay shared, no slivers) and rounds to 5 decimals
(about 1 m), which is what the maps draw.

Areas and tolerances are computed in a Lambert azimuthal equal-area projection centred on the
data, so areas are exact and nothing here assumes a UTM zone or a city.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.strtree import STRtree

from kla.core.errors import Problem, ValidationError

REPAIR_MAX_CHANGE_M2 = 1_000.0  # make_valid may fix a digitising loop, not redraw an area
OVERLAP_MAX_M2 = 1_000.0  # larger overlaps between two areas are a data error, not a sliver
OVERLAP_MAX_SHARE = 0.002  # ... or 0.2 % of the smaller area, whichever is larger
GAP_MAX_M2 = 1_000.0  # a hole between neighbours larger than this is a missing piece of city
DEFAULT_AREA_TOLERANCE = 0.03  # |total - official| / official; the shared data is at -0.24 %
DEFAULT_TOLERANCE_M = 25.0  # Visvalingam-Whyatt: ~sqrt(area) of dropped triangles, in metres
COORD_DECIMALS = 5  # 1e-5 degree ~ 1.1 m at the equator: invisible at city zoom, halves JSON
_CLEAN_SNAP_M = 0.05  # snap vertices closer than 5 cm: float noise between "identical" edges


@dataclass(frozen=True)
class BoundaryRow:
    """One area ready for the ``boundary`` table.

    ``geojson`` is the simplified geometry (a GeoJSON geometry object, not a Feature) in
    EPSG:4326 with coordinates rounded to :data:`COORD_DECIMALS`; ``area_km2`` is computed
    from the validated, unsimplified geometry.
    """

    code: str
    level: str
    name: str
    geojson: str
    area_km2: float


@dataclass
class PreparedLevel:
    """Result of :func:`prepare`: rows to store plus what was done to get them."""

    level: str
    rows: list[BoundaryRow]
    notes: list[str] = field(default_factory=list)
    total_area_km2: float = 0.0
    vertices_before: int = 0
    vertices_after: int = 0
    tolerance_m: float = DEFAULT_TOLERANCE_M


def _num(value: float, decimals: int = 0) -> str:
    """Indonesian number format (``88.414``, ``0,012``) for messages."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")


def equal_area_crs(gdf: gpd.GeoDataFrame) -> str:
    """A Lambert azimuthal equal-area CRS centred on the data (PROJ string)."""
    minx, miny, maxx, maxy = gdf.to_crs(4326).total_bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    return f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"


def _label(code: str, names: dict[str, str]) -> str:
    name = names.get(code)
    return f"{code} {name}" if name else str(code)


def _polygonal(geom: Any) -> Any:
    """Polygonal part of a geometry (make_valid can return a collection with lines)."""
    if geom is None or geom.is_empty:
        return geom
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def validate(
    gdf: gpd.GeoDataFrame,
    level: str,
    wilayah: pd.DataFrame,
    *,
    official_area_km2: float | None = None,
    area_tolerance: float = DEFAULT_AREA_TOLERANCE,
    file: str = "batas wilayah",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check a level's polygons against the wilayah table; repair only what is negligible.

    Parameters
    ----------
    gdf:
        one row per feature with columns ``code`` (Kemendagri code) and ``geometry``, any CRS
        (must be set). Other columns are kept.
    level:
        ``kecamatan`` or ``kelurahan``.
    wilayah:
        columns ``code, level, name, parent_code``; the areas ``gdf`` must cover exactly.
    official_area_km2:
        the city's official area (config); None skips the total-area check.
    area_tolerance:
        allowed relative difference between the total area and ``official_area_km2``.
    file:
        name used in problem messages.

    Returns
    -------
    (gdf in EPSG:4326 with repaired geometries, notes): notes say what was repaired.

    Raises
    ------
    ValidationError
        listing every problem found: missing, duplicated or unknown codes, non-polygon or empty
        geometry, a self-intersection whose repair would change the area by more than
        :data:`REPAIR_MAX_CHANGE_M2`, overlaps or gaps between neighbours beyond the limits,
        total area outside the tolerance.
    """
    if gdf.crs is None:
        raise ValidationError(f"{file}: sistem koordinat (CRS) tidak diketahui; tidak ada yang diubah.")
    expected = wilayah.loc[wilayah["level"] == level, ["code", "name"]]
    names = dict(zip(expected["code"], expected["name"], strict=True))
    problems: list[Problem] = []
    notes: list[str] = []

    codes = gdf["code"].astype("string")
    counts = codes.value_counts()
    for code, n in counts.items():
        if n > 1:
            problems.append(Problem(file, None, "code", f"wilayah {_label(code, names)} muncul {n} kali"))
    unknown = sorted(set(codes.dropna()) - set(names))
    for code in unknown:
        problems.append(Problem(file, None, "code", f"kode {code} bukan {level} di tabel wilayah"))
    missing = [c for c in names if c not in set(codes.dropna())]
    for code in missing:
        problems.append(Problem(file, None, None, f"{level} {_label(code, names)} tidak ada di berkas"))

    metric = equal_area_crs(gdf)
    projected = gdf.to_crs(metric)
    geoms = list(projected.geometry)
    lonlat = list(gdf.to_crs(4326).geometry)  # GEOS reasons name a location; say it in lon/lat
    for i, geom in enumerate(geoms):
        who = f"fitur #{i + 1} ({_label(str(codes.iloc[i]), names)})"
        if geom is None or geom.is_empty:
            problems.append(Problem(file, None, "geometry", f"{who}: geometri kosong"))
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file, None, "geometry", f"{who}: {geom.geom_type}, bukan poligon"))
            continue
        if not geom.is_valid:
            reason = shapely.is_valid_reason(lonlat[i])
            repaired = _polygonal(shapely.make_valid(geom))
            # The shoelace area of a self-intersecting ring subtracts the inverted loop, and
            # make_valid adds it back, so the difference is twice the loop: tiny for a
            # digitising slip, large for a polygon that is really drawn wrong.
            change = abs(repaired.area - geom.area)
            if repaired.is_empty or change > REPAIR_MAX_CHANGE_M2:
                problems.append(
                    Problem(
                        file,
                        None,
                        "geometry",
                        f"{who}: poligon tidak valid ({_reason_id(reason)}); perbaikan otomatis akan "
                        f"mengubah luas {_num(change)} m² — perbaiki berkasnya (mis. QGIS 'Fix geometries')",
                    )
                )
                continue
            geoms[i] = repaired
            notes.append(
                f"{who}: poligon tidak valid ({_reason_id(reason)}) diperbaiki dengan make_valid; "
                f"luas berubah {_num(change, 1)} m²"
            )

    if not problems:
        areas = np.array([g.area for g in geoms])
        tree = STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for a, b in zip(left, right, strict=True):
            if a >= b:
                continue
            inter = geoms[a].intersection(geoms[b]).area
            limit = max(OVERLAP_MAX_M2, OVERLAP_MAX_SHARE * min(areas[a], areas[b]))
            if inter > limit:
                problems.append(
                    Problem(
                        file,
                        None,
                        "geometry",
                        f"{_label(str(codes.iloc[a]), names)} dan {_label(str(codes.iloc[b]), names)} "
                        f"tumpang tindih {_num(inter / 1e6, 3)} km² (batas {_num(limit / 1e6, 3)} km²)",
                    )
                )
        union = shapely.union_all(geoms)
        for poly in getattr(union, "geoms", [union]):
            for ring in poly.interiors:
                hole = shapely.Polygon(ring)
                if hole.area > GAP_MAX_M2:
                    where = gpd.GeoSeries([hole.representative_point()], crs=metric).to_crs(4326).iloc[0]
                    problems.append(
                        Problem(
                            file,
                            None,
                            "geometry",
                            f"celah {_num(hole.area / 1e6, 3)} km² di antara wilayah yang bertetangga "
                            f"(sekitar {where.x:.4f}, {where.y:.4f})",
                        )
                    )
        total = float(areas.sum()) / 1e6
        if official_area_km2 and not problems:
            rel = (total - official_area_km2) / official_area_km2
            if abs(rel) > area_tolerance:
                problems.append(
                    Problem(
                        file,
                        None,
                        None,
                        f"luas total {_num(total, 2)} km² berbeda {'+' if rel >= 0 else '−'}{_num(abs(rel) * 100, 1)}% "
                        f"dari luas resmi {_num(official_area_km2, 3)} km² (batas ±{_num(area_tolerance * 100)}%); "
                        "mungkin satuan/CRS salah, berkas kota lain, atau wilayah hilang",
                    )
                )
    if problems:
        raise ValidationError(f"Batas {level} di {file} tidak lolos pemeriksaan; tidak ada yang diubah.", problems)
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(geoms, crs=metric, index=gdf.index).to_crs(4326))
    return out, notes


def _reason_id(reason: str) -> str:
    """GEOS reasons are English; name the common one in Indonesian and keep the location."""
    if reason.startswith("Self-intersection") or reason.startswith("Ring Self-intersection"):
        lon, lat = (float(v) for v in reason.split("[", 1)[-1].rstrip("]").split()[:2])
        return f"berpotongan sendiri di bujur {lon:.5f}, lintang {lat:.5f}"
    return reason


def _round(geom: Any, decimals: int) -> Any:
    return shapely.transform(geom, lambda c: np.round(c, decimals))


def simplify(
    gdf: gpd.GeoDataFrame,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    decimals: int = COORD_DECIMALS,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Clean and simplify a validated coverage once, keeping shared borders shared.

    Steps, all in a local equal-area projection (metres):

    1. ``coverage_clean`` snaps vertices closer than 5 cm and gives tiny overlaps / gaps (already
       proven small by :func:`validate`) to one neighbour, so shared edges become identical. Real
       data often differs by float noise (~1e-15 degree) along "shared" edges, and
       ``simplify_coverage`` only keeps edges shared that are vertex-identical.
    2. ``simplify_coverage(tolerance_m)`` (Visvalingam-Whyatt on the coverage's edges).
    3. back to EPSG:4326 and round to ``decimals``; shared vertices were identical, so they
       round identically and stay shared.

    Returns
    -------
    (gdf in EPSG:4326, notes). Raises ValidationError if the result is not a valid coverage
    (it never should be; the check guards the promise made to the map).
    """
    metric = equal_area_crs(gdf)
    projected = gdf.to_crs(metric)
    notes: list[str] = []
    geoms = np.asarray(projected.geometry.values, dtype=object)
    gap_width = float(np.sqrt(GAP_MAX_M2))
    if not shapely.coverage_is_valid(geoms):
        geoms = shapely.coverage_clean(geoms, gap_width=gap_width, snapping_distance=_CLEAN_SNAP_M)
        notes.append("tepi bersama diselaraskan (coverage_clean): selisih kecil antar-tetangga dihapus")
    simplified = shapely.coverage_simplify(geoms, tolerance_m)
    back = gpd.GeoSeries(simplified, crs=metric, index=gdf.index).to_crs(4326)
    rounded = shapely.transform(np.asarray(back.values, dtype=object), lambda c: np.round(c, decimals))
    if not (shapely.is_valid(rounded).all() and shapely.coverage_is_valid(rounded)):
        # Rounding can, rarely, fold a very short edge; one more decimal always suffices here.
        rounded = shapely.transform(np.asarray(back.values, dtype=object), lambda c: np.round(c, decimals + 1))
        notes.append(f"pembulatan {decimals} desimal membuat poligon tidak valid; dipakai {decimals + 1} desimal")
    if not (shapely.is_valid(rounded).all() and shapely.coverage_is_valid(rounded)):
        raise ValidationError("Penyederhanaan batas wilayah menghasilkan poligon tidak valid; tidak ada yang diubah.")
    out = gdf.to_crs(4326).copy()
    out = out.set_geometry(gpd.GeoSeries(rounded, crs=4326, index=gdf.index))
    return out, notes


def prepare(
    gdf: gpd.GeoDataFrame,
    level: str,
    wilayah: pd.DataFrame,
    *,
    official_area_km2: float | None = None,
    area_tolerance: float = DEFAULT_AREA_TOLERANCE,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    file: str = "batas wilayah",
) -> PreparedLevel:
    """Validate, simplify and serialise one level: the single entry point both paths use.

    Returns
    -------
    PreparedLevel whose rows follow the wilayah table's order, names taken from the wilayah
    table (the official spelling, not the file's).
    """
    valid, notes = validate(
        gdf, level, wilayah, official_area_km2=official_area_km2, area_tolerance=area_tolerance, file=file
    )
    metric = equal_area_crs(valid)
    areas = valid.to_crs(metric).area / 1e6
    simple, more = simplify(valid, tolerance_m=tolerance_m)
    names = wilayah.loc[wilayah["level"] == level].set_index("code")["name"]
    order = {c: i for i, c in enumerate(names.index)}
    rows = [
        BoundaryRow(
            code=str(code),
            level=level,
            name=str(names[code]),
            geojson=json.dumps(shapely.geometry.mapping(geom), separators=(",", ":")),
            area_km2=round(float(area), 6),
        )
        for code, geom, area in zip(simple["code"], simple.geometry, areas, strict=True)
    ]
    rows.sort(key=lambda r: order[r.code])
    return PreparedLevel(
        level=level,
        rows=rows,
        notes=notes + more,
        total_area_km2=float(areas.sum()),
        vertices_before=int(shapely.get_num_coordinates(valid.geometry.values).sum()),
        vertices_after=int(shapely.get_num_coordinates(simple.geometry.values).sum()),
        tolerance_m=tolerance_m,
    )
