"""Administrative boundaries: manifest, download, user import, validation, simplification.

The boundary files themselves are never part of the repository (their licence is unclear,
see ``geo/README.md``). This package knows where to get them (the city's manifest, for Kota
Serang ``data/geo/manifest.csv``: upstream URL + sha256), how to read a user's own official
file, how to check that a set of polygons really is the city's wilayah, and how to turn it
into the small GeoJSON the maps draw.

Modules
-------
manifest
    :func:`read_manifest`: the list of known files.
fetch
    :func:`fetch`: download (or copy from a mirror), verify sha256, parse.
userfile
    :func:`import_user_file`: GeoJSON / GeoPackage / zipped Shapefile in any CRS, matched to
    the wilayah table by code or by name.
validate
    :func:`validate` and :func:`simplify`: coverage checks and coverage-preserving simplification.
store
    writing to and reading from the DuckDB ``boundary`` table.
cli
    ``python -m kla geo fetch`` / ``python -m kla geo import``.

Nothing here imports streamlit. Importing ``geo`` itself is cheap (no geopandas), so
``python -m kla --help`` stays fast; import :mod:`kla.ingest.boundaries` for the public API.
"""
