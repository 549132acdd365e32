"""The audit log: who changed the city's data, when, what, and the file's sha256.

One append-only file in the city's records folder, ``<records>/audit.jsonl`` (:func:`audit_path`),
one JSON object per line::

    {"time": "2024-05-01T03:04:05.678Z", "who": "admin", "action": "import",
     "what": "e-PPGBM eppgbm_2024_05.csv (12345 baris)", "sha256": "…64 hex…"}

``action`` is one of :data:`ACTIONS`: the data-changing actions behind the admin gate and the
outcome of each password attempt (``login_failed`` / ``login_ok``). The rate limit of
:mod:`kla.ingest.admin` is derived from those lines (:func:`recent_failures`), so it survives a restart.

Durability and privacy
----------------------
* The file is created 0600 (and put back to 0600 if someone loosened it) in a folder created
  0700; every line is written with one ``write`` under a lock (``audit.jsonl.lock``), then
  flushed and fsynced. A crash can leave at most a truncated last line: :func:`read` skips lines
  that are not JSON, and the next :func:`append` starts on a fresh line.
* It holds no personal data. ``who`` and ``what`` are one line each (control characters become
  spaces) of at most :data:`MAX_TEXT` characters, and anything shaped like a NIK (a run of 16 or
  more digits, spaces, dots or dashes between them allowed), an Indonesian mobile number or an
  e-mail address is replaced by :data:`HIDDEN` before the line is written (:func:`clean_text`).
  Names cannot be recognised in free text: callers pass file names, counts and scenario names,
  never a cell of an uploaded file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from kla.core import config
from kla.core.errors import KlaError

AUDIT_FILE = "audit.jsonl"
#: Every action the log records.
ACTIONS = frozenset(
    {
        "import",
        "rollback",
        "scenario_save",
        "scenario_rename",
        "scenario_delete",
        "rulebook",
        "login_failed",
        "login_ok",
    }
)
#: ``who`` and ``what`` are cut to this many characters.
MAX_TEXT = 200
#: What replaces a value that looks like personal data.
HIDDEN = "[disembunyikan]"
#: Seconds a writer waits for another one holding the log's lock.
LOCK_TIMEOUT = 15.0

# 16 or more digits, single spaces/dots/dashes between them allowed: a NIK (or a KK number, or a
# NIK glued to other digits). Longer runs are hidden whole, so no NIK survives inside one.
_NIK = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){15,}(?!\d)")
# Indonesian mobile numbers: 08…, 628…, +62 8…, 10 to 15 digits in all.
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .\-]?8(?:[ .\-]?\d){7,12}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_CONTROL = {c: " " for c in range(32)} | {127: " ", 0x2028: " ", 0x2029: " "}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BLOCK = 64 * 1024

_locks: dict[str, FileLock] = {}
_locks_guard = threading.Lock()


def audit_path(city: config.CityConfig | None = None) -> Path:
    """``<records>/audit.jsonl``."""
    return (city or config.load_city(check=False)).records_dir / AUDIT_FILE


def clean_text(value: object, limit: int = MAX_TEXT) -> str:
    """``value`` as one line fit for the log: NIK-, phone- and e-mail-like parts hidden, cut to ``limit``.

    Hidden before cutting, so a NIK is never left half-visible at the cut.
    """
    s = "" if value is None else str(value)
    s = " ".join(s.translate(_CONTROL).split())
    s = _EMAIL.sub(HIDDEN, s)
    s = _NIK.sub(HIDDEN, s)
    s = _PHONE.sub(HIDDEN, s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def utc(now: datetime | None = None) -> datetime:
    """``now`` in UTC (the current time when None; a naive time is taken as UTC)."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def format_time(when: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``: ``2024-05-01T03:04:05.678Z``."""
    return utc(when).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: object) -> datetime | None:
    """The UTC time of an entry's ``time``, or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def _lock_for(path: Path) -> FileLock:
    """One lock object per log file in this process, so that :func:`locked` nests in a thread."""
    key = str(path.resolve())
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = FileLock(str(path.with_name(path.name + ".lock")), timeout=LOCK_TIMEOUT, mode=0o600)
        return lock


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise KlaError(f"Folder catatan kota {folder} tidak bisa dibuat ({exc}); log audit tidak ditulis.") from exc


@contextlib.contextmanager
def locked(path: Path | None = None) -> Iterator[Path]:
    """Hold the log's writer lock for the block (reentrant within a thread); yields the log's path.

    :class:`kla.ingest.admin.AdminGate` holds it from counting failures to recording an attempt, so two
    attempts at once cannot both slip under the limit.
    """
    path = Path(path or audit_path())
    _make_folder(path.parent)
    lock = _lock_for(path)
    try:
        lock.acquire()
    except Timeout as exc:
        raise KlaError(f"Log audit {path} sedang ditulis proses lain; coba lagi sebentar lagi.") from exc
    except OSError as exc:
        raise KlaError(f"Kunci log audit di {path.parent} tidak bisa dibuat ({exc}); tidak ada yang diubah.") from exc
    try:
        yield path
    finally:
        lock.release()


def _fsync_dir(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make a new directory entry durable
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append(
    action: str,
    what: object,
    *,
    who: object,
    sha256: str | None = None,
    now: datetime | None = None,
    path: Path | None = None,
) -> dict:
    """Append one entry (``who`` and ``what`` cleaned by :func:`clean_text`) and fsync it; returns it.

    Raises :class:`ValueError` for an action outside :data:`ACTIONS` or a ``sha256`` that is not 64
    hex digits (both are bugs of the caller), :class:`KlaError` when the log cannot be written.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if sha256 is not None:
        sha256 = str(sha256).strip().lower()
        if not _SHA256.fullmatch(sha256):
            raise ValueError("sha256 must be 64 hex digits")
    entry = {
        "time": format_time(utc(now)),
        "who": clean_text(who) or "(tidak diketahui)",
        "action": action,
        "what": clean_text(what),
        "sha256": sha256,
    }
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    with locked(path) as target:
        try:
            _write_line(target, line)
        except OSError as exc:
            full = " Disk penuh." if getattr(exc, "errno", None) == 28 else ""
            raise KlaError(f"Log audit {target} tidak bisa ditulis ({exc.strerror or exc}).{full}") from exc
    return entry


def _write_line(path: Path, line: bytes) -> None:
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.name == "posix" and os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a crash cut the last line: start on a fresh one
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def _parse(raw: bytes) -> dict | None:
    try:
        entry = json.loads(raw)
    except ValueError:  # a line cut by a crash, or not UTF-8
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), str):
        return None
    return entry if parse_time(entry.get("time")) is not None else None


def _lines_backwards(path: Path) -> Iterator[bytes]:
    """The file's lines, last first, reading blocks from the end (the log only grows)."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally; a generator may stop early
    except FileNotFoundError:
        return
    try:
        pos = fh.seek(0, os.SEEK_END)
        rest = b""
        while pos > 0:
            step = min(_BLOCK, pos)
            pos -= step
            fh.seek(pos)
            chunk = fh.read(step) + rest
            lines = chunk.split(b"\n")
            rest = lines[0]
            for line in reversed(lines[1:]):
                if line.strip():
                    yield line
        if rest.strip():
            yield rest
    finally:
        fh.close()


def read(limit: int | None = None, *, path: Path | None = None) -> list[dict]:
    """The entries, oldest first; with ``limit``, only the last ``limit`` of them.

    Lines that are not an entry (a line cut by a crash) are skipped. No log yet: ``[]``.
    """
    path = Path(path or audit_path())
    if limit is not None and limit <= 0:
        return []
    out: list[dict] = []
    for raw in _lines_backwards(path):
        entry = _parse(raw)
        if entry is not None:
            out.append(entry)
            if limit is not None and len(out) >= limit:
                break
    out.reverse()
    return out


def recent_failures(
    who: object | None, since: datetime, *, path: Path | None = None, reset_on_ok: bool = True
) -> list[datetime]:
    """Times of ``login_failed`` entries at or after ``since``, oldest first.

    ``who``: only that caller's (compared after :func:`clean_text`, as stored); None: everyone's.
    With ``reset_on_ok``, failures before the last ``login_ok`` (of that caller, or of anyone for
    None) do not count. Reads backwards from the end and stops at the first entry older than
    ``since``, so the cost does not grow with the log.
    """
    path = Path(path or audit_path())
    since = utc(since)
    name = None if who is None else clean_text(who) or "(tidak diketahui)"
    found: list[datetime] = []
    for raw in _lines_backwards(path):
        entry = _parse(raw)
        if entry is None:
            continue
        when = parse_time(entry["time"])
        if when < since:
            break
        if name is not None and entry.get("who") != name:
            continue
        if entry["action"] == "login_ok" and reset_on_ok:
            break
        if entry["action"] == "login_failed":
            found.append(when)
    found.reverse()
    return found
