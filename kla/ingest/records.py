"""Backing up the city's records (``python -m kla records backup DEST``).

What the records are and where they live: :mod:`kla.read.records`. Their writers:
:func:`kla.ingest.store.staged` (``imports.duckdb``), :mod:`kla.ingest.scenarios`
(``scenarios.json``) and :func:`kla.ingest.build.build` (``rulebook.toml``). A backup copies the
folder under the writer locks, so it never catches a file half-written.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from kla.core import config
from kla.core.errors import KlaError
from kla.ingest.scenarios import scenarios_lock
from kla.ingest.store import records_lock
from kla.read.records import scenarios_path


def backup(dest: Path, city: config.CityConfig | None = None) -> list[Path]:
    """Copy the records folder into ``dest/records-<UTC time>`` under the writer locks; returns the files."""
    city = city or config.load_city()
    folder = city.records_dir
    if not folder.is_dir():
        raise KlaError(f"Belum ada catatan kota di {folder}; tidak ada yang dicadangkan.")
    target = Path(dest) / f"records-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    if target.exists():
        raise KlaError(f"{target} sudah ada; pilih folder lain.")
    with records_lock(city), scenarios_lock(scenarios_path(city)):
        target.mkdir(parents=True)
        copied = []
        for f in sorted(folder.iterdir()):
            if f.is_file() and ".tmp-" not in f.name and not f.name.endswith(".lock"):
                shutil.copy2(f, target / f.name)
                copied.append(target / f.name)
    return copied
