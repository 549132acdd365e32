"""The one place the app opens DuckDB: read-only, hardened, and aware of rebuilt files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kla.core.errors import DatabaseNotReady

# Defence in depth for the app's connection (DuckDB "Securing DuckDB" guide): the app only
# reads its own file, so it needs no external access, extensions or mutable settings.
READONLY_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "threads": 2,
    "memory_limit": "1GB",
    "lock_configuration": True,
}


def fingerprint(path: Path) -> tuple[str, int, int]:
    """``(path, mtime_ns, size)``: changes whenever the build swaps in a new file."""
    st = path.stat()
    return (str(path), st.st_mtime_ns, st.st_size)


def connect_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the store read-only; raise :class:`DatabaseNotReady` with a next step if unusable."""
    path = Path(path)
    if not path.exists():
        raise DatabaseNotReady(f"Basis data belum dibangun ({path.name} tidak ada). Jalankan: python -m kla build")
    try:
        con = duckdb.connect(str(path), read_only=True, config=READONLY_CONFIG)
    except duckdb.Error as exc:
        raise DatabaseNotReady(
            f"Berkas {path.name} bukan basis data DuckDB yang bisa dibaca. Bangun ulang dengan: python -m kla build"
        ) from exc
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    except duckdb.Error as exc:  # pragma: no cover - corrupted catalogue
        con.close()
        raise DatabaseNotReady(f"Berkas {path.name} rusak. Bangun ulang dengan: python -m kla build") from exc
    if not {"provenance", "kla_indicator", "wilayah"} <= tables:
        con.close()
        raise DatabaseNotReady(
            f"Basis data {path.name} kosong atau belum lengkap. Bangun ulang dengan: python -m kla build"
        )
    return con


def connect_scratch() -> duckdb.DuckDBPyConnection:
    """A private in-memory engine for parsing input files before they reach the store.

    Nothing is persisted: there is no file, and spilling to a temp directory is disabled so
    identifying columns read from an export never touch the disk.
    """
    con = duckdb.connect(":memory:", config={"temp_directory": ""})
    con.execute("SET enable_progress_bar = false")
    return con
