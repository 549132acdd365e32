"""Data access for the KLA analysis pages (Klaster, Jalan ke Madya, Simulasi, OPD, Kecamatan, Riwayat).

Reads go through the named queries in ``kla/sql/analysis_*.sql`` with bound parameters; the only
writes (:func:`save_scenario`, :func:`rename_scenario`, :func:`delete_scenario`) go through
:func:`kla.store.staged` (copy, write, validate, swap), so a scenario never overwrites a real
score and a failed write leaves the database unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from kla import fmt, repository
from kla.catalog import CROSSWALK as MEASURES
from kla.crosswalk import CrosswalkRule
from kla.errors import KlaError, ValidationError
from kla.rulebook import Rulebook

SCENARIO_NAME_MAX = 60


_has = repository.has_relation


def crosswalk_rules(con: duckdb.DuckDBPyConnection) -> tuple[CrosswalkRule, ...]:
    """The crosswalk rules stored by the build (empty for a database built before they existed)."""
    if not _has(con, "kla_crosswalk"):
        return ()
    frame = repository.query(con, "analysis_crosswalk")
    return tuple(
        CrosswalkRule(
            indicator=r.indicator_code,
            measure=r.measure,
            steps=tuple(zip((float(t) for t in r.thresholds), (float(p) for p in r.points), strict=True)),
            otherwise=float(r.otherwise),
            illustrative=bool(r.illustrative),
            source=str(r.source or ""),
        )
        for r in frame.itertuples(index=False)
        if r.measure in MEASURES
    )


def rulebook_with_crosswalk(con: duckdb.DuckDBPyConnection) -> Rulebook:
    return dataclasses.replace(repository.rulebook(con), crosswalk=crosswalk_rules(con))


def area_scores(con: duckdb.DuckDBPyConnection, *, year: int) -> pd.DataFrame:
    return repository.query(con, "analysis_area_scores", year=year)


def area_totals(con: duckdb.DuckDBPyConnection, *, area: str) -> pd.DataFrame:
    return repository.query(con, "analysis_area_totals", area=area)


def published(con: duckdb.DuckDBPyConnection, *, area: str) -> pd.DataFrame:
    return repository.query(con, "analysis_published", area=area)


MEASURE_COLUMNS = [
    "measure",
    "series",
    "source",
    "area_code",
    "area_name",
    "area_level",
    "period",
    "value",
    "n",
    "sample",
    "flags",
    "source_url",
]


def measure_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every crosswalk measure value we hold, one row per measure, area, series and period.

    Columns: :data:`MEASURE_COLUMNS`. Survey and routine stay separate rows (``series``).
    """
    from kla.nutrition_view import flag_text  # lazy: it pulls in the nutrition import machinery

    frames = []
    lookup = {ind: (code, series) for code, m in MEASURES.items() for ind, series in m.published.items()}
    pub = repository.query(con, "analysis_measures_published", indicators=list(lookup))
    if not pub.empty:
        pub["measure"] = [lookup[i][0] for i in pub["indicator"]]
        pub["series"] = [lookup[i][1] for i in pub["indicator"]]
        pub["source"] = "angka terbitan: " + pub["source_kind"].fillna("")
        pub["sample"] = False
        pub["flags"] = pub["status"].fillna("")
        frames.append(pub[MEASURE_COLUMNS])
    if _has(con, "nutrition_agg"):
        nut = repository.query(con, "analysis_measures_nutrition")
        if not nut.empty:
            nut["series"] = "rutin"
            nut["source"] = (
                nut["source_type"].map({"eppgbm": "e-PPGBM", "rekap": "rekap bulanan"}).fillna(nut["source_type"])
            )
            nut["area_level"] = nut["level"]
            nut["sample"] = nut["source_kind"] == "sample"
            nut["flags"] = flag_text(nut)
            nut["source_url"] = ""
            frames.append(nut[MEASURE_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def scenarios(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not _has(con, "kla_scenario"):
        return pd.DataFrame(columns=["name", "year", "area_code", "created_at", "total", "base_total", "n_changed"])
    return repository.query(con, "analysis_scenarios")


def scenario_points(con: duckdb.DuckDBPyConnection, *, name: str, year: int, area: str) -> dict[str, float]:
    frame = repository.query(con, "analysis_scenario_points", scenario=name, year=year, area=area)
    return dict(zip(frame["code"], frame["points"].astype(float), strict=True))


def check_scenario_name(name: str) -> str:
    clean = " ".join(str(name).split())
    if not clean:
        raise ValidationError("Nama skenario wajib diisi; tidak ada yang disimpan.")
    if len(clean) > SCENARIO_NAME_MAX:
        raise ValidationError(
            f"Nama skenario terlalu panjang (maks. {SCENARIO_NAME_MAX} huruf); tidak ada yang disimpan."
        )
    return clean


def _refuse_taken_name(con: duckdb.DuckDBPyConnection, name: str, year: int, area: str) -> None:
    taken = con.execute(
        "SELECT count(*) FROM kla_scenario WHERE name = ? AND year = ? AND area_code = ?", [name, year, area]
    ).fetchone()[0]
    if taken:
        raise ValidationError(
            f"Skenario '{name}' untuk {area} {year} sudah ada; pilih nama lain. Tidak ada yang diubah."
        )


def save_scenario(
    db: Path,
    *,
    name: str,
    year: int,
    area: str,
    points: Mapping[str, float],
    base: Mapping[str, float],
    rulebook: Rulebook,
) -> str:
    """Store a named scenario next to (never over) the year's real scores; returns the clean name.

    Rejects an empty or duplicate name, unknown codes and points outside 0–max, changing nothing.
    """
    from kla import store  # the only writer

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
    payload = json.dumps(
        {"name": clean, "year": year, "area": area, "points": dict(sorted(points.items()))}, sort_keys=True
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.staged(db) as con:
        _refuse_taken_name(con, clean, year, area)
        sid = store.add_provenance(
            con,
            path=f"skenario:{clean}",
            sha256=hashlib.sha256(payload.encode()).hexdigest(),
            rows=len(points),
            kind="imported",
            table_name="kla_scenario",
            note=f"skenario what-if '{clean}' dari nilai {year} ({area}); bukan nilai resmi",
            built_at=now,
        )
        con.executemany(
            "INSERT INTO kla_scenario VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    clean,
                    year,
                    area,
                    code,
                    float(points[code]),
                    None if base.get(code) is None else float(base[code]),
                    now,
                    sid,
                ]
                for code in sorted(points)
            ],
        )
    return clean


def _scenario_source_ids(con: duckdb.DuckDBPyConnection, name: str, year: int, area: str) -> list[int]:
    rows = con.execute(
        "SELECT DISTINCT source_id FROM kla_scenario WHERE name = ? AND year = ? AND area_code = ?",
        [name, year, area],
    ).fetchall()
    if not rows:
        raise ValidationError(f"Skenario '{name}' untuk {area} {year} tidak ditemukan; tidak ada yang diubah.")
    return [r[0] for r in rows]


def delete_scenario(db: Path, *, name: str, year: int, area: str) -> None:
    """Remove one saved scenario and its provenance row (a staged write: all or nothing)."""
    from kla import store  # the only writer

    with store.staged(db) as con:
        ids = _scenario_source_ids(con, name, year, area)
        con.execute("DELETE FROM kla_scenario WHERE name = ? AND year = ? AND area_code = ?", [name, year, area])
        # the provenance row only describes this scenario; left behind it would be carried forever
        con.executemany("DELETE FROM provenance WHERE source_id = ? AND kind = 'imported'", [[i] for i in ids])


def rename_scenario(db: Path, *, name: str, year: int, area: str, new_name: str) -> str:
    """Give a saved scenario a new name (same checks as saving); returns the clean new name."""
    from kla import store  # the only writer

    clean = check_scenario_name(new_name)
    if clean == name:
        return clean  # nothing to write
    with store.staged(db) as con:
        ids = _scenario_source_ids(con, name, year, area)
        _refuse_taken_name(con, clean, year, area)
        con.execute(
            "UPDATE kla_scenario SET name = ? WHERE name = ? AND year = ? AND area_code = ?", [clean, name, year, area]
        )
        con.executemany(
            "UPDATE provenance SET path = ?, note = replace(note, ?, ?) WHERE source_id = ?",
            [[f"skenario:{clean}", f"'{name}'", f"'{clean}'", i] for i in ids],
        )
    return clean


def ensure_scores(frame: pd.DataFrame, *, year: int, area: str) -> dict[str, float]:
    """Points of a scores frame, or a clear error when the year/area has none."""
    pts = repository.points_by_code(frame)
    if not pts:
        raise KlaError(f"Belum ada nilai KLA untuk tahun {year}, wilayah {area}.")
    return pts
