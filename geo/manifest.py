"""The boundary manifest: which files the project knows, where they live upstream, their sha256.

``geo/manifest.csv`` holds metadata only (code, level, name, relative file path, upstream URL,
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

from kla.errors import Problem, ValidationError

MANIFEST_PATH = Path(__file__).resolve().parent / "manifest.csv"
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
        URL prefix has the same layout, so ``../shared/geo`` works as a mirror as-is.
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
    """``KLA_GEO_MANIFEST`` overrides the shipped manifest (another city ships its own)."""
    env = os.environ.get("KLA_GEO_MANIFEST")
    return Path(env) if env else MANIFEST_PATH


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
                upstream_url=row["upstream_url"].strip(),
                sha256=sha,
                bytes=size,
                licence=row["licence"].strip(),
                source=row["source"].strip(),
            )
        )
    if problems:
        raise ValidationError(f"Manifest {name} tidak valid; tidak ada yang diubah.", problems)
    return entries
