"""The KLA score sheet and the official rulebook sheet, imported end to end.

One function per kind, called by both ``python -m kla import kla-scores|rulebook`` and the Kelola
Data page, so the browser has no second code path:

* :func:`import_scores`: a self-assessment file (template columns) for one year, written through
  :func:`kla.ingest.store.staged` (build-then-swap);
* :func:`install_rulebook`: the city's official evaluation sheet made the active rulebook (records
  file ``rulebook.toml`` plus an atomic rebuild, :func:`kla.ingest.build.build`).

Each raises :class:`~kla.core.errors.KlaError` (usually a :class:`~kla.core.errors.ValidationError`
with its problems) on refusal, leaving the database and the records byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kla.core import config
from kla.core.errors import ValidationError
from kla.core.rulebook import Rulebook, load_rulebook

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ScoresImport:
    """What :func:`import_scores` did."""

    file: str
    sha256: str
    year: int
    rows: int
    status: str  # 'imported' | 'already-imported'


def import_scores(path: Path, db: Path | None = None, *, year: int) -> ScoresImport:
    """Validate a self-assessment file for ``year`` and store its indicator points (build-then-swap).

    The same file (same sha256) already imported for that year changes nothing
    (status ``already-imported``).
    """
    from kla.ingest import store
    from kla.ingest.files import file_sha256
    from kla.ingest.load_reference import insert_scores
    from kla.ingest.scores_io import parse_scores
    from kla.ingest.tabular import readable_file
    from kla.read import repository

    db = Path(db) if db else config.db_path()
    path = Path(path)
    readable_file(path, expect="berkas nilai .csv atau .xlsx")  # a folder: a message, not a traceback
    sha = file_sha256(path)
    with store.staged(db) as con:
        rb = repository.rulebook(con)
        city = repository.meta(con)["city_code"]
        areas = {r[0] for r in con.execute(repository.sql("store_area_codes")).fetchall()}
        rows = parse_scores(path, rb, year=year, city_code=city, known_areas=areas)
        dup = con.execute(repository.sql("cli_score_file_imported"), [sha, f"tahun {year}"]).fetchone()[0]
        if dup:
            return ScoresImport(path.name, sha, year, 0, "already-imported")
        sid = store.add_provenance(
            con,
            path=path.name,
            sha256=sha,
            rows=len(rows),
            kind="imported",
            table_name="kla_score",
            note=f"tahun {year}",
        )
        insert_scores(con, rows, sid)
    return ScoresImport(path.name, sha, year, len(rows), "imported")


@dataclass
class RulebookInstall:
    """What :func:`install_rulebook` did; ``status`` is 'installed' or 'unchanged'."""

    file: str
    sha256: str
    status: str
    rulebook: Rulebook
    records_file: Path
    notes: list[str] = field(default_factory=list)
    carried_sources: int = 0
    db: Path | None = None


def active_rulebook_for_import(notes: list[str]) -> Rulebook:
    """The rulebook the import starts from: the city's, or the shipped one when the records file is broken.

    A broken records file must not block the import that replaces it; a note says so.
    """
    city = config.load_city()
    try:
        return load_rulebook(city.rulebook)
    except ValidationError as exc:
        if city.rulebook == city.shipped_rulebook:
            raise
        notes.append(
            f"{city.rulebook} tidak valid ({exc.summary}); klaster, kategori dan crosswalk diambil dari "
            f"{city.shipped_rulebook.name}."
        )
        return load_rulebook(city.shipped_rulebook)


def install_rulebook(
    path: Path,
    db: Path | None = None,
    *,
    sheet: str | None = None,
    rulebook_id: str | None = None,
    version: str | None = None,
    title: str | None = None,
    weights_official: bool = True,
    progress: Progress | None = None,
) -> RulebookInstall:
    """Make the sheet at ``path`` the active rulebook: records file ``rulebook.toml``, then a rebuild.

    Nothing changes when the sheet already is the active rulebook (status ``unchanged``).
    """
    from kla.ingest import build
    from kla.ingest import rulebook_import as ri
    from kla.ingest.files import file_sha256

    db = Path(db) if db else config.db_path()
    path = Path(path)
    city = config.load_city()
    notes: list[str] = []
    active = active_rulebook_for_import(notes)
    sha = file_sha256(path) if path.is_file() else ""
    meta = ri.ImportMeta(
        source_name=path.name,
        sha256=sha,
        imported_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        id=rulebook_id or ri.default_id(city.code),
        version=version or ri.default_version(sha),
        title=title or f"Lembar evaluasi KLA {city.name} ({path.name})",
        weights_official=weights_official,
    )
    result = ri.import_rulebook_file(
        path, active=active, meta=meta, sheet=sheet, id_given=bool(rulebook_id), version_given=bool(version)
    )
    rb = result.rulebook
    same = (
        city.rulebook == city.records_rulebook
        and active.key == rb.key
        and active.raw.get("rulebook", {}).get("imported_sha256") == sha
        and active.weights_official == rb.weights_official
        and db.exists()
    )
    if same:
        return RulebookInstall(path.name, sha, "unchanged", rb, city.records_rulebook, notes, db=db)
    pending = build.PendingRulebook(rb, result.text, city.records_rulebook)
    report = build.build(db, progress=progress or build.quiet, rulebook=pending)
    return RulebookInstall(
        path.name,
        sha,
        "installed",
        rb,
        city.records_rulebook,
        [*notes, *result.notes, *report.notes],
        report.carried_sources,
        db,
    )
