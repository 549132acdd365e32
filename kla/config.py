"""Where things live, and which city this installation serves.

The city is configuration (``data/city.toml``), not code: a second city supplies its own
wilayah, aliases, rulebook and data files and points ``KLA_CITY_CONFIG`` at its config.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: File name of the imported rulebook inside the city's records folder.
RECORDS_RULEBOOK = "rulebook.toml"
#: Environment variable that moves the city's records folder (tests, or records kept on another disk).
RECORDS_DIR_ENV = "KLA_RECORDS_DIR"


def data_dir() -> Path:
    """Folder with the text sources (``KLA_DATA_DIR`` overrides ``<project>/data``)."""
    return Path(os.environ.get("KLA_DATA_DIR", PROJECT_ROOT / "data"))


def db_path() -> Path:
    """The DuckDB file the app reads (``KLA_DB`` overrides ``<data>/kla.duckdb``)."""
    env = os.environ.get("KLA_DB")
    return Path(env) if env else data_dir() / "kla.duckdb"


@dataclass(frozen=True)
class ScoreSource:
    """A KLA self-assessment file listed in the city config."""

    path: Path
    year: int
    kind: str  # "sample" | "imported" | "published"


@dataclass(frozen=True)
class CityConfig:
    """The city an installation serves, and the text sources the build reads."""

    code: str
    name: str
    province: str
    official_area_km2: float
    official_area_source: str
    config_path: Path
    wilayah: Path
    wilayah_alias: Path
    published_figures: Path
    shipped_rulebook: Path  # the rulebook city.toml names
    kla_scores: tuple[ScoreSource, ...]
    records_dir: Path  # city records (``<config folder>/records``): never deleted by a build or `make clean`

    @property
    def records_rulebook(self) -> Path:
        """Where ``python -m kla import rulebook`` stores the city's imported rulebook."""
        return self.records_dir / RECORDS_RULEBOOK

    @property
    def rulebook(self) -> Path:
        """The active rulebook: the imported one in the records folder when present, else city.toml's."""
        return self.records_rulebook if self.records_rulebook.is_file() else self.shipped_rulebook

    def source_paths(self) -> list[Path]:
        """Every file the build reads; used to decide whether the DB is stale."""
        return [
            self.config_path,
            self.wilayah,
            self.wilayah_alias,
            self.published_figures,
            self.shipped_rulebook,
            self.records_rulebook,  # counted when it exists (needs_build skips missing paths)
            *(s.path for s in self.kla_scores),
        ]


def city_config_path() -> Path:
    return Path(os.environ.get("KLA_CITY_CONFIG", data_dir() / "city.toml"))


def load_city(path: Path | None = None) -> CityConfig:
    """Read the city config; relative source paths resolve against the config's folder.

    ``[sources] records`` (default ``"records"``) is the city-records folder next to the config.
    It holds what the city itself decided, such as the imported official rulebook
    (``records/rulebook.toml``); a build or ``make clean`` never deletes it, and when that file
    exists it is the active rulebook instead of ``[sources] rulebook``. ``KLA_RECORDS_DIR``, when
    set, overrides the folder (imported rows and saved scenarios live there too: :mod:`kla.records`).
    """
    path = path or city_config_path()
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    base = path.parent
    city, src = raw["city"], raw["sources"]
    return CityConfig(
        code=city["code"],
        name=city["name"],
        province=city.get("province", ""),
        official_area_km2=float(city["official_area_km2"]),
        official_area_source=city.get("official_area_source", ""),
        config_path=path,
        wilayah=base / src["wilayah"],
        wilayah_alias=base / src["wilayah_alias"],
        published_figures=base / src["published_figures"],
        shipped_rulebook=base / src["rulebook"],
        kla_scores=tuple(
            ScoreSource(path=base / s["path"], year=int(s["year"]), kind=s["kind"]) for s in src.get("kla_scores", [])
        ),
        records_dir=Path(os.environ.get(RECORDS_DIR_ENV) or base / src.get("records", "records")),
    )
