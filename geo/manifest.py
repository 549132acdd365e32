"""The boundary manifest: which files the project knows, where they live upstream, their sha256.

A city's manifest (Kota Serang: ``data/geo/manifest.csv``, named by ``[sources] boundary_manifest``
in its city.toml) holds metadata only (code, level, name, relative file path, upstream URL,
sha256, size, licence note, source chain). The geometry is fetched at install time and never
committed, because the upstream repositories carry no licence (see ``geo/README.md``).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kla.core.errors import Problem, ValidationError

#: Kota Serang's manifest (the default city, ``data/``)
MANIFEST_PATH = Path(__file__).resolve().parents[1] / "data" / "geo" / "manifest.csv"
LEVELS: tuple[str, ...] = ("kecamatan", "kelurahan")
_COLUMNS = ("code", "level", "name", "file", "upstream_url", "sha256", "bytes", "licence", "source")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ManifestEntry:
    """One boundary file: a single GeoJSON Feature for one area.

    Attributes
    ----------
    file:
        path relative to a mirror root (``raw/districts/36.73.01.geojson``); a mirror folder or
        URL prefix has the same layout, so ``../shared/geo`` works as a mirror as-is. When the
        row's ``upstream_url`` is empty, the file is read from the manifest's own folder.
    bytes:
        exact size; a shorter download is a half-written file, not a different version.
    """

    code: str
    level: str
    name: str
    file: str
    upstream_url: str
    sha256: str
    bytes: int
    licence: str
    source: str


def manifest_path() -> Path:
    """The city's manifest: ``[sources] boundary_manifest`` in its city.toml (``KLA_GEO_MANIFEST`` overrides).

    Raises :class:`kla.core.config.CityConfigError` (naming the file and the setting) when the city's
    manifest is missing.
    """
    env = os.environ.get("KLA_GEO_MANIFEST")
    if env:
        return Path(env)
    from kla.core import config

    city = config.load_city()
    return city.require(city.boundary_manifest, "boundary_manifest")


def read_manifest(path: Path | None = None, levels: Iterable[str] | None = None) -> list[ManifestEntry]:
    """Read and check the manifest.

    Parameters
    ----------
    path:
        manifest CSV; default :func:`manifest_path`.
    levels:
        keep only these levels (``kecamatan``, ``kelurahan``); default all.

    Returns
    -------
    list of :class:`ManifestEntry` in file order.

    Raises
    ------
    ValidationError
        missing columns, unknown level, malformed sha256 or size, duplicate code, or an
        absolute / parent-escaping ``file`` path (a mirror path must stay inside the mirror).
    """
    path = path or manifest_path()
    name = path.name
    if not path.exists():
        raise ValidationError(f"Manifest batas wilayah tidak ditemukan: {path}")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationError(
                f"Manifest {name} tidak lengkap.",
                [Problem(name, 1, c, "kolom wajib tidak ada") for c in missing],
            )
        rows = list(reader)
    wanted = set(levels) if levels is not None else None
    problems: list[Problem] = []
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=2):
        level = row["level"].strip()
        if level not in LEVELS:
            problems.append(Problem(name, i, "level", f"level '{level}' tidak dikenal (harus {'/'.join(LEVELS)})"))
            continue
        sha = row["sha256"].strip().lower()
        if not _SHA256.match(sha):
            problems.append(Problem(name, i, "sha256", "bukan sha256 heksadesimal 64 karakter"))
        try:
            size = int(row["bytes"])
        except ValueError:
            problems.append(Problem(name, i, "bytes", f"ukuran '{row['bytes']}' bukan bilangan bulat"))
            size = -1
        rel = row["file"].strip()
        if rel.startswith("/") or ".." in Path(rel).parts or "\\" in rel:
            problems.append(Problem(name, i, "file", "path harus relatif dan di dalam folder cermin"))
        code = row["code"].strip()
        if code in seen:
            problems.append(Problem(name, i, "code", f"kode {code} muncul dua kali"))
        seen.add(code)
        if wanted is not None and level not in wanted:
            continue
        entries.append(
            ManifestEntry(
                code=code,
                level=level,
                name=row["name"].strip(),
                file=rel,
                # empty: the file lies next to the manifest (a city's own boundaries, `kla geo manifest`)
                upstream_url=row["upstream_url"].strip() or (path.parent / rel).resolve().as_uri(),
                sha256=sha,
                bytes=size,
                licence=row["licence"].strip(),
                source=row["source"].strip(),
            )
        )
    if problems:
        raise ValidationError(f"Manifest {name} tidak valid; tidak ada yang diubah.", problems)
    return entries


def manifest_rows(folder: Path, *, out: Path, licence: str = "", source: str = "") -> list[dict[str, str]]:
    """Manifest rows for every ``*.geojson`` under ``folder``: one Feature per file, one area each.

    The area code is the Feature's ``code`` (or ``kode``) property, else the file name without
    ``.geojson``; its level follows from the code (``PP.KK.CC`` kecamatan, ``PP.KK.CC.DDDD``
    kelurahan); the name is the ``name`` (or ``nama``) property. ``file`` is relative to the folder
    of ``out`` and ``upstream_url`` is left empty, so ``python -m kla geo fetch`` reads each file
    next to the manifest and checks its size and sha256.

    Raises
    ------
    ValidationError
        no GeoJSON found, a file outside ``out``'s folder, a file that is not one Feature, a code
        of neither level, a missing name, or a code twice.
    """
    import hashlib
    import json

    base = out.resolve().parent
    problems: list[Problem] = []
    rows: list[dict[str, str]] = []
    files = sorted(folder.rglob("*.geojson"))
    if not files:
        raise ValidationError(f"Tidak ada berkas .geojson di {folder}; manifest tidak ditulis.")
    for f in files:
        try:
            rel = f.resolve().relative_to(base).as_posix()
        except ValueError:
            problems.append(Problem(f.name, None, "file", f"berkas harus di dalam folder manifest {base}"))
            continue
        data = f.read_bytes()
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(rel, None, None, f"bukan GeoJSON yang valid: {exc}"))
            continue
        if doc.get("type") == "FeatureCollection" and len(doc.get("features", [])) == 1:
            doc = doc["features"][0]
        if doc.get("type") != "Feature":
            problems.append(Problem(rel, None, None, "harus berisi tepat satu Feature (satu wilayah per berkas)"))
            continue
        props = doc.get("properties") or {}
        code = str(props.get("code") or props.get("kode") or f.name.removesuffix(".geojson")).strip()
        level = {2: "kecamatan", 3: "kelurahan"}.get(code.count("."))
        name = str(props.get("name") or props.get("nama") or "").strip()
        if level is None:
            problems.append(Problem(rel, None, "code", f"kode {code} bukan kode kecamatan atau kelurahan"))
        if not name:
            problems.append(Problem(rel, None, "name", "properti name (atau nama) kosong"))
        rows.append(
            {
                "code": code,
                "level": level or "",
                "name": name,
                "file": rel,
                "upstream_url": "",
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": str(len(data)),
                "licence": licence,
                "source": source,
            }
        )
    seen: set[str] = set()
    for r in rows:
        if r["code"] in seen:
            problems.append(Problem(r["file"], None, "code", f"kode {r['code']} muncul dua kali"))
        seen.add(r["code"])
    if problems:
        raise ValidationError("Manifest tidak ditulis; tidak ada yang diubah.", problems)
    return sorted(rows, key=lambda r: (LEVELS.index(r["level"]), r["code"]))


def write_manifest(rows: list[dict[str, str]], out: Path) -> None:
    """Write ``rows`` with the manifest's columns (UTF-8, ``\\n`` line ends, atomically)."""
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
