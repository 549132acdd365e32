"""``python -m kla build``: the whole artifact from the data folder plus the city's records.

A fresh database gets the schema (``kla/read/sql/schema_*.sql``), then every step of
:data:`BUILD_STEPS` in order, then the rows of the city's records (:func:`_carry_imports`, from
``<records>/imports.duckdb``); it is validated and swapped in by :func:`kla.ingest.store.swap_in`
like every write. :func:`needs_build` says whether the artifact is older than its sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from kla.core import config, fmt
from kla.core.errors import KlaError, Problem, ValidationError
from kla.core.rulebook import Rulebook
from kla.ingest.files import is_duckdb, write_records_file
from kla.ingest.load_reference import (
    BuildContext,
    PendingRulebook,
    Progress,
    load_crosswalk,
    load_kla_scores,
    load_nutrition_sample,
    load_published,
    load_rulebook_step,
    load_wilayah,
    quiet,
)
from kla.ingest.store import CARRIED_TABLES, RECORD_SOURCES, SwapPlan, add_provenance, swap_in
from kla.read.records import SCENARIOS_FILE, imports_path
from kla.read.repository import sql

SCHEMA_VERSION = "2"  # 2: rulebook version/source, kla_score.rulebook_key

#: The steps of a build, run in this order on a fresh database: (progress label, step).
BUILD_STEPS: tuple[tuple[str, Callable[[duckdb.DuckDBPyConnection, BuildContext], None]], ...] = (
    ("Memuat wilayah dan alias nama", load_wilayah),
    ("Memuat angka terbitan", load_published),
    ("Memuat dan memeriksa rulebook", load_rulebook_step),
    ("Memuat aturan crosswalk kesehatan", load_crosswalk),
    ("Memuat nilai KLA", load_kla_scores),
    ("Memuat DATA CONTOH gizi anak", load_nutrition_sample),
)


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
    if not is_duckdb(old_db):
        ctx.notes.append(f"{old_db.name} lama bukan berkas DuckDB; data impor lama tidak bisa dibawa.")
        return 0
    con.execute(sql("store_attach_old"), [str(old_db)])
    try:
        old_city = con.execute(sql("store_old_city")).fetchone()[0]
        if old_city and old_city != ctx.city.code:
            # Another city's database at this path: its imports (boundaries, nutrition, scores) are not ours.
            ctx.notes.append(
                f"{old_db.name} lama milik kota {old_city}, bukan {ctx.city.code}; data impornya tidak dibawa."
            )
            return 0
        imported = con.execute(sql("store_old_record_sources").format(record_sources=RECORD_SOURCES)).fetchall()
        old_tables = {r[0] for r in con.execute(sql("store_tables_of"), ["old"]).fetchall()}
        for old_id, path, sha, rows, kind, table, note, built_at in imported:
            new_id = add_provenance(
                con, path=path, sha256=sha, rows=rows, kind=kind, table_name=table, note=note or "", built_at=built_at
            )
            for name in CARRIED_TABLES:
                if name in old_tables:
                    # Identifiers come from the fixed CARRIED_TABLES list, never from input. BY NAME:
                    # columns added since the old build take their defaults.
                    con.execute(sql("store_carry_table").format(table=name), [new_id, old_id])
            # Scores from a build before rulebook keys were recorded were written for that build's rulebook.
            con.execute(sql("store_carry_rulebook_key"))
        return len(imported)
    except duckdb.Error as exc:
        raise KlaError(
            f"Data impor di {old_db} tidak bisa dibawa ke basis data baru ({exc}). "
            "Berkas lama tidak diubah; pulihkan catatan kota dari cadangan, atau impor ulang berkasnya."
        ) from exc
    finally:
        con.execute(sql("store_detach_old"))


def score_conflicts(con: duckdb.DuckDBPyConnection, rb: Rulebook) -> list[Problem]:
    """Stored non-sample scores that do not fit ``rb``: another rulebook key, unknown indicator, points outside 0–max.

    One :class:`Problem` per (year, area, indicator). DATA CONTOH scores are not listed: the build
    regenerates them for the active rulebook.
    """
    rows = con.execute(sql("store_score_conflicts"), [rb.id, rb.key]).fetchall()
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
    db: Path | None = None, *, progress: Progress = quiet, rulebook: PendingRulebook | None = None
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
    imports = imports_path(city)
    plan = SwapPlan(imports=False)
    with swap_in(db, copy_from_existing=False, before_swap=before_swap, plan=plan) as con:
        for statement in _schema_sql():
            con.execute(statement)
        con.executemany(
            sql("store_insert_meta"),
            [
                ["schema_version", SCHEMA_VERSION],
                ["city_code", city.code],
                ["city_name", city.name],
                ["built_at", ctx.built_at.isoformat(timespec="seconds")],
            ],
        )
        for n, (label, step) in enumerate(BUILD_STEPS):
            progress(n / (len(BUILD_STEPS) + 1), label)
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
            # names from the new database's own catalogue (its schema files), never input
            t: con.execute(sql("store_count_rows").format(table=t)).fetchone()[0]
            for (t,) in con.execute(sql("store_own_tables")).fetchall()
        }
    progress(1.0, "Selesai")
    return BuildReport(
        db=db, tables=tables, carried_sources=carried, notes=ctx.notes + plan.notes, migrated_sources=migrated
    )


def needs_build(db: Path | None = None) -> bool:
    """True when the database is missing, not DuckDB, or older than any of its sources (records included).

    Saved scenarios do not count: the app reads them from their own store (:mod:`kla.read.records`).
    """
    db = Path(db or config.db_path())
    if not db.exists() or not is_duckdb(db):
        return True
    built = db.stat().st_mtime
    # Every text source in the data folder counts (build steps added later read files of their
    # own there), plus the city's listed sources wherever they live, plus the schema.
    city = config.load_city()
    data_files = [
        p
        for p in config.data_dir().rglob("*")
        if p.is_file() and ".duckdb" not in p.name and p.name != SCENARIOS_FILE and not p.name.endswith(".lock")
    ]
    sources = data_files + city.source_paths() + [imports_path(city)] + _schema_files()
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def _schema_files() -> list[Path]:
    return sorted((Path(__file__).parents[1] / "read" / "sql").glob("schema_*.sql"))


def _schema_sql() -> list[str]:
    folder = resources.files("kla.read") / "sql"
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("schema_") and p.name.endswith(".sql"))
    return [(folder / n).read_text(encoding="utf-8") for n in names]
