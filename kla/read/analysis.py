"""Data access for the KLA analysis pages (Klaster, Jalan ke Madya, Simulasi, OPD, Kecamatan, Riwayat).

Reads go through the named queries in ``kla/read/sql/analysis_*.sql`` with bound parameters. Saved
scenarios live in the city's records (``<records>/scenarios.json``, :mod:`kla.read.records`), never in
``kla_score``; :func:`scenarios` and :func:`scenario_points` read them. Saving, renaming and
deleting one is :mod:`kla.ingest.scenarios`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pandas as pd

from kla.core.catalog import CROSSWALK as MEASURES
from kla.core.crosswalk import CrosswalkRule
from kla.core.errors import KlaError
from kla.core.rulebook import Rulebook
from kla.read import repository
from kla.read.records import read_scenarios

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
    from kla.core.quality import flag_text  # lazy: it pulls in the nutrition import machinery

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


SCENARIO_COLUMNS = ["name", "year", "area_code", "created_at", "total", "base_total", "n_changed"]


def scenarios(path: Path | None = None) -> pd.DataFrame:
    """Saved what-if scenarios (never real scores), newest first, with their totals.

    ``path`` is the scenario store (default: the city's ``records/scenarios.json``).
    """
    rows = []
    for sc in read_scenarios(path):
        pts = sc["points"].values()
        bases = [b for _, b in pts if b is not None]
        rows.append(
            {
                "name": sc["name"],
                "year": int(sc["year"]),
                "area_code": sc["area_code"],
                "created_at": pd.Timestamp(sc["created_at"]),
                "total": sum(p for p, _ in pts),
                "base_total": sum(bases) if bases else None,
                "n_changed": sum(1 for p, b in pts if p != (-1 if b is None else b)),
            }
        )
    if not rows:
        return pd.DataFrame(columns=SCENARIO_COLUMNS)
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS).sort_values(
        ["created_at", "name"], ascending=[False, True], ignore_index=True
    )


def scenario_points(path: Path | None = None, *, name: str, year: int, area: str) -> dict[str, float]:
    """Points of one saved scenario by indicator code (empty if there is no such scenario)."""
    for sc in read_scenarios(path):
        if (sc["name"], int(sc["year"]), sc["area_code"]) == (name, year, area):
            return {code: float(p) for code, (p, _) in sorted(sc["points"].items())}
    return {}


def ensure_scores(frame: pd.DataFrame, *, year: int, area: str) -> dict[str, float]:
    """Points of a scores frame, or a clear error when the year/area has none."""
    pts = repository.points_by_code(frame)
    if not pts:
        raise KlaError(f"Belum ada nilai KLA untuk tahun {year}, wilayah {area}.")
    return pts
