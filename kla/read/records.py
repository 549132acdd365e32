"""The city's records: where they live, and reading the saved scenarios.

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
    saved what-if scenarios. A small file of its own, written atomically under its own lock
    (:mod:`kla.ingest.scenarios`), so saving a scenario copies neither the imports nor the
    artifact; the app reads it directly (:func:`read_scenarios`), keyed on its fingerprint, so a
    save shows without a rebuild.

Back up by copying the folder while nothing writes (:func:`kla.ingest.records.backup` does it
under the writer locks: ``python -m kla records backup DEST``).
"""

from __future__ import annotations

import json
from pathlib import Path

from kla.core import config
from kla.core.errors import KlaError

IMPORTS_FILE = "imports.duckdb"
SCENARIOS_FILE = "scenarios.json"


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
