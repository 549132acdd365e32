"""The only writer of the DuckDB store: build-then-swap for ``python -m kla build`` and every ``import``.

Every write is build-then-swap: work happens in a temporary file next to the database,
which is validated, checkpointed, closed and then ``os.replace``-d over the old file. A
failure at any point (including ``kill -9``) leaves the previous database byte-identical;
a running app keeps reading the old inode until it notices the new fingerprint.

The database is an *artifact*: everything in it can be rebuilt from ``data/`` plus the city's
records (:mod:`kla.read.records`, ``<records>/imports.duckdb``: imported rows with their provenance).
:func:`staged` writes the records before the artifact: the new rows are written and validated in a
copy of the artifact, the imported rows of that copy are written to a new records file
(``os.replace``), then the artifact is swapped in. ``make clean`` or a rebuild never touches the
records; :func:`kla.ingest.build.build` reads them back.

Writers are serialised per database by the exclusive inter-process lock on ``<db>.lock``
(:func:`kla.ingest.files.write_lock`), held for the whole copy → write → validate → swap, and
by the records' lock (:func:`records_lock`) taken before it. Readers (the app) never take them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from kla.core import config
from kla.core.errors import DatabaseNotReady, Problem, ValidationError
from kla.ingest.files import fsync_dir, is_duckdb, write_lock
from kla.ingest.scenarios import migrate_scenarios
from kla.read.records import imports_path
from kla.read.repository import sql

# Tables whose rows from *imported* sources are the city's records (``<records>/imports.duckdb``)
# and survive a rebuild. Identifiers of this fixed list are formatted into SQL, never input.
CARRIED_TABLES: tuple[str, ...] = ("kla_score", "boundary", "measurement", "rekap", "nutrition_base")
#: Sources whose rows are records: imported files, and imported DATA CONTOH exports (not the shipped
#: sample, rebuilt from data/); not an imported rulebook (its own records file, rulebook.toml) and not
#: a scenario of a database from before scenarios had their own store (records/scenarios.json).
RECORD_SOURCES = (
    "(kind = 'imported' AND table_name NOT IN ('kla_indicator', 'kla_scenario')) "
    "OR (kind = 'sample' AND table_name IN ('measurement', 'rekap'))"
)


def add_provenance(
    con: duckdb.DuckDBPyConnection,
    *,
    path: str,
    sha256: str,
    rows: int,
    kind: str,
    table_name: str,
    note: str = "",
    built_at: datetime | None = None,
) -> int:
    """Record one source file; returns its ``source_id`` for the rows it produced."""
    (next_id,) = con.execute(sql("store_next_source_id")).fetchone()
    con.execute(
        sql("store_insert_provenance"),
        [next_id, path, sha256, rows, kind, table_name, note, built_at or datetime.now(UTC).replace(tzinfo=None)],
    )
    return int(next_id)


# --------------------------------------------------------------------------- validation

#: What :func:`validate` checks: a named query whose rows are problems, and the message of a row.
_CHECKS = (
    ("store_check_wilayah_empty", "tabel wilayah kosong ({})"),
    ("store_check_rulebook_empty", "rulebook kosong ({})"),
    ("store_check_unknown_indicator", "nilai untuk indikator tak dikenal: {}"),
    ("store_check_unknown_area", "nilai untuk wilayah tak dikenal: {}"),
    ("store_check_points_range", "poin {} = {} di luar 0–{}"),
    (
        "store_check_rulebook_key",
        "nilai {} wilayah {} (berkas {}) dibuat untuk rulebook {}, sedangkan rulebook aktif {} ({} indikator); "
        "nomor indikator tidak dipetakan otomatis: impor ulang nilainya dengan templat rulebook aktif",
    ),
)


def validate(con: duckdb.DuckDBPyConnection) -> None:
    """Integrity checks run before any swap; raise ValidationError to abort it."""
    problems = [
        Problem("kla.duckdb", None, None, message.format(*row))
        for name, message in _CHECKS
        for row in con.execute(sql(name)).fetchall()
    ]
    if problems:
        raise ValidationError("Validasi basis data gagal; berkas lama tidak diubah.", problems)


# --------------------------------------------------------------------------- atomic write
def _tmp_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.tmp-{os.getpid()}")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _remove_stale_temps(db: Path) -> None:
    """Delete temp files left by writers that died (``kill -9``, power loss). Call only under the writer lock.

    A writer creates its temp file only while it holds the lock and removes it before letting go,
    so while we hold the lock every ``<db>.tmp-*`` belongs to a writer that no longer runs. (No
    process-liveness probe: ``os.kill(pid, 0)`` is not one on Windows.)
    """
    for path in db.parent.glob(f"{db.name}.tmp-*"):
        if path.name.endswith(".wal"):
            continue  # removed together with its database file below
        _remove(path)
    for path in db.parent.glob(f"{db.name}.tmp-*.wal"):  # a WAL whose database file is already gone
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def _private_files() -> Iterator[None]:
    """New files (databases, their temp copies and WAL) are created 0600: they hold one row per child.

    A umask for the duration of a write, rather than a chmod afterwards, so that no temp copy or WAL
    is ever readable by others, not even for a moment. The umask is process-wide, so other threads
    creating files meanwhile also get 0600: it only ever narrows permissions.
    """
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def write_imports_records(artifact: Path, path: Path) -> Callable[[], None]:
    """Write the imported rows of ``artifact`` (with their provenance) as the records file ``path``.

    Only the rows of :data:`RECORD_SOURCES` in :data:`CARRIED_TABLES` (same columns as in the
    artifact: HMACs and aggregates, never a name or NIK), plus the rulebook key they were written
    for. Built in ``<path>.tmp-<pid>``, checkpointed and fsynced, then ``os.replace``-d; call under
    :func:`records_lock`. Returns an undo that puts the previous file back (a hard link kept as
    ``<path>.tmp-prev-<pid>`` until the caller's stale-temp cleanup).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    _remove(tmp)
    try:
        con = duckdb.connect(str(tmp))  # 0600: callers hold _private_files (see swap_in)
        try:
            con.execute(sql("store_attach_artifact"), [str(artifact)])
            con.execute(sql("store_records_provenance").format(record_sources=RECORD_SOURCES))
            present = {r[0] for r in con.execute(sql("store_tables_of"), ["art"]).fetchall()}
            for name in CARRIED_TABLES:  # fixed list, never input
                if name in present:
                    con.execute(sql("store_records_copy_table").format(table=name))
            con.execute(sql("store_records_meta"))
            con.execute(
                sql("store_insert_meta"),
                ["records_written_at", datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")],
            )
            con.execute(sql("store_detach_artifact"))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        previous = path.with_name(f"{path.name}.tmp-prev-{os.getpid()}")
        _remove(previous)
        if path.exists():
            try:
                os.link(path, previous)
            except OSError:  # a file system without hard links
                shutil.copyfile(path, previous)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        _remove(tmp)

    def undo() -> None:
        if previous.exists():
            os.replace(previous, path)
        else:
            _remove(path)
        fsync_dir(path.parent)

    return undo


@contextlib.contextmanager
def records_lock(city: config.CityConfig | None = None) -> Iterator[None]:
    """The writer lock of the city's records (``<records>.lock`` beside the folder; taken before the DB's)."""
    folder = (city or config.load_city()).records_dir
    with write_lock(folder):
        yield


@dataclass
class SwapPlan:
    """What :func:`swap_in` writes besides the artifact; the body may change it before the swap."""

    imports: bool = True  # rewrite <records>/imports.duckdb from the new artifact
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def swap_in(
    db: Path,
    *,
    copy_from_existing: bool,
    before_swap: Callable[[], Callable[[], None]] | None = None,
    plan: SwapPlan | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Write into a temp copy; on success validate, checkpoint, fsync, write the records, swap it in.

    Under the records lock and then the writer lock of ``db``. After the new file validated, the
    records are written first (``plan.imports``: :func:`write_imports_records`; scenarios of an
    old-style artifact: :func:`kla.ingest.scenarios.migrate_scenarios`), then ``before_swap`` runs; each
    returns an undo, run (newest first) if a later step or the swap itself fails.
    """
    plan = plan or SwapPlan()
    city = config.load_city()
    imports = imports_path(city)
    # _private_files: every file this write creates (temp copy, its WAL, the records) is 0600
    with records_lock(city), write_lock(db), _private_files():
        _remove_stale_temps(db)
        _remove_stale_temps(imports)
        tmp = _tmp_path(db)
        _remove(tmp)
        con = None
        undos: list[Callable[[], None]] = []
        try:
            if copy_from_existing:
                shutil.copyfile(db, tmp)
            con = duckdb.connect(str(tmp))
            # an old-style database (imports but no records yet): its imported rows move into the records
            moving = (
                con.execute(sql("store_count_record_sources").format(record_sources=RECORD_SOURCES)).fetchone()[0]
                if copy_from_existing and plan.imports and not imports.exists()
                else 0
            )
            con.execute("BEGIN TRANSACTION")
            yield con
            validate(con)
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
            con.close()
            con = None
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            try:
                if plan.imports:
                    undos.append(write_imports_records(tmp, imports))
                    if moving:
                        plan.notes.append(
                            f"{moving} sumber impor dari {db.name} lama dipindahkan ke catatan kota "
                            f"{imports} (sekali saja)."
                        )
                undos.append(migrate_scenarios(db, city, plan.notes))
                if before_swap is not None:
                    undos.append(before_swap())
                os.replace(tmp, db)
                fsync_dir(db.parent)  # the rename itself survives a power loss
            except BaseException:
                for undo in reversed(undos):
                    undo()
                raise
        finally:
            if con is not None:
                with contextlib.suppress(Exception):
                    con.close()
            _remove(tmp)
            _remove_stale_temps(imports)


@contextlib.contextmanager
def staged(db: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-write connection to a *copy* of the database, swapped in only on success.

    For imports. After the copy validated, its imported rows become the city's records
    (:func:`write_imports_records`, atomic), and only then is the copy swapped in; a failure
    before that leaves both files byte-identical. An old-style artifact's imported rows are moved
    into the records by the first such write. Raises :class:`DatabaseNotReady` if there is no
    database yet.
    """
    db = Path(db or config.db_path())
    if not db.exists() or not is_duckdb(db):
        raise DatabaseNotReady(f"Basis data {db} belum ada atau rusak. Jalankan dulu: python -m kla build")
    plan = SwapPlan()
    with swap_in(db, copy_from_existing=True, plan=plan) as con:
        yield con
    for note in plan.notes:  # the one-time move of an old-style database's imports and scenarios
        warn(f"Catatan: {note}")


def warn(message: str) -> None:
    print(message, file=sys.stderr)
