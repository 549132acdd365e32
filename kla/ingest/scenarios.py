"""Writing the saved what-if scenarios (``<records>/scenarios.json``, :mod:`kla.read.records`).

Saved scenarios live in the city's records, never in ``kla_score``: :func:`save_scenario`,
:func:`rename_scenario` and :func:`delete_scenario` rewrite that small file atomically under its
own lock (:func:`update_scenarios`), so saving copies neither the imports nor the database, and a
failed or refused write leaves the file byte-identical. :func:`migrate_scenarios` moves, once, the
scenarios of an old-style artifact (its ``kla_scenario`` table) into the file. Reading them is
:mod:`kla.read.records` and :func:`kla.read.analysis.scenarios`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from kla.core import config, fmt
from kla.core.errors import ValidationError
from kla.core.rulebook import Rulebook
from kla.ingest import files
from kla.read import repository
from kla.read.records import read_scenarios, scenarios_path

SCENARIOS_FORMAT = 1
SCENARIO_NAME_MAX = 60


def _text(scenarios: list[dict]) -> str:
    return json.dumps({"format": SCENARIOS_FORMAT, "scenarios": scenarios}, ensure_ascii=False, indent=1) + "\n"


@contextlib.contextmanager
def scenarios_lock(path: Path) -> Iterator[None]:
    """The writer lock of the scenario store (``scenarios.json.lock``); imports never wait for it."""
    with files.write_lock(path):
        yield


def update_scenarios(path: Path | None, change: Callable[[list[dict]], list[dict]]) -> None:
    """Read, ``change`` and atomically rewrite the scenario store under its lock.

    ``change`` may raise to abandon the write (the file stays byte-identical). The write is a temp
    file, fsync and ``os.replace`` (:func:`kla.ingest.files.write_records_file`); the artifact and
    ``imports.duckdb`` are not opened.
    """
    path = Path(path or scenarios_path())
    with scenarios_lock(path):
        new = change([dict(s) for s in read_scenarios(path)])
        files.write_records_file(path, _text(new))


def scenarios_from_artifact(db: Path) -> list[dict]:
    """Scenarios saved in an old-style artifact's ``kla_scenario`` table (none if it has no such table)."""
    from kla.read.db import connect_readonly

    if not db.exists() or not files.is_duckdb(db):
        return []
    con = connect_readonly(db)
    try:
        if not repository.has_relation(con, "kla_scenario"):
            return []
        rows = con.execute(repository.sql("records_artifact_scenarios")).fetchall()
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
    path = scenarios_path(city)
    if path.exists():
        return lambda: None
    found = scenarios_from_artifact(db)
    if not found:
        return lambda: None
    with scenarios_lock(path):
        if path.exists():
            return lambda: None
        undo = files.write_records_file(path, _text(found))
    if notes is not None:
        notes.append(f"{len(found)} skenario dari {db.name} lama dipindahkan ke {path} (sekali saja).")
    return undo


# --------------------------------------------------------------------------- save, rename, delete


def check_scenario_name(name: str) -> str:
    clean = " ".join(str(name).split())
    if not clean:
        raise ValidationError("Nama skenario wajib diisi; tidak ada yang disimpan.")
    if len(clean) > SCENARIO_NAME_MAX:
        raise ValidationError(
            f"Nama skenario terlalu panjang (maks. {SCENARIO_NAME_MAX} huruf); tidak ada yang disimpan."
        )
    return clean


def _is(sc: dict, name: str, year: int, area: str) -> bool:
    return (sc["name"], int(sc["year"]), sc["area_code"]) == (name, year, area)


def _refuse_taken_name(saved: list[dict], name: str, year: int, area: str) -> None:
    if any(_is(sc, name, year, area) for sc in saved):
        raise ValidationError(
            f"Skenario '{name}' untuk {area} {year} sudah ada; pilih nama lain. Tidak ada yang diubah."
        )


def _refuse_missing(saved: list[dict], name: str, year: int, area: str) -> None:
    if not any(_is(sc, name, year, area) for sc in saved):
        raise ValidationError(f"Skenario '{name}' untuk {area} {year} tidak ditemukan; tidak ada yang diubah.")


def save_scenario(
    path: Path | None,
    *,
    name: str,
    year: int,
    area: str,
    points: Mapping[str, float],
    base: Mapping[str, float],
    rulebook: Rulebook,
) -> str:
    """Store a named scenario next to (never over) the year's real scores; returns the clean name.

    ``path`` is the scenario store (``None``: the city's). Rejects an empty or duplicate name,
    unknown codes and points outside 0–max, changing nothing.
    """
    clean = check_scenario_name(name)
    unknown = sorted(set(points) - set(rulebook.codes))
    if unknown:
        raise ValidationError(f"Skenario memuat kode indikator tak dikenal: {', '.join(unknown)}; tidak disimpan.")
    for code, value in points.items():
        mx = rulebook.indicator(code).max_points
        if not 0 <= float(value) <= mx + 1e-9:
            raise ValidationError(
                f"Poin {code} = {fmt.number(value)} di luar 0–{fmt.number(mx)}; skenario tidak disimpan."
            )
    entry = {
        "name": clean,
        "year": int(year),
        "area_code": area,
        "created_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
        "rulebook": rulebook.key,
        "points": {
            code: [float(points[code]), None if base.get(code) is None else float(base[code])]
            for code in sorted(points)
        },
    }

    def add(saved: list[dict]) -> list[dict]:
        _refuse_taken_name(saved, clean, year, area)
        return [*saved, entry]

    update_scenarios(path, add)
    return clean


def delete_scenario(path: Path | None, *, name: str, year: int, area: str) -> None:
    """Remove one saved scenario (an atomic rewrite of the scenario store: all or nothing)."""

    def drop(saved: list[dict]) -> list[dict]:
        _refuse_missing(saved, name, year, area)
        return [sc for sc in saved if not _is(sc, name, year, area)]

    update_scenarios(path, drop)


def rename_scenario(path: Path | None, *, name: str, year: int, area: str, new_name: str) -> str:
    """Give a saved scenario a new name (same checks as saving); returns the clean new name."""
    clean = check_scenario_name(new_name)
    if clean == name:
        return clean  # nothing to write

    def rename(saved: list[dict]) -> list[dict]:
        _refuse_missing(saved, name, year, area)
        _refuse_taken_name(saved, clean, year, area)
        return [{**sc, "name": clean} if _is(sc, name, year, area) else sc for sc in saved]

    update_scenarios(path, rename)
    return clean
