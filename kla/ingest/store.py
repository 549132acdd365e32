"""The only writer of the DuckDB store: ``python -m kla build`` and every ``import``.

Every write is build-then-swap: work happens in a temporary file next to the database,
which is validated, checkpointed, closed and then ``os.replace``-d over the old file. A
failure at any point (including ``kill -9``) leaves the previous database byte-identical;
a running app keeps reading the old inode until it notices the new fingerprint.

The database is an *artifact*: everything in it can be rebuilt from ``data/`` plus the city's
records (:mod:`kla.ingest.records`, ``<records>/imports.duckdb``: imported rows with their provenance).
:func:`staged` writes the records before the artifact: the new rows are written and validated in a
copy of the artifact, the imported rows of that copy are written to a new records file
(``os.replace``), then the artifact is swapped in. ``make clean`` or a rebuild never touches the
records; :func:`build` reads them back (:func:`_carry_imports`).

Writers are serialised per database by an exclusive inter-process lock on ``<db>.lock`` next to
it (``data/kla.duckdb.lock``), held for the whole copy → write → validate → swap. Without it two
imports at once would each copy the old file and the second swap would silently drop the first
import. A second writer waits up to :data:`WRITE_LOCK_TIMEOUT` seconds (``KLA_WRITE_LOCK_TIMEOUT``
overrides) and then fails with a :class:`KlaError`, the database unchanged. The lock is an OS
lock (``flock`` on Linux, ``LockFileEx`` on Windows, through ``filelock``), so a writer killed
with ``kill -9`` releases it with its process. Readers (the app) never take it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from kla.core import config, fmt
from kla.core.errors import DatabaseNotReady, KlaError, Problem, ValidationError
from kla.core.rulebook import Rulebook, load_rulebook
from kla.ingest.sample_kla import sample_like
from kla.ingest.scores_io import file_rulebook_keys, parse_score_table, parse_scores
from kla.ingest.tabular import parse_number, read_table

SCHEMA_VERSION = "2"  # 2: rulebook version/source, kla_score.rulebook_key
#: Seconds a writer waits for another writer of the same database before giving up.
WRITE_LOCK_TIMEOUT = 120.0
#: Environment variable overriding :data:`WRITE_LOCK_TIMEOUT` (seconds, ≥ 0).
LOCK_TIMEOUT_ENV = "KLA_WRITE_LOCK_TIMEOUT"
Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    return None


@dataclass(frozen=True)
class PendingRulebook:
    """A validated rulebook to make active: built into the new database, then written to ``path``.

    ``text`` is the normalised TOML (:func:`kla.ingest.rulebook_import.to_toml`); the records file is
    written only after the new database validated, just before the swap (:func:`build`).
    """

    rulebook: Rulebook
    text: str
    path: Path

    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


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
        if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
            fd = os.open(path.parent, os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

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


@dataclass
class BuildContext:
    """What a build step may use. Steps add rows; they never open another connection."""

    city: config.CityConfig
    data_dir: Path
    built_at: datetime
    progress: Progress = _quiet
    rulebook: Rulebook | None = None
    notes: list[str] = field(default_factory=list)
    #: a rulebook being imported (``python -m kla import rulebook``), used instead of the city's file
    pending_rulebook: PendingRulebook | None = None

    def rel(self, path: Path) -> str:
        """Path as recorded in provenance: relative to the data folder when inside it."""
        try:
            return str(path.resolve().relative_to(self.data_dir.resolve()))
        except ValueError:
            return str(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    (next_id,) = con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM provenance").fetchone()
    con.execute(
        "INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [next_id, path, sha256, rows, kind, table_name, note, built_at or datetime.now(UTC).replace(tzinfo=None)],
    )
    return int(next_id)


def set_provenance_rows(con: duckdb.DuckDBPyConnection, source_id: int, rows: int) -> None:
    con.execute("UPDATE provenance SET rows = ? WHERE source_id = ?", [rows, source_id])


# --------------------------------------------------------------------------- build steps


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path.name}: bukan teks UTF-8; tidak ada yang diubah.") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(f"{path.name}: CSV rusak ({exc}); tidak ada yang diubah.") from exc


def _require_columns(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{path.name}: kolom wajib tidak ada: {', '.join(missing)}",
            [Problem(path.name, 1, c, "kolom wajib tidak ada") for c in missing],
        )


def load_wilayah(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Wilayah (city, kecamatan, kelurahan) and the spelling-alias table."""
    path = ctx.city.wilayah
    frame = _read_csv(path)
    _require_columns(frame, path, ["code", "level", "name", "parent_code"])
    problems = []
    seen: dict[str, int] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if row.level not in ("kota", "kecamatan", "kelurahan"):
            problems.append(Problem(path.name, i, "level", f"level '{row.level}' tidak dikenal"))
        if not row.code or not row.name:
            problems.append(Problem(path.name, i, "code", "kode dan nama wajib diisi"))
        if row.code in seen:
            problems.append(Problem(path.name, i, "code", f"kode {row.code} ganda (baris {seen[row.code]})"))
        seen[row.code] = i
    codes = set(frame["code"])
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        if row.level != "kota" and row.parent_code not in codes:
            problems.append(Problem(path.name, i, "parent_code", f"induk {row.parent_code} tidak ada"))
    if ctx.city.code not in codes:
        problems.append(Problem(path.name, None, "code", f"kode kota {ctx.city.code} dari city.toml tidak ada"))
    if problems:
        raise ValidationError(f"{path.name} tidak valid", problems)
    sid = add_provenance(
        con,
        path=ctx.rel(path),
        sha256=file_sha256(path),
        rows=len(frame),
        kind="reference",
        table_name="wilayah",
        note=f"sumber: {frame['source'].iloc[0] if 'source' in frame else ''}",
        built_at=ctx.built_at,
    )
    con.register("wilayah_src", frame)
    con.execute("INSERT INTO wilayah SELECT code, level, name, parent_code, ? FROM wilayah_src", [sid])
    con.unregister("wilayah_src")

    apath = ctx.city.wilayah_alias
    aliases = _read_csv(apath)
    _require_columns(aliases, apath, ["alias", "code"])
    bad = [
        Problem(apath.name, i, "code", f"alias '{r.alias}' menunjuk kode {r.code} yang tidak ada")
        for i, r in enumerate(aliases.itertuples(index=False), start=2)
        if r.code not in codes
    ]
    if bad:
        raise ValidationError(f"{apath.name} tidak valid", bad)
    sid = add_provenance(
        con,
        path=ctx.rel(apath),
        sha256=file_sha256(apath),
        rows=len(aliases),
        kind="reference",
        table_name="wilayah_alias",
        built_at=ctx.built_at,
    )
    con.register("alias_src", aliases)
    con.execute("INSERT INTO wilayah_alias SELECT alias, code, ? FROM alias_src", [sid])
    con.unregister("alias_src")


def load_published(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Published figures, each with its source URL (kind = published)."""
    path = ctx.city.published_figures
    frame = _read_csv(path)
    cols = [
        "indicator",
        "area_code",
        "area_name",
        "period",
        "value",
        "unit",
        "denominator",
        "source_kind",
        "status",
        "source_url",
        "note",
    ]
    _require_columns(frame, path, cols)
    problems = [
        Problem(path.name, i, "source_url", "angka terbitan wajib punya URL sumber")
        for i, url in enumerate(frame["source_url"], start=2)
        if not url.startswith("http")
    ]
    if problems:
        raise ValidationError(f"{path.name} tidak valid", problems)
    frame = frame[cols].copy()
    frame["value_num"] = [
        parse_number(v) if v.replace(".", "", 1).replace("-", "", 1).isdigit() else None for v in frame["value"]
    ]
    frame["denominator_num"] = [parse_number(v) for v in frame["denominator"]]
    sid = add_provenance(
        con,
        path=ctx.rel(path),
        sha256=file_sha256(path),
        rows=len(frame),
        kind="published",
        table_name="published_figure",
        built_at=ctx.built_at,
    )
    con.register("pub_src", frame)
    con.execute(
        """INSERT INTO published_figure
           SELECT indicator, area_code, area_name, period, value, TRY_CAST(value_num AS DOUBLE), unit,
                  TRY_CAST(denominator_num AS DOUBLE), source_kind, status, source_url, nullif(note, ''), ?
           FROM pub_src""",
        [sid],
    )
    con.unregister("pub_src")


def _rulebook_provenance(rb: Rulebook, rel_path: str, sha256: str, ctx: BuildContext) -> dict:
    """The provenance row of the rulebook: an imported sheet names the sheet, its sha256 and time."""
    meta = rb.raw.get("rulebook", {})
    if not meta.get("imported_from"):
        return {
            "path": rel_path,
            "sha256": sha256,
            "kind": "reference",
            "note": rb.weights_label,
            "built_at": ctx.built_at,
        }
    try:
        at = datetime.fromisoformat(str(meta.get("imported_at", "")))
    except ValueError:
        at = ctx.built_at
    return {
        "path": str(meta["imported_from"]),
        "sha256": str(meta.get("imported_sha256", "")),
        "kind": "imported",
        "note": (
            f"rulebook {rb.key} ({rb.weights_label}); "
            f"lembar {meta['imported_from']} sha256 {meta.get('imported_sha256', '')}, diimpor "
            f"{meta.get('imported_at', '?')} UTC; disimpan di {rel_path} (sha256 {sha256[:12]})"
        ),
        "built_at": at.replace(tzinfo=None),
    }


def load_rulebook_step(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """The active rulebook (records file, else the one city.toml names, or the one being imported), validated."""
    pending = ctx.pending_rulebook
    if pending is not None:
        rb, rel_path, sha = pending.rulebook, ctx.rel(pending.path), pending.sha256()
    else:
        rb = load_rulebook(ctx.city.rulebook)
        rel_path, sha = ctx.rel(ctx.city.rulebook), file_sha256(ctx.city.rulebook)
    ctx.rulebook = rb
    sid = add_provenance(
        con, rows=len(rb.indicators), table_name="kla_indicator", **_rulebook_provenance(rb, rel_path, sha, ctx)
    )
    con.execute(
        "INSERT INTO rulebook VALUES (?, ?, ?, ?, ?, ?, ?)",
        [rb.id, rb.title, rb.weights_official, rb.weights_label, sid, rb.version, rb.source_url],
    )
    con.executemany(
        "INSERT INTO kla_group VALUES (?, ?, ?, ?, ?)",
        [[rb.id, g.code, g.label, g.title, n] for n, g in enumerate(rb.groups)],
    )
    con.executemany("INSERT INTO kla_band VALUES (?, ?, ?, ?)", [[rb.id, b.name, b.min, b.max] for b in rb.bands])
    con.executemany(
        "INSERT INTO kla_indicator VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [rb.id, i.code, i.number, i.name, i.group, i.opd, i.max_points, i.status, list(i.levels), i.source_url]
            for i in rb.indicators
        ],
    )
    con.execute("INSERT OR REPLACE INTO meta VALUES ('rulebook_id', ?)", [rb.id])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('rulebook_key', ?)", [rb.key])


def insert_scores(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, source_id: int) -> None:
    """Store validated score rows, replacing earlier scores for the same year and areas."""
    con.register("score_src", rows)
    con.execute("""DELETE FROM kla_score WHERE (year, area_code) IN (SELECT DISTINCT year, area_code FROM score_src)""")
    con.execute(
        """INSERT INTO kla_score
           SELECT year, area_code, indicator_code, points, evidence_status, note, ?, rulebook_key FROM score_src""",
        [source_id],
    )
    con.unregister("score_src")


def load_kla_scores(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Score files listed in the city config (the shipped ones are DATA CONTOH)."""
    assert ctx.rulebook is not None, "load_rulebook_step must run first"
    areas = {r[0] for r in con.execute("SELECT code FROM wilayah").fetchall()}
    rb = ctx.rulebook
    for src in ctx.city.kla_scores:
        note = "DATA CONTOH: nilai ilustratif, bukan hasil evaluasi resmi" if src.kind == "sample" else ""
        if src.kind == "sample" and file_rulebook_keys(src.path) != {rb.key}:
            # A shipped DATA CONTOH file for another rulebook: regenerate the sample for the active one
            # (never read one rulebook's points as another's). Real score files are refused instead.
            table = read_table(src.path, expected=("kode_indikator",))
            wanted = sorted({str(a).strip() for a in table.get("kode_wilayah", pd.Series([""])).fillna("")})
            frame = sample_like(rb, src.year, wanted or [""]).astype(str)
            rows = parse_score_table(
                frame, src.path.name, rb, year=src.year, city_code=ctx.city.code, known_areas=areas
            )
            note += f" (dibuat ulang untuk rulebook {rb.key})"
            ctx.notes.append(f"{src.path.name}: DATA CONTOH dibuat ulang untuk rulebook aktif {rb.key}.")
        else:
            rows = parse_scores(src.path, rb, year=src.year, city_code=ctx.city.code, known_areas=areas)
        sid = add_provenance(
            con,
            path=ctx.rel(src.path),
            sha256=file_sha256(src.path),
            rows=len(rows),
            kind=src.kind,
            table_name="kla_score",
            note=note,
            built_at=ctx.built_at,
        )
        insert_scores(con, rows, sid)


load_wilayah.label = "Memuat wilayah dan alias nama"  # type: ignore[attr-defined]
load_published.label = "Memuat angka terbitan"  # type: ignore[attr-defined]
load_rulebook_step.label = "Memuat dan memeriksa rulebook"  # type: ignore[attr-defined]
load_kla_scores.label = "Memuat nilai KLA"  # type: ignore[attr-defined]

# Steps run in order on a fresh database. Later issues append their loaders here.
BUILD_STEPS: list[Callable[[duckdb.DuckDBPyConnection, BuildContext], None]] = [
    load_wilayah,
    load_published,
    load_rulebook_step,
    load_kla_scores,
]

# Tables whose rows from *imported* sources are the city's records (``<records>/imports.duckdb``)
# and survive a rebuild.
CARRIED_TABLES: list[str] = ["kla_score", "boundary"]
#: Sources whose rows are records: imported files, and imported DATA CONTOH exports (not the shipped
#: sample, rebuilt from data/); not an imported rulebook (its own records file, rulebook.toml) and not
#: a scenario of a database from before scenarios had their own store (kla.ingest.records.scenarios.json).
RECORD_SOURCES = (
    "(kind = 'imported' AND table_name NOT IN ('kla_indicator', 'kla_scenario')) "
    "OR (kind = 'sample' AND table_name IN ('measurement', 'rekap'))"
)


# --------------------------------------------------------------------------- validation


def validate(con: duckdb.DuckDBPyConnection) -> None:
    """Integrity checks run before any swap; raise ValidationError to abort it."""
    problems: list[Problem] = []

    def check(sql: str, message: str) -> None:
        for row in con.execute(sql).fetchall():
            problems.append(Problem("kla.duckdb", None, None, message.format(*row)))

    check("SELECT count(*) FROM wilayah HAVING count(*) = 0", "tabel wilayah kosong ({})")
    check("SELECT count(*) FROM kla_indicator HAVING count(*) = 0", "rulebook kosong ({})")
    check(
        "SELECT DISTINCT s.indicator_code FROM kla_score s ANTI JOIN kla_indicator i ON s.indicator_code = i.code",
        "nilai untuk indikator tak dikenal: {}",
    )
    check(
        "SELECT DISTINCT s.area_code FROM kla_score s ANTI JOIN wilayah w ON s.area_code = w.code",
        "nilai untuk wilayah tak dikenal: {}",
    )
    check(
        """SELECT s.indicator_code, s.points, i.max_points FROM kla_score s JOIN kla_indicator i
           ON s.indicator_code = i.code WHERE s.points < 0 OR s.points > i.max_points + 1e-9""",
        "poin {} = {} di luar 0–{}",
    )
    check(
        """SELECT s.year, s.area_code, p.path, s.rulebook_key, m.value, count(*)
           FROM kla_score s JOIN provenance p USING (source_id) JOIN meta m ON m.key = 'rulebook_key'
           WHERE s.rulebook_key <> m.value
           GROUP BY ALL ORDER BY 1, 2""",
        "nilai {} wilayah {} (berkas {}) dibuat untuk rulebook {}, sedangkan rulebook aktif {} ({} indikator); "
        "nomor indikator tidak dipetakan otomatis: impor ulang nilainya dengan templat rulebook aktif",
    )
    if problems:
        raise ValidationError("Validasi basis data gagal; berkas lama tidak diubah.", problems)


# --------------------------------------------------------------------------- atomic write


def _tmp_path(db: Path) -> Path:
    return db.with_name(f"{db.name}.tmp-{os.getpid()}")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _schema_sql() -> list[str]:
    folder = resources.files("kla.read") / "sql"
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("schema_") and p.name.endswith(".sql"))
    return [(folder / n).read_text(encoding="utf-8") for n in names]


def _remove_stale_temps(db: Path) -> None:
    """Delete temp files left by writers that died (``kill -9``, power loss). Call only under :func:`write_lock`.

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

    Every write goes through it (:func:`staged`, :func:`build`); the app's read-only connections
    never take it. Raises :class:`KlaError` when another writer keeps it past the timeout.
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


def _fsync_dir(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make a rename itself durable
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
        con = duckdb.connect(str(tmp))  # 0600: callers hold _private_files (see _swap_in)
        try:
            con.execute("ATTACH ? AS art (READ_ONLY)", [str(artifact)])
            con.execute(f"CREATE TABLE provenance AS SELECT * FROM art.provenance WHERE {RECORD_SOURCES}")  # noqa: S608
            present = {
                r[0]
                for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'art'").fetchall()
            }
            for name in CARRIED_TABLES:  # fixed list, never input
                if name in present:
                    con.execute(
                        f"CREATE TABLE {name} AS SELECT * FROM art.{name} "  # noqa: S608
                        "WHERE source_id IN (SELECT source_id FROM provenance)"
                    )
            con.execute(
                "CREATE TABLE meta AS SELECT * FROM art.meta "
                "WHERE key IN ('schema_version', 'city_code', 'rulebook_id', 'rulebook_key')"
            )
            con.execute(
                "INSERT INTO meta VALUES ('records_written_at', ?)",
                [datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")],
            )
            con.execute("DETACH art")
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
        _fsync_dir(path.parent)
    finally:
        _remove(tmp)

    def undo() -> None:
        if previous.exists():
            os.replace(previous, path)
        else:
            _remove(path)
        _fsync_dir(path.parent)

    return undo


@contextlib.contextmanager
def records_lock(city: config.CityConfig | None = None) -> Iterator[None]:
    """The writer lock of the city's records (``<records>.lock`` beside the folder; taken before the DB's)."""
    folder = (city or config.load_city()).records_dir
    with write_lock(folder):
        yield


@dataclass
class _SwapPlan:
    """What :func:`_swap_in` writes besides the artifact; the body may change it before the swap."""

    imports: bool = True  # rewrite <records>/imports.duckdb from the new artifact
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _swap_in(
    db: Path,
    *,
    copy_from_existing: bool,
    before_swap: Callable[[], Callable[[], None]] | None = None,
    plan: _SwapPlan | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Write into a temp copy; on success validate, checkpoint, fsync, write the records, swap it in.

    Under the records lock and then the writer lock of ``db``. After the new file validated, the
    records are written first (``plan.imports``: :func:`write_imports_records`; scenarios of an
    old-style artifact: :func:`kla.ingest.records.migrate_scenarios`), then ``before_swap`` runs; each
    returns an undo, run (newest first) if a later step or the swap itself fails.
    """
    from kla.ingest import records  # lazy: kla.ingest.records uses this module's writers

    plan = plan or _SwapPlan()
    city = config.load_city()
    imports = records.imports_path(city)
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
                con.execute(f"SELECT count(*) FROM provenance WHERE {RECORD_SOURCES}").fetchone()[0]  # noqa: S608
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
                undos.append(records.migrate_scenarios(db, city, plan.notes))
                if before_swap is not None:
                    undos.append(before_swap())
                os.replace(tmp, db)
                _fsync_dir(db.parent)  # the rename itself survives a power loss
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


def _is_duckdb(path: Path) -> bool:
    """DuckDB files carry the magic bytes 'DUCK' at offset 8."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[8:12] == b"DUCK"


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
    if not db.exists() or not _is_duckdb(db):
        raise DatabaseNotReady(f"Basis data {db} belum ada atau rusak. Jalankan dulu: python -m kla build")
    plan = _SwapPlan()
    with _swap_in(db, copy_from_existing=True, plan=plan) as con:
        yield con
    for note in plan.notes:  # the one-time move of an old-style database's imports and scenarios
        warn(f"Catatan: {note}")


@dataclass
class BuildReport:
    db: Path
    tables: dict[str, int]
    carried_sources: int
    notes: list[str]
    migrated_sources: int = 0  # sources moved from an old-style artifact into the records (first build)


def _carry_imports(con: duckdb.DuckDBPyConnection, old_db: Path, ctx: BuildContext) -> int:
    """Copy rows of imported sources from ``old_db`` into the new database; returns how many sources.

    ``old_db`` is the records file (``<records>/imports.duckdb``), or, once, the previous artifact
    of an installation from before records existed (:func:`build` then moves them into records).
    """
    if not old_db.exists():
        return 0
    if not _is_duckdb(old_db):
        ctx.notes.append(f"{old_db.name} lama bukan berkas DuckDB; data impor lama tidak bisa dibawa.")
        return 0
    con.execute("ATTACH ? AS old (READ_ONLY)", [str(old_db)])
    try:
        old_city = con.execute("SELECT max(value) FROM old.meta WHERE key = 'city_code'").fetchone()[0]
        if old_city and old_city != ctx.city.code:
            # Another city's database at this path: its imports (boundaries, nutrition, scores) are not ours.
            ctx.notes.append(
                f"{old_db.name} lama milik kota {old_city}, bukan {ctx.city.code}; data impornya tidak dibawa."
            )
            return 0
        imported = con.execute(
            "SELECT source_id, path, sha256, rows, kind, table_name, note, built_at FROM old.provenance "  # noqa: S608
            f"WHERE {RECORD_SOURCES} ORDER BY source_id"
        ).fetchall()
        old_tables = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'").fetchall()
        }
        for old_id, path, sha, rows, kind, table, note, built_at in imported:
            new_id = add_provenance(
                con, path=path, sha256=sha, rows=rows, kind=kind, table_name=table, note=note or "", built_at=built_at
            )
            for name in CARRIED_TABLES:
                if name in old_tables:
                    # Identifiers come from the fixed CARRIED_TABLES list, never from input. BY NAME:
                    # columns added since the old build take their defaults.
                    con.execute(
                        f"INSERT OR REPLACE INTO main.{name} BY NAME SELECT * REPLACE (? AS source_id) "  # noqa: S608
                        f"FROM old.{name} WHERE source_id = ?",
                        [new_id, old_id],
                    )
            # Scores from a build before rulebook keys were recorded were written for that build's rulebook.
            con.execute(
                "UPDATE main.kla_score SET rulebook_key = coalesce("
                "(SELECT value FROM old.meta WHERE key = 'rulebook_key'), "
                "(SELECT value FROM old.meta WHERE key = 'rulebook_id'), '?') "
                "WHERE rulebook_key = ''"
            )
        return len(imported)
    except duckdb.Error as exc:
        raise KlaError(
            f"Data impor di {old_db} tidak bisa dibawa ke basis data baru ({exc}). "
            "Berkas lama tidak diubah; pulihkan catatan kota dari cadangan, atau impor ulang berkasnya."
        ) from exc
    finally:
        con.execute("DETACH old")


def score_conflicts(con: duckdb.DuckDBPyConnection, rb: Rulebook) -> list[Problem]:
    """Stored non-sample scores that do not fit ``rb``: another rulebook key, unknown indicator, points outside 0–max.

    One :class:`Problem` per (year, area, indicator). DATA CONTOH scores are not listed: the build
    regenerates them for the active rulebook.
    """
    rows = con.execute(
        """SELECT s.year, s.area_code, s.indicator_code, s.points, s.rulebook_key, p.path, i.max_points
           FROM kla_score s JOIN provenance p USING (source_id)
           LEFT JOIN kla_indicator i ON i.code = s.indicator_code AND i.rulebook_id = ?
           WHERE p.kind <> 'sample'
             AND (s.rulebook_key <> ? OR i.code IS NULL OR s.points < 0 OR s.points > i.max_points + 1e-9)
           ORDER BY s.year, s.area_code, s.indicator_code""",
        [rb.id, rb.key],
    ).fetchall()
    out = []
    for year, area, code, points, key, path, max_points in rows:
        why = []
        if key != rb.key:
            why.append(f"dibuat untuk rulebook {key or '(tanpa nama)'}")
        if max_points is None:
            why.append("indikator tidak ada di rulebook baru")
        elif points < 0 or points > max_points + 1e-9:
            why.append(f"poin {fmt.number(points)} di luar 0–{fmt.number(max_points)}")
        out.append(Problem(path, None, None, f"nilai {year} wilayah {area} indikator {code}: {', '.join(why)}"))
    return out


def build(
    db: Path | None = None, *, progress: Progress = _quiet, rulebook: PendingRulebook | None = None
) -> BuildReport:
    """Build the whole store from the text sources in the data folder, then swap it in.

    With ``rulebook`` (``python -m kla import rulebook``) the new database is built with that
    rulebook; stored imported scores that do not fit it refuse the whole import
    (:func:`score_conflicts`), and its records file is written only after the new database
    validated, just before the swap (put back if the swap fails). Either both change or neither.
    """
    db = Path(db or config.db_path())
    city = config.load_city()
    ctx = BuildContext(
        city=city,
        data_dir=config.data_dir(),
        built_at=datetime.now(UTC).replace(tzinfo=None),
        progress=progress,
        pending_rulebook=rulebook,
    )
    before_swap = (lambda: write_records_file(rulebook.path, rulebook.text)) if rulebook is not None else None
    from kla.ingest import records as city_records  # lazy: kla.ingest.records uses this module's writers

    imports = city_records.imports_path(city)
    plan = _SwapPlan(imports=False)
    with _swap_in(db, copy_from_existing=False, before_swap=before_swap, plan=plan) as con:
        for sql in _schema_sql():
            con.execute(sql)
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ["schema_version", SCHEMA_VERSION],
                ["city_code", city.code],
                ["city_name", city.name],
                ["built_at", ctx.built_at.isoformat(timespec="seconds")],
            ],
        )
        for n, step in enumerate(BUILD_STEPS):
            progress(n / (len(BUILD_STEPS) + 1), getattr(step, "label", step.__name__))
            step(con, ctx)
        migrated = 0
        if imports.exists():
            progress(len(BUILD_STEPS) / (len(BUILD_STEPS) + 1), "Membawa data impor dari catatan kota")
            carried = _carry_imports(con, imports, ctx)
        else:  # an installation from before records existed: move its imported rows into records, once
            progress(len(BUILD_STEPS) / (len(BUILD_STEPS) + 1), "Memindahkan data impor lama ke catatan kota")
            carried = migrated = _carry_imports(con, db, ctx)
            plan.imports = migrated > 0
            if migrated:
                ctx.notes.append(
                    f"{migrated} sumber impor dari {db.name} lama dipindahkan ke catatan kota {imports} "
                    "(sekali saja; build berikutnya membacanya dari sana)."
                )
        if rulebook is not None:
            conflicts = score_conflicts(con, rulebook.rulebook)
            if conflicts:
                raise ValidationError(
                    f"Rulebook {rulebook.rulebook.key} tidak dipasang: {len(conflicts)} nilai KLA tersimpan (impor) "
                    "tidak cocok dengannya; tidak ada yang diubah (basis data dan catatan rulebook tetap).",
                    conflicts,
                    limit=None,
                )
        tables = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - names from catalog
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
            ).fetchall()
        }
    progress(1.0, "Selesai")
    return BuildReport(
        db=db, tables=tables, carried_sources=carried, notes=ctx.notes + plan.notes, migrated_sources=migrated
    )


def needs_build(db: Path | None = None) -> bool:
    """True when the database is missing, not DuckDB, or older than any of its sources (records included).

    Saved scenarios do not count: the app reads them from their own store (:mod:`kla.ingest.records`).
    """
    db = Path(db or config.db_path())
    if not db.exists() or not _is_duckdb(db):
        return True
    built = db.stat().st_mtime
    # Every text source in the data folder counts (build steps added later read files of their
    # own there), plus the city's listed sources wherever they live, plus the schema.
    from kla.ingest import records  # lazy: kla.ingest.records uses this module's writers

    city = config.load_city()
    data_files = [
        p
        for p in config.data_dir().rglob("*")
        if p.is_file() and ".duckdb" not in p.name and p.name != records.SCENARIOS_FILE and not p.name.endswith(".lock")
    ]
    sources = data_files + city.source_paths() + [records.imports_path(city)] + _schema_files()
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def _schema_files() -> list[Path]:
    return sorted((Path(__file__).parents[1] / "read" / "sql").glob("schema_*.sql"))


def warn(message: str) -> None:
    print(message, file=sys.stderr)


# --------------------------------------------------------------------------- KLA analysis (issue 5)


def load_crosswalk(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """The rulebook's health crosswalk rules (validated with the rulebook; illustrative until official)."""
    assert ctx.rulebook is not None, "load_rulebook_step must run first"
    rb = ctx.rulebook
    if not rb.crosswalk:
        return
    con.executemany(
        "INSERT INTO kla_crosswalk VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                rb.id,
                n,
                r.indicator,
                r.measure,
                [t for t, _ in r.steps],
                [p for _, p in r.steps],
                r.otherwise,
                r.illustrative,
                r.source,
            ]
            for n, r in enumerate(rb.crosswalk)
        ],
    )


load_crosswalk.label = "Memuat aturan crosswalk kesehatan"  # type: ignore[attr-defined]
BUILD_STEPS.insert(BUILD_STEPS.index(load_rulebook_step) + 1, load_crosswalk)


# --------------------------------------------------------------------------- child nutrition (issue 3)


def load_nutrition_sample(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Sample child-nutrition aggregate (DATA CONTOH); see kla.ingest.nutrition.load_sample."""
    from kla.ingest.nutrition import load_sample  # lazy: kla.ingest.nutrition imports this module

    load_sample(con, ctx)


load_nutrition_sample.label = "Memuat DATA CONTOH gizi anak"  # type: ignore[attr-defined]
BUILD_STEPS.append(load_nutrition_sample)
CARRIED_TABLES.extend(["measurement", "rekap", "nutrition_base"])
