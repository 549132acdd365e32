"""Durable files and writer locks, shared by the artifact store and the city's records.

Writers are serialised per file by an exclusive inter-process lock on ``<file>.lock`` next to it
(``data/kla.duckdb.lock``, ``records.lock``, ``scenarios.json.lock``), held for the whole write.
Without it two imports at once would each copy the old database and the second swap would
silently drop the first import. A second writer waits up to :data:`WRITE_LOCK_TIMEOUT` seconds
(``KLA_WRITE_LOCK_TIMEOUT`` overrides) and then fails with a :class:`KlaError`, the file
unchanged. The lock is an OS lock (``flock`` on Linux, ``LockFileEx`` on Windows, through
``filelock``), so a writer killed with ``kill -9`` releases it with its process. Readers (the
app) never take it.

Small text files of the records (``rulebook.toml``, ``scenarios.json``) are replaced atomically
(:func:`write_records_file`: temp file, fsync, ``os.replace``, fsync of the folder). The build and
the imports that use these are in :mod:`kla.ingest.store` and :mod:`kla.ingest.build`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from kla.core import fmt
from kla.core.errors import KlaError

#: Seconds a writer waits for another writer of the same database before giving up.
WRITE_LOCK_TIMEOUT = 120.0
#: Environment variable overriding :data:`WRITE_LOCK_TIMEOUT` (seconds, ≥ 0).
LOCK_TIMEOUT_ENV = "KLA_WRITE_LOCK_TIMEOUT"


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX; nothing to do elsewhere)."""
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_records_file(path: Path, text: str) -> Callable[[], None]:
    """Atomically replace ``path`` with ``text`` (temp file, fsync, ``os.replace``, fsync of the folder).

    Returns an undo that puts the previous content back (or removes the file if there was none).
    """
    created_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_bytes() if path.exists() else None

    def put(data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        fsync_dir(path.parent)  # the rename itself survives a power loss

    put(text.encode("utf-8"))

    def undo() -> None:
        if previous is not None:
            put(previous)
            return
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        if created_dir:
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    return undo


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_duckdb(path: Path) -> bool:
    """DuckDB files carry the magic bytes 'DUCK' at offset 8."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[8:12] == b"DUCK"


def lock_path(db: Path) -> Path:
    """The writer lock of ``db``: ``<db>.lock`` beside it (``data/*.duckdb.*`` is git-ignored)."""
    return db.with_name(f"{db.name}.lock")


def _lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return WRITE_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise KlaError(f"{LOCK_TIMEOUT_ENV} harus berupa jumlah detik (angka ≥ 0), bukan '{raw}'.")
    return value


@contextlib.contextmanager
def write_lock(db: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive writer lock of ``db`` (waiting up to ``timeout`` seconds) for the block.

    Every write goes through it (:func:`kla.ingest.store.staged`, :func:`kla.ingest.build.build`,
    the scenario store); the app's read-only connections never take it. Raises :class:`KlaError`
    when another writer keeps it past the timeout.
    """
    db.parent.mkdir(parents=True, exist_ok=True)
    wait = _lock_timeout() if timeout is None else timeout
    lock = FileLock(str(lock_path(db)), timeout=wait)
    try:
        lock.acquire()
    except Timeout as exc:
        raise KlaError(
            f"Impor/pembangunan lain sedang menulis ke {db}; coba lagi nanti "
            f"(sudah menunggu {fmt.number(wait)} detik; basis data tidak diubah)."
        ) from exc
    except OSError as exc:  # e.g. a read-only folder: no lock, so no write either
        raise KlaError(f"Tidak bisa membuat berkas kunci {lock_path(db)} ({exc}); basis data tidak diubah.") from exc
    try:
        yield
    finally:
        lock.release()
