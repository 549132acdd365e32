"""The city's records: what the city itself put in, kept apart from the rebuildable artifact.

``data/kla.duckdb`` is an *artifact*: ``python -m kla build`` makes it from ``data/`` plus these
records, and ``make clean`` may delete it. The records live in the city's records folder
(``[sources] records`` in ``city.toml``, default ``records/`` beside it, ``KLA_RECORDS_DIR``
overrides; ``data/records/`` for the shipped config) and nothing but their own writers touch them:

``rulebook.toml``
    the imported official rulebook (:mod:`kla.ingest.rulebook_import`).
``imports.duckdb``
    imported rows with their provenance rows: KLA scores, e-PPGBM measurements (HMAC of the NIK,
    never a name or NIK) and their monthly counts, recap sheets, boundaries. Same columns as the
    artifact's tables. Written by :func:`kla.ingest.store.staged` before the artifact is swapped.
``scenarios.json``
    saved what-if scenarios. A small file of its own, written atomically under its own lock, so
    saving a scenario copies neither the imports nor the artifact; the app reads it directly
    (:func:`read_scenarios`), keyed on its fingerprint, so a save shows without a rebuild.

Back up by copying the folder while nothing writes (:func:`backup` does it under the writer
locks: ``python -m kla records backup DEST``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from kla.core import config
from kla.core.errors import KlaError

IMPORTS_FILE = "imports.duckdb"
SCENARIOS_FILE = "scenarios.json"
SCENARIOS_FORMAT = 1


def imports_path(city: config.CityConfig | None = None) -> Path:
    """``<records>/imports.duckdb``: imported rows and their provenance."""
    return (city or config.load_city()).records_dir / IMPORTS_FILE


def scenarios_path(city: config.CityConfig | None = None) -> Path:
    """``<records>/scenarios.json``: saved what-if scenarios."""
    return (city or config.load_city()).records_dir / SCENARIOS_FILE


def scenarios_fingerprint(path: Path | None = None) -> tuple[str, int, int]:
    """``(path, mtime_ns, size)`` of the scenario store (``0, 0`` while there is none): a cache key."""
    path = Path(path or scenarios_path())
    try:
        st = path.stat()
    except FileNotFoundError:
        return (str(path), 0, 0)
    return (str(path), st.st_mtime_ns, st.st_size)


def read_scenarios(path: Path | None = None) -> list[dict]:
    """Every saved scenario: ``{name, year, area_code, created_at, points: {code: [points, base]}}``."""
    path = Path(path or scenarios_path())
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise KlaError(f"Berkas skenario {path} tidak bisa dibaca ({exc}); pulihkan dari cadangan.") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("scenarios"), list):
        raise KlaError(f"Berkas skenario {path} tidak berformat skenario; pulihkan dari cadangan.")
    return raw["scenarios"]


def _text(scenarios: list[dict]) -> str:
    return json.dumps({"format": SCENARIOS_FORMAT, "scenarios": scenarios}, ensure_ascii=False, indent=1) + "\n"


@contextlib.contextmanager
def scenarios_lock(path: Path) -> Iterator[None]:
    """The writer lock of the scenario store (``scenarios.json.lock``); imports never wait for it."""
    from kla.ingest import store

    with store.write_lock(path):
        yield


def update_scenarios(path: Path | None, change: Callable[[list[dict]], list[dict]]) -> None:
    """Read, ``change`` and atomically rewrite the scenario store under its lock.

    ``change`` may raise to abandon the write (the file stays byte-identical). The write is a temp
    file, fsync and ``os.replace`` (:func:`kla.ingest.store.write_records_file`); the artifact and
    ``imports.duckdb`` are not opened.
    """
    from kla.ingest import store

    path = Path(path or scenarios_path())
    with scenarios_lock(path):
        new = change([dict(s) for s in read_scenarios(path)])
        store.write_records_file(path, _text(new))


def scenarios_from_artifact(db: Path) -> list[dict]:
    """Scenarios saved in an old-style artifact's ``kla_scenario`` table (none if it has no such table)."""
    from kla.ingest import store
    from kla.read.db import connect_readonly

    if not db.exists() or not store._is_duckdb(db):
        return []
    con = connect_readonly(db)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kla_scenario'").fetchone()[0]:
            return []
        rows = con.execute(
            "SELECT name, year, area_code, indicator_code, points, base_points, created_at FROM kla_scenario "
            "ORDER BY created_at, name, year, area_code, indicator_code"
        ).fetchall()
    finally:
        con.close()
    out: dict[tuple, dict] = {}
    for name, year, area, code, points, base, created in rows:
        sc = out.setdefault(
            (name, year, area),
            {"name": name, "year": int(year), "area_code": area, "created_at": created.isoformat(), "points": {}},
        )
        sc["points"][code] = [float(points), None if base is None else float(base)]
    return list(out.values())


def migrate_scenarios(
    db: Path, city: config.CityConfig | None = None, notes: list[str] | None = None
) -> Callable[[], None]:
    """Once: move the scenarios of an old-style artifact ``db`` into ``scenarios.json``.

    Does nothing when the store exists or ``db`` holds none; otherwise appends a line to ``notes``.
    Returns an undo (removes the file).
    """
    from kla.ingest import store

    path = scenarios_path(city)
    if path.exists():
        return lambda: None
    found = scenarios_from_artifact(db)
    if not found:
        return lambda: None
    with scenarios_lock(path):
        if path.exists():
            return lambda: None
        undo = store.write_records_file(path, _text(found))
    if notes is not None:
        notes.append(f"{len(found)} skenario dari {db.name} lama dipindahkan ke {path} (sekali saja).")
    return undo


def backup(dest: Path, city: config.CityConfig | None = None) -> list[Path]:
    """Copy the records folder into ``dest/records-<UTC time>`` under the writer locks; returns the files."""
    from kla.ingest import store

    city = city or config.load_city()
    folder = city.records_dir
    if not folder.is_dir():
        raise KlaError(f"Belum ada catatan kota di {folder}; tidak ada yang dicadangkan.")
    target = Path(dest) / f"records-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    if target.exists():
        raise KlaError(f"{target} sudah ada; pilih folder lain.")
    with store.records_lock(city), scenarios_lock(scenarios_path(city)):
        target.mkdir(parents=True)
        copied = []
        for f in sorted(folder.iterdir()):
            if f.is_file() and ".tmp-" not in f.name and not f.name.endswith(".lock"):
                shutil.copy2(f, target / f.name)
                copied.append(target / f.name)
    return copied
