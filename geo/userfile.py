"""Read a user's own boundary file and match its features to the wilayah table.

Supported: GeoJSON (``.geojson``/``.json``), GeoPackage (``.gpkg``), a zipped Shapefile
(``.zip`` holding exactly one ``.shp``), and a bare ``.shp`` with its sidecar files. Any CRS is
reprojected to EPSG:4326.

Refused with a clear message, before anything is stored:

* projected coordinates (metres) with no CRS declared: GeoJSON without a ``crs`` member is
  read as WGS84 by GDAL, so "no CRS" shows up as longitudes beyond ±180;
* latitude and longitude swapped (latitudes beyond ±90 while "longitudes" fit in ±90, or a file
  that only lands on the city once swapped);
* points or lines instead of polygons;
* a zip with no ``.shp`` inside, or several;
* a file for another city: no feature matches a code or name of this city, or its extent is
  far from the city's known extent.

Matching (:func:`match_features`) uses a code column when one matches (``36.73.01`` or
``367301``), else names through :class:`kla.core.wilayah.WilayahMatcher` (normalised, aliases).
Kelurahan names are matched *within* their kecamatan, found from a kecamatan column (name or
code) or, failing that, from stored kecamatan boundaries containing the feature, because
"Sukawana" exists in two kecamatan.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kla.core.errors import Problem, ValidationError
from kla.core.wilayah import WilayahMatcher, normalise_name

MAX_BYTES = 200 * 1024 * 1024
FAR_KM = 25.0  # a file whose extent is this far from the city's extent is for another place
_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".shp"}
_NON_DIGIT = re.compile(r"\D")
_NOTHING = "Tidak ada yang diubah."


@dataclass
class MatchReport:
    """What :func:`match_features` did, for the CLI to print."""

    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    matched: int = 0
    ignored: list[str] = field(default_factory=list)  # features outside the city, dropped
    notes: list[str] = field(default_factory=list)


def _int(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _reject(path: Path, message: str, problems: list[Problem] | None = None) -> ValidationError:
    return ValidationError(f"Berkas {path.name} ditolak: {message} {_NOTHING}", problems)


def _zip_member(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
    except zipfile.BadZipFile as exc:
        raise _reject(path, "bukan berkas zip yang valid.") from exc
    shps = [n for n in names if n.lower().endswith(".shp")]
    if not shps:
        listed = ", ".join(names[:8]) or "(kosong)"
        raise _reject(
            path, f"zip tidak berisi berkas .shp (isinya: {listed}). Zip harus memuat .shp, .shx, .dbf dan .prj."
        )
    if len(shps) > 1:
        raise _reject(path, f"zip berisi {len(shps)} berkas .shp ({', '.join(shps)}); kirim satu lapisan saja.")
    stem = shps[0][:-4]
    if not any(n.lower() == (stem + ".dbf").lower() for n in names):
        raise _reject(path, f"{shps[0]} tidak disertai .dbf (atribut), jadi kode/nama wilayah tidak terbaca.")
    return shps[0]


def read_user_file(path: Path, *, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read a boundary file into EPSG:4326 polygons, refusing what cannot be right.

    Parameters
    ----------
    path:
        ``.geojson``/``.json``, ``.gpkg``, ``.zip`` (one Shapefile) or ``.shp``.
    layer:
        GeoPackage layer; needed only when the file has several polygon layers.

    Returns
    -------
    (GeoDataFrame in EPSG:4326 with 2-D polygon geometry and the file's attribute columns,
    notes about assumptions made).

    Raises
    ------
    ValidationError
        unreadable or unsupported file, no CRS with projected coordinates, swapped lat/lon,
        non-polygon features, zip without a single ``.shp``.
    """
    import pyogrio

    notes: list[str] = []
    if not path.is_file():
        raise ValidationError(f"Berkas tidak ditemukan: {path}. {_NOTHING}")
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise _reject(
            path, f"format '{suffix}' tidak didukung; pakai GeoJSON, GeoPackage (.gpkg) atau Shapefile dalam .zip."
        )
    if path.stat().st_size > MAX_BYTES:
        raise _reject(path, f"lebih besar dari {MAX_BYTES // 2**20} MB.")
    source = str(path)
    if suffix == ".zip":
        source = f"/vsizip/{path}/{_zip_member(path)}"
    if suffix == ".gpkg" and layer is None:
        try:
            layers = pyogrio.list_layers(source)
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise _reject(path, f"tidak terbaca sebagai GeoPackage ({exc}).") from exc
        polygonal = [str(n) for n, t in layers if t is None or "Polygon" in str(t)]
        if len(polygonal) > 1:
            raise _reject(
                path, f"GeoPackage berisi beberapa lapisan poligon ({', '.join(polygonal)}); pilih satu dengan --layer."
            )
        layer = polygonal[0] if polygonal else None
    try:
        gdf = pyogrio.read_dataframe(source, layer=layer)
    except Exception as exc:
        raise _reject(path, f"tidak terbaca sebagai data spasial ({exc}).") from exc
    if len(gdf) == 0:
        raise _reject(path, "tidak berisi fitur.")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    types = gdf.geometry.geom_type.value_counts()
    bad = [t for t in types.index if t not in ("Polygon", "MultiPolygon")]
    if bad:
        what = ", ".join(f"{types[t]} {t}" for t in bad)
        if len(bad) == len(types):
            raise _reject(
                path, f"berisi {what}, bukan poligon batas wilayah (titik/garis tidak bisa dipetakan sebagai wilayah)."
            )
        raise _reject(path, f"selain poligon juga berisi {what}; simpan hanya poligon batas wilayah.")
    gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values))

    minx, miny, maxx, maxy = gdf.total_bounds
    degrees = max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
    crs = gdf.crs
    if crs is None:
        if not degrees:
            raise _reject(
                path,
                f"koordinatnya tampak dalam meter (mis. x={_int(minx)}, y={_int(miny)}) tetapi berkas tidak menyatakan "
                "sistem koordinat (CRS). Simpan ulang dengan CRS (.prj untuk Shapefile), mis. dari QGIS.",
            )
        notes.append("berkas tidak menyatakan CRS; koordinat dalam derajat dianggap WGS84 (EPSG:4326)")
        gdf = gdf.set_crs(4326)
    elif crs.is_geographic and not degrees:
        if max(abs(minx), abs(maxx)) <= 90 and max(abs(miny), abs(maxy)) <= 180:
            raise _reject(path, _SWAPPED)
        raise _reject(
            path,
            f"koordinatnya tampak dalam meter (mis. x={_int(minx)}, y={_int(miny)}) padahal berkas dianggap WGS84 "
            "(derajat): CRS proyeksinya tidak dinyatakan. Simpan ulang dengan CRS yang benar, mis. dari QGIS.",
        )
    if gdf.crs.is_projected:
        notes.append(f"diproyeksikan ulang dari {gdf.crs.to_string()} ke WGS84 (EPSG:4326)")
    gdf = gdf.to_crs(4326)
    return gdf, notes


_SWAPPED = (
    "lintang dan bujur tampak tertukar (nilai 'lintang' melebihi ±90°). "
    "GeoJSON menulis [bujur, lintang]; tukar urutan kolom saat ekspor."
)


def _bbox_distance_km(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Rough distance between two lon/lat boxes (0 when they overlap)."""
    dx = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
    lat = np.radians((a[1] + a[3] + b[1] + b[3]) / 4)
    return float(np.hypot(dx * 111.32 * np.cos(lat), dy * 110.57))


def check_location(
    gdf: gpd.GeoDataFrame,
    reference_bbox: tuple[float, float, float, float] | None,
    *,
    file: str,
    city: str = "kota ini",
) -> None:
    """Refuse a file far from the city's known extent, or one that fits only once lat/lon swap.

    ``reference_bbox`` is (minx, miny, maxx, maxy) in degrees, typically the stored boundaries'
    extent; None skips the check (first import ever).
    """
    if reference_bbox is None:
        return
    bounds = tuple(float(v) for v in gdf.total_bounds)
    dist = _bbox_distance_km(bounds, reference_bbox)  # type: ignore[arg-type]
    if dist <= FAR_KM:
        return
    swapped = (bounds[1], bounds[0], bounds[3], bounds[2])
    if _bbox_distance_km(swapped, reference_bbox) <= FAR_KM:
        raise ValidationError(f"Berkas {file} ditolak: {_SWAPPED} {_NOTHING}")
    raise ValidationError(
        f"Berkas {file} ditolak: wilayahnya berjarak sekitar {_int(dist)} km dari {city} "
        f"(kotak batas berkas {bounds[0]:.3f}, {bounds[1]:.3f} – {bounds[2]:.3f}, {bounds[3]:.3f}). "
        f"Apakah ini berkas kota lain? {_NOTHING}"
    )


def _digits(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _NON_DIGIT.sub("", str(value))


def _text_columns(gdf: gpd.GeoDataFrame) -> list[str]:
    return [c for c in gdf.columns if c != gdf.geometry.name]


def _code_hits(values: pd.Series, by_digits: dict[str, str]) -> list[str | None]:
    return [by_digits.get(_digits(v)) if _digits(v) else None for v in values]


def match_features(
    gdf: gpd.GeoDataFrame,
    level: str,
    wilayah: pd.DataFrame,
    aliases: pd.DataFrame | None = None,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    parent_boundaries: gpd.GeoDataFrame | None = None,
    file: str = "berkas",
    city: str = "kota ini",
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Give each feature its Kemendagri ``code``; report what did not match.

    Parameters
    ----------
    gdf:
        features in EPSG:4326 with attribute columns.
    level:
        ``kecamatan`` or ``kelurahan``.
    wilayah, aliases:
        the reference tables (``code, level, name, parent_code`` / ``alias, code``).
    code_field, name_field:
        columns to use; when None the column with the most matches is picked.
    parent_field:
        kelurahan only: a column with the kecamatan name or code; picked automatically if None.
    parent_boundaries:
        kelurahan only: kecamatan polygons (``code``, geometry) used when no parent column
        exists, by containment of each feature's representative point.

    Returns
    -------
    (matched features with ``code`` and ``name`` (official spelling) plus geometry, report).
    Features outside the city (e.g. a province-wide file) are dropped and listed in
    ``report.ignored`` as long as every area of the level was found.

    Raises
    ------
    ValidationError
        nothing matches (another city), or some areas matched and others did not; each
        unmatched feature is listed with the value tried.
    """
    rows = wilayah[wilayah["level"] == level]
    by_digits = {_digits(c): c for c in rows["code"]}
    names = dict(zip(rows["code"], rows["name"], strict=True))
    matcher = WilayahMatcher(wilayah, aliases)
    report = MatchReport()
    columns = _text_columns(gdf)
    for given, what in ((code_field, "kode"), (name_field, "nama"), (parent_field, "kecamatan")):
        if given is not None and given not in columns:
            raise ValidationError(
                f"Berkas {file}: kolom {what} '{given}' tidak ada. Kolom yang ada: {', '.join(columns)}. {_NOTHING}"
            )

    codes: list[str | None] = [None] * len(gdf)
    if name_field is None:
        candidates = [code_field] if code_field else columns
        best, best_hits = None, 0
        for col in candidates:
            hits = _code_hits(gdf[col], by_digits)
            n = sum(h is not None for h in hits)
            if n > best_hits:
                best, best_hits, codes = col, n, hits
        if best is not None and (code_field or best_hits >= max(1, len(rows) // 2)):
            report.code_field = best
        else:
            codes = [None] * len(gdf)

    if report.code_field is None:
        parents = _parents(gdf, level, wilayah, matcher, parent_field, parent_boundaries, report)
        candidates = [name_field] if name_field else columns
        best, best_hits = None, 0
        for col in candidates:
            if col == report.parent_field:
                continue
            hits = [
                (matcher.match_kecamatan(v) if level == "kecamatan" else matcher.match_kelurahan(v, p))
                if isinstance(v, str)
                else None
                for v, p in zip(gdf[col], parents, strict=True)
            ]
            n = sum(h is not None for h in hits)
            if n > best_hits:
                best, best_hits, codes = col, n, hits
        report.name_field = best

    label_col = report.code_field or report.name_field
    matched = [c is not None for c in codes]
    report.matched = sum(matched)
    if report.matched == 0:
        tried = ", ".join(columns) or "(tidak ada kolom atribut)"
        raise ValidationError(
            f"Berkas {file} ditolak: tidak ada satu pun fitur yang cocok dengan {level} di {city} "
            f"(dicoba kolom: {tried}). Apakah ini berkas kota lain? Pakai --code-field/--name-field "
            f"bila kolomnya bernama lain. {_NOTHING}"
        )
    found = {c for c in codes if c is not None}
    unmatched = [i for i, ok in enumerate(matched) if not ok]
    if unmatched:
        shown = [f"fitur #{i + 1}: '{gdf[label_col].iloc[i]}'" if label_col else f"fitur #{i + 1}" for i in unmatched]
        if found == set(names):
            # Every area is here and the rest lie outside the city (province or national file):
            # keep ours, say what was left out.
            report.ignored = shown
        else:
            missing = [f"{c} {names[c]}" for c in names if c not in found]
            problems = [Problem(file, None, label_col, f"{s} tidak cocok dengan {level} mana pun") for s in shown]
            problems += [Problem(file, None, None, f"{level} {m} tidak ditemukan di berkas") for m in missing]
            raise ValidationError(
                f"Berkas {file}: {len(unmatched)} fitur tidak cocok dengan tabel wilayah; tidak ada yang diubah. "
                "Periksa ejaan (atau tambahkan alias di data/wilayah_alias.csv) atau pakai --code-field.",
                problems,
            )
    keep = np.array(matched)
    out = gpd.GeoDataFrame(
        {"code": [c for c in codes if c is not None], "name": [names[c] for c in codes if c is not None]},
        geometry=gdf.geometry.values[keep],
        crs=gdf.crs,
    )
    return out, report


def _parents(
    gdf: gpd.GeoDataFrame,
    level: str,
    wilayah: pd.DataFrame,
    matcher: WilayahMatcher,
    parent_field: str | None,
    parent_boundaries: gpd.GeoDataFrame | None,
    report: MatchReport,
) -> list[str | None]:
    """Kecamatan code for each feature (kelurahan level), or None when unknown."""
    if level != "kelurahan":
        return [None] * len(gdf)
    kec = wilayah[wilayah["level"] == "kecamatan"]
    by_digits = {_digits(c): c for c in kec["code"]}
    candidates = [parent_field] if parent_field else _text_columns(gdf)
    best: list[str | None] = [None] * len(gdf)
    best_col, best_hits = None, 0
    for col in candidates:
        values = gdf[col]
        by_name = [matcher.match_kecamatan(v) if isinstance(v, str) else None for v in values]
        by_code = _code_hits(values, by_digits)
        # A kelurahan code column also "contains" its kecamatan code as a prefix, but would not
        # match here: _digits must equal a kecamatan code exactly.
        hits = [a or b for a, b in zip(by_name, by_code, strict=True)]
        n = sum(h is not None for h in hits)
        if n > best_hits:
            best, best_col, best_hits = hits, col, n
    if best_col is not None and best_hits >= len(gdf) // 2:
        report.parent_field = best_col
        return best
    if parent_boundaries is not None and len(parent_boundaries):
        points = gpd.GeoDataFrame(geometry=gdf.geometry.representative_point(), crs=gdf.crs)
        joined = gpd.sjoin(
            points, parent_boundaries[["code", "geometry"]].to_crs(gdf.crs), how="left", predicate="within"
        )
        joined = joined[~joined.index.duplicated()]
        report.notes.append("kecamatan tiap kelurahan ditentukan dari batas kecamatan yang tersimpan")
        return [c if isinstance(c, str) else None for c in joined["code"]]
    report.notes.append("tidak ada kolom kecamatan; nama kelurahan dicocokkan hanya bila unik di kota")
    return [None] * len(gdf)


def import_user_file(
    path: Path,
    level: str,
    *,
    wilayah: pd.DataFrame,
    aliases: pd.DataFrame | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    layer: str | None = None,
    parent_boundaries: gpd.GeoDataFrame | None = None,
    reference_bbox: tuple[float, float, float, float] | None = None,
    city: str = "kota ini",
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read, locate-check and match a user's file; validation and simplification come after.

    Returns
    -------
    (GeoDataFrame ``code, name, geometry`` in EPSG:4326, notes for the user), ready for
    :func:`geo.validate.prepare`.
    """
    gdf, notes = read_user_file(path, layer=layer)
    check_location(gdf, reference_bbox, file=path.name, city=city)
    matched, report = match_features(
        gdf,
        level,
        wilayah,
        aliases,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        parent_boundaries=parent_boundaries,
        file=path.name,
        city=city,
    )
    how = f"kolom kode '{report.code_field}'" if report.code_field else f"kolom nama '{report.name_field}'"
    if report.parent_field:
        how += f" dalam kecamatan dari kolom '{report.parent_field}'"
    notes.append(f"{report.matched} fitur dicocokkan lewat {how}")
    notes += report.notes
    if report.ignored:
        notes.append(f"{len(report.ignored)} fitur di luar {city} diabaikan: " + "; ".join(report.ignored[:10]))
    return matched, notes


__all__ = ["MatchReport", "check_location", "import_user_file", "match_features", "normalise_name", "read_user_file"]
