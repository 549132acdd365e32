"""The build steps that load the reference data, and the context every build step receives.

Each step (:data:`kla.ingest.build.BUILD_STEPS` lists them, in order) reads text sources of the
city's data folder into a fresh database: wilayah and aliases (:func:`load_wilayah`), published
figures (:func:`load_published`), the active rulebook (:func:`load_rulebook_step`) and its health
crosswalk (:func:`load_crosswalk`), KLA scores (:func:`load_kla_scores`) and the DATA CONTOH
nutrition aggregate (:func:`load_nutrition_sample`). Steps add rows on the connection they are
given and never open another; :class:`BuildContext` is what they may use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from kla.core import config
from kla.core.errors import Problem, ValidationError
from kla.core.rulebook import Rulebook, load_rulebook
from kla.ingest.files import file_sha256
from kla.ingest.nutrition import SAMPLE_LABEL, insert_base
from kla.ingest.sample_kla import sample_like
from kla.ingest.scores_io import file_rulebook_keys, parse_score_table, parse_scores
from kla.ingest.store import add_provenance
from kla.ingest.tabular import parse_number, read_table
from kla.read.repository import sql

Progress = Callable[[float, str], None]
#: Where the shipped DATA CONTOH nutrition aggregate usually lives (named when it is missing).
SAMPLE_FILE = "sample/gizi_contoh_agregat.csv"


def quiet(_fraction: float, _message: str) -> None:
    """A progress callback that shows nothing."""
    return None


@dataclass(frozen=True)
class PendingRulebook:
    """A validated rulebook to make active: built into the new database, then written to ``path``.

    ``text`` is the normalised TOML (:func:`kla.ingest.rulebook_import.to_toml`); the records file is
    written only after the new database validated, just before the swap (:func:`kla.ingest.build.build`).
    """

    rulebook: Rulebook
    text: str
    path: Path

    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class BuildContext:
    """What a build step may use. Steps add rows; they never open another connection."""

    city: config.CityConfig
    data_dir: Path
    built_at: datetime
    progress: Progress = quiet
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


# --------------------------------------------------------------------------- reference data


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
    con.execute(sql("store_insert_wilayah"), [sid])
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
    con.execute(sql("store_insert_wilayah_alias"), [sid])
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
    con.execute(sql("store_insert_published"), [sid])
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
        sql("store_insert_rulebook"),
        [rb.id, rb.title, rb.weights_official, rb.weights_label, sid, rb.version, rb.source_url],
    )
    con.executemany(
        sql("store_insert_kla_group"),
        [[rb.id, g.code, g.label, g.title, n] for n, g in enumerate(rb.groups)],
    )
    con.executemany(sql("store_insert_kla_band"), [[rb.id, b.name, b.min, b.max] for b in rb.bands])
    con.executemany(
        sql("store_insert_kla_indicator"),
        [
            [rb.id, i.code, i.number, i.name, i.group, i.opd, i.max_points, i.status, list(i.levels), i.source_url]
            for i in rb.indicators
        ],
    )
    con.execute(sql("store_set_meta"), ["rulebook_id", rb.id])
    con.execute(sql("store_set_meta"), ["rulebook_key", rb.key])


def insert_scores(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, source_id: int) -> None:
    """Store validated score rows, replacing earlier scores for the same year and areas."""
    con.register("score_src", rows)
    con.execute(sql("store_delete_replaced_scores"))
    con.execute(sql("store_insert_scores"), [source_id])
    con.unregister("score_src")


def load_kla_scores(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Score files listed in the city config (the shipped ones are DATA CONTOH)."""
    assert ctx.rulebook is not None, "load_rulebook_step must run first"
    areas = {r[0] for r in con.execute(sql("store_area_codes")).fetchall()}
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


def load_crosswalk(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """The rulebook's health crosswalk rules (validated with the rulebook; illustrative until official)."""
    assert ctx.rulebook is not None, "load_rulebook_step must run first"
    rb = ctx.rulebook
    if not rb.crosswalk:
        return
    con.executemany(
        sql("store_insert_crosswalk"),
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


def load_nutrition_sample(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Sample child-nutrition aggregate (DATA CONTOH): the city's ``[sources] nutrition_sample``."""
    path = ctx.city.nutrition_sample
    if path is None or not path.exists():
        ctx.notes.append(f"{ctx.rel(path) if path else SAMPLE_FILE} tidak ada; halaman Gizi Anak tanpa data contoh.")
        return
    frame = pd.read_csv(path, dtype={"area_key": str, "kecamatan_code": str}, keep_default_na=True)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    sid = add_provenance(
        con,
        path=ctx.rel(path),
        sha256=file_sha256(path),
        rows=len(frame),
        kind="sample",
        table_name="nutrition_base",
        note=f"{SAMPLE_LABEL}: agregat e-PPGBM sintetis dari kla/sample_nutrition.py (bukan data Dinkes)",
        built_at=ctx.built_at,
    )
    frame = frame.drop(columns=[c for c in ("source_id", "source_type") if c in frame.columns])
    insert_base(con, frame, sid, "eppgbm")
