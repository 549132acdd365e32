"""Download the manifest's boundary files, verify each sha256, parse them.

Where the bytes come from, in order of precedence:

1. ``source`` argument (``--from`` on the command line),
2. the ``KLA_GEO_SOURCE`` environment variable,
3. each entry's ``upstream_url`` (raw.githubusercontent.com at a pinned commit).

A source is either a local folder or a URL prefix (``http://``, ``https://``, ``file://``);
both have the manifest's relative layout (``raw/districts/36.73.01.geojson``), so
``../shared/geo`` is a valid mirror as it is.

Everything is written to a temporary folder first and checked (exact size, then sha256)
before it is parsed; nothing touches the database until every file of every requested level
has passed. Only the standard library is used for HTTP (``urllib``), with a timeout on every
socket operation, so an unreachable or stalled server fails in seconds with a clear message.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.manifest import ManifestEntry, read_manifest
from kla.core.errors import KlaError

DEFAULT_TIMEOUT = 20.0  # seconds per socket operation; GitHub raw answers well within this
_CHUNK = 64 * 1024
_WORKERS = 8  # 73 small files; a few parallel requests cut wall time without hammering the host
_USER_AGENT = "dasbor-kla/geo-fetch (+https://github.com/fityannugroho/idn-area-boundary)"
_ENV_SOURCE = "KLA_GEO_SOURCE"
_NOTHING_CHANGED = "Tidak ada yang diubah."
_HINT = "Coba lagi nanti, atau unduh berkasnya di tempat lain lalu jalankan `python -m kla geo fetch --from FOLDER`."


class FetchError(KlaError):
    """A boundary file could not be obtained or failed verification (message in Indonesian)."""


@dataclass(frozen=True)
class FetchedFile:
    """A verified file on local disk, still in the temporary folder."""

    entry: ManifestEntry
    path: Path
    origin: str  # URL or path it came from, for provenance
    sha256: str


def resolve_source(source: str | None) -> str | None:
    """``source`` if given, else ``KLA_GEO_SOURCE``, else None (= upstream URLs)."""
    if source:
        return source
    env = os.environ.get(_ENV_SOURCE, "").strip()
    return env or None


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https", "file")


def origin_for(entry: ManifestEntry, source: str | None) -> str:
    """Where ``entry`` is read from for a given source (URL or local path as text)."""
    if source is None:
        return entry.upstream_url
    if _is_url(source):
        return source.rstrip("/") + "/" + urllib.parse.quote(entry.file)
    return str(Path(source) / entry.file)


def _download(url: str, dest: Path, expected_bytes: int, timeout: float) -> None:
    """Stream ``url`` to ``dest``; raise :class:`FetchError` with a user-facing message."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "file"):
        raise FetchError(f"Alamat unduhan {url} tidak didukung (hanya http, https, file). {_NOTHING_CHANGED}")
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310 - scheme checked above
    name = url.rsplit("/", 1)[-1]
    received = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:  # noqa: S310
            declared = response.headers.get("Content-Length")
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                received += len(chunk)
                # A file larger than the manifest says is not the file we pinned; stop early
                # rather than fill the disk.
                if received > expected_bytes:
                    raise FetchError(
                        f"Berkas {name} lebih besar dari yang tercatat di manifest "
                        f"({expected_bytes} byte): bukan versi yang disematkan. {_NOTHING_CHANGED}"
                    )
                out.write(chunk)
            if declared is not None and declared.isdigit() and received < int(declared):
                raise _truncated(name, received, expected_bytes)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError(
            f"Server menjawab HTTP {exc.code} ({exc.reason}) untuk {url}. {_HINT} {_NOTHING_CHANGED}"
        ) from exc
    except http.client.IncompleteRead as exc:
        raise _truncated(name, received + len(exc.partial), expected_bytes) from exc
    except TimeoutError as exc:
        raise FetchError(f"Waktu habis ({timeout:g} detik) saat mengunduh {url}. {_HINT} {_NOTHING_CHANGED}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(
                f"Waktu habis ({timeout:g} detik) saat menghubungi {url}. {_HINT} {_NOTHING_CHANGED}"
            ) from exc
        raise FetchError(f"Tidak dapat mengunduh {url}: {exc.reason}. {_HINT} {_NOTHING_CHANGED}") from exc
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise FetchError(f"Unduhan {url} gagal: {exc}. {_HINT} {_NOTHING_CHANGED}") from exc


def _truncated(name: str, got: int, expected: int) -> FetchError:
    return FetchError(
        f"Unduhan {name} terputus di tengah jalan: {got} dari {expected} byte diterima. {_HINT} {_NOTHING_CHANGED}"
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _obtain(entry: ManifestEntry, source: str | None, tmp: Path, timeout: float) -> FetchedFile:
    """Copy or download one file into ``tmp`` and verify size and sha256."""
    origin = origin_for(entry, source)
    dest = tmp / entry.file
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source is not None and not _is_url(source):
        src = Path(origin)
        if not src.is_file():
            raise FetchError(f"Berkas {entry.file} tidak ada di folder cermin {source}. {_NOTHING_CHANGED}")
        if src.stat().st_size > entry.bytes:
            raise FetchError(
                f"Berkas {src} lebih besar dari yang tercatat di manifest ({entry.bytes} byte): "
                f"bukan versi yang disematkan. {_NOTHING_CHANGED}"
            )
        shutil.copyfile(src, dest)
    else:
        _download(origin, dest, entry.bytes, timeout)
    size = dest.stat().st_size
    if size < entry.bytes:
        # Checked before the hash so a half-written file gets the message that explains it.
        raise _truncated(entry.file, size, entry.bytes)
    digest = _sha256(dest)
    if digest != entry.sha256:
        raise FetchError(
            f"Checksum {entry.file} tidak cocok: manifest {entry.sha256[:16]}…, "
            f"berkas {digest[:16]}…. Berkas berubah di hulu atau rusak; tidak dipakai. {_NOTHING_CHANGED}"
        )
    return FetchedFile(entry=entry, path=dest, origin=origin, sha256=digest)


def download_verified(
    entries: list[ManifestEntry],
    tmp: Path,
    *,
    source: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[FetchedFile]:
    """Obtain every entry into ``tmp``; all verified, or :class:`FetchError` for the first failure.

    Files are fetched in parallel; the error reported is the first in manifest order, so the
    message does not depend on thread timing.
    """
    source = resolve_source(source)
    if not entries:
        return []
    # The first file alone, as a probe: offline or with a wrong mirror every file fails the same
    # way, and `make run` should learn that after one attempt, not after the whole manifest.
    results: list[FetchedFile] = [_obtain(entries[0], source, tmp, timeout)]
    rest = entries[1:]
    if not rest:
        return results
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(rest))) as pool:
        futures = [pool.submit(_obtain, e, source, tmp, timeout) for e in rest]
        first_error: BaseException | None = None
        for fut in futures:
            try:
                results.append(fut.result())
            except BaseException as exc:  # keep the first; the rest are usually the same cause
                first_error = first_error or exc
                pool.shutdown(wait=False, cancel_futures=True)
    if first_error is not None:
        raise first_error
    return results


def parse_feature(path: Path, entry: ManifestEntry) -> Any:
    """Geometry (shapely, 2-D) of a verified single-Feature GeoJSON file.

    The checksum already proved these are the pinned bytes, so a failure here means the
    manifest itself points at something that is not a polygon Feature; still say so clearly.
    """
    import shapely
    from shapely.geometry import shape

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"Berkas {entry.file} bukan GeoJSON yang valid: {exc}. {_NOTHING_CHANGED}") from exc
    if doc.get("type") == "FeatureCollection" and len(doc.get("features", [])) == 1:
        doc = doc["features"][0]
    if doc.get("type") != "Feature" or not doc.get("geometry"):
        raise FetchError(f"Berkas {entry.file} bukan satu Feature GeoJSON. {_NOTHING_CHANGED}")
    props = doc.get("properties") or {}
    if props.get("code") and str(props["code"]) != entry.code:
        raise FetchError(
            f"Berkas {entry.file} berisi wilayah {props['code']}, bukan {entry.code} seperti di manifest. "
            f"{_NOTHING_CHANGED}"
        )
    geom = shapely.force_2d(shape(doc["geometry"]))
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise FetchError(f"Berkas {entry.file} berisi {geom.geom_type}, bukan poligon. {_NOTHING_CHANGED}")
    return geom


def fetch(
    source: str | None = None,
    levels: Iterable[str] = ("kecamatan", "kelurahan"),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    manifest: Path | None = None,
) -> dict[str, Any]:
    """Fetch, verify and parse the boundary files of ``levels``.

    Parameters
    ----------
    source:
        mirror folder or URL prefix; None means ``KLA_GEO_SOURCE`` or the upstream URLs.
    levels:
        ``kecamatan`` and/or ``kelurahan``.
    timeout:
        seconds allowed for each socket operation (connect, each read).
    manifest:
        manifest CSV; default the city's ``[sources] boundary_manifest`` (or ``KLA_GEO_MANIFEST``).

    Returns
    -------
    dict level -> GeoDataFrame (EPSG:4326) with columns ``code, name, level, origin, sha256,
    geometry``, one row per manifest entry, in manifest order.

    Raises
    ------
    FetchError
        timeout, HTTP error, unreachable host, half-written file, size or checksum mismatch,
        a file that is not a polygon Feature. Raised before anything is returned, so the caller
        never sees a partial set.
    """
    import geopandas as gpd

    levels = tuple(levels)
    entries = read_manifest(manifest, levels)
    missing = [lv for lv in levels if not any(e.level == lv for e in entries)]
    if missing:
        raise FetchError(f"Manifest tidak memuat berkas untuk tingkat {', '.join(missing)}. {_NOTHING_CHANGED}")
    with tempfile.TemporaryDirectory(prefix="kla-geo-") as tmpdir:
        files = download_verified(entries, Path(tmpdir), source=source, timeout=timeout)
        out: dict[str, Any] = {}
        for level in levels:
            chosen = [f for f in files if f.entry.level == level]
            out[level] = gpd.GeoDataFrame(
                {
                    "code": [f.entry.code for f in chosen],
                    "name": [f.entry.name for f in chosen],
                    "level": level,
                    "origin": [f.origin for f in chosen],
                    "sha256": [f.sha256 for f in chosen],
                },
                geometry=[parse_feature(f.path, f.entry) for f in chosen],
                crs="EPSG:4326",
            )
    return out
