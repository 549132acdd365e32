"""Boundary download: manifest, mirror folder, and the real HTTP path against a local server.

The local server (127.0.0.1, random free port, own thread) serves ``../shared/geo`` under
``/ok/`` and misbehaves on purpose under other prefixes: ``/slow/`` sleeps before answering,
``/bad/`` flips one byte (checksum mismatch), ``/trunc/`` promises the full length and closes
halfway, ``/short/`` sends half with no length at all, and anything else is a 404.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from geo.fetch import FetchError, fetch, origin_for
from geo.manifest import MANIFEST_PATH, read_manifest
from kla.core.errors import ValidationError

MIRROR = Path(os.environ.get("KLA_GEO_MIRROR", Path(__file__).resolve().parents[1].parent / "shared" / "geo"))
pytestmark = pytest.mark.skipif(not (MIRROR / "raw").is_dir(), reason=f"boundary mirror {MIRROR} not available")

SLOW_SECONDS = 2.0


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest output clean
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        prefix, _, rel = self.path.lstrip("/").partition("/")
        path = MIRROR / rel
        if prefix not in {"ok", "slow", "bad", "trunc", "short"} or not path.is_file() or ".." in rel:
            self.send_error(404, "Not Found")
            return
        body = path.read_bytes()
        if prefix == "slow":
            time.sleep(SLOW_SECONDS)
        if prefix == "bad":
            body = body[:100] + bytes([body[100] ^ 1]) + body[101:]
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        if prefix != "short":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if prefix in {"trunc", "short"}:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- manifest


def test_manifest_lists_six_kecamatan_and_67_kelurahan_with_hashes() -> None:
    entries = read_manifest()
    assert sum(e.level == "kecamatan" for e in entries) == 6
    assert sum(e.level == "kelurahan" for e in entries) == 67
    assert all(len(e.sha256) == 64 and e.bytes > 0 for e in entries)
    assert all(e.upstream_url.startswith("https://raw.githubusercontent.com/") for e in entries)
    assert all(e.licence and e.source for e in entries)


def test_manifest_agrees_with_the_shared_mirror() -> None:
    """Our manifest is derived from ../shared/geo/manifest.csv: same files, same hashes."""
    for e in read_manifest():
        data = (MIRROR / e.file).read_bytes()
        assert len(data) == e.bytes, e.file
        assert hashlib.sha256(data).hexdigest() == e.sha256, e.file


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("level", "desa", "tidak dikenal"),
        ("sha256", "abc", "sha256"),
        ("bytes", "banyak", "bukan bilangan bulat"),
        ("file", "../../etc/passwd", "relatif"),
    ],
)
def test_bad_manifest_rows_are_refused(tmp_path: Path, column: str, value: str, message: str) -> None:
    import csv

    with open(MANIFEST_PATH, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[0][column] = value
    out = tmp_path / "manifest.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValidationError) as err:
        read_manifest(out)
    assert message in str(err.value)
    assert "baris 2" in str(err.value)


# --------------------------------------------------------------------------- mirror folder


def test_fetch_from_mirror_folder_returns_verified_polygons() -> None:
    frames = fetch(str(MIRROR), ["kecamatan", "kelurahan"])
    kec, kel = frames["kecamatan"], frames["kelurahan"]
    assert len(kec) == 6 and len(kel) == 67
    assert kec.crs.to_epsg() == 4326
    assert set(kec.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not kec.geometry.has_z.any() and not kel.geometry.has_z.any()  # 33 upstream files carry z=0
    assert kec["origin"].iloc[0].startswith(str(MIRROR))


def test_env_variable_selects_the_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLA_GEO_SOURCE", str(MIRROR))
    frames = fetch(None, ["kecamatan"])
    assert frames["kecamatan"]["origin"].str.startswith(str(MIRROR)).all()


def test_default_source_is_the_pinned_upstream_url() -> None:
    entry = read_manifest(levels=["kecamatan"])[0]
    assert origin_for(entry, None) == entry.upstream_url
    assert "/b4ea67edd4147e5c24d846c296effe5b28b13119/" in entry.upstream_url  # a commit, not a branch


def test_mirror_folder_with_a_changed_file_fails_checksum(tmp_path: Path) -> None:
    shutil.copytree(MIRROR / "raw", tmp_path / "raw")
    target = tmp_path / "raw/districts/36.73.02.geojson"
    data = bytearray(target.read_bytes())
    data[200] ^= 1
    target.write_bytes(bytes(data))
    with pytest.raises(FetchError, match=r"Checksum raw/districts/36\.73\.02\.geojson tidak cocok"):
        fetch(str(tmp_path), ["kecamatan"])


def test_mirror_folder_with_a_half_written_file_says_so(tmp_path: Path) -> None:
    shutil.copytree(MIRROR / "raw", tmp_path / "raw")
    target = tmp_path / "raw/districts/36.73.04.geojson"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(FetchError, match=r"terputus di tengah jalan: 1000 dari 43267 byte"):
        fetch(str(tmp_path), ["kecamatan"])


def test_mirror_folder_missing_a_file(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    with pytest.raises(FetchError, match="tidak ada di folder cermin"):
        fetch(str(tmp_path), ["kecamatan"])


# --------------------------------------------------------------------------- HTTP


def test_http_success(server: str) -> None:
    frames = fetch(f"{server}/ok", ["kecamatan"], timeout=5)
    assert list(frames["kecamatan"]["code"]) == [f"36.73.0{i}" for i in range(1, 7)]
    assert frames["kecamatan"]["origin"].str.startswith(f"{server}/ok/raw/districts/").all()


def test_http_404(server: str) -> None:
    with pytest.raises(FetchError, match=r"HTTP 404"):
        fetch(f"{server}/nothing-here", ["kecamatan"], timeout=5)


def test_http_timeout_is_fast_and_clear(server: str) -> None:
    start = time.perf_counter()
    with pytest.raises(FetchError, match=r"Waktu habis \(0\.3 detik\)"):
        fetch(f"{server}/slow", ["kecamatan"], timeout=0.3)
    assert time.perf_counter() - start < SLOW_SECONDS  # gave up on the timeout, not after the sleep


def test_http_wrong_checksum(server: str) -> None:
    with pytest.raises(FetchError, match=r"Checksum .* tidak cocok"):
        fetch(f"{server}/bad", ["kecamatan"], timeout=5)


def test_http_download_that_stops_halfway(server: str) -> None:
    with pytest.raises(FetchError, match=r"terputus di tengah jalan"):
        fetch(f"{server}/trunc", ["kecamatan"], timeout=5)


def test_http_download_without_length_that_stops_halfway(server: str) -> None:
    with pytest.raises(FetchError, match=r"terputus di tengah jalan: \d+ dari 35870 byte"):
        fetch(f"{server}/short", ["kecamatan"], timeout=5)


def test_unreachable_host_is_a_clear_error() -> None:
    # Port 9 (discard) on localhost is closed on any sane test machine: connection refused.
    with pytest.raises(FetchError, match="Tidak dapat mengunduh|gagal"):
        fetch("http://127.0.0.1:9", ["kecamatan"], timeout=2)
