"""Where things live, and which city this installation serves.

A city is one folder: ``city.toml`` plus the files it names by relative path (wilayah, aliases,
rulebook, published figures, KLA score samples, the nutrition sample and its scenario, the
boundary manifest) and, by default, its database ``kla.duckdb`` and its ``records/``. One setting
selects everything: ``KLA_CITY=path/to/folder`` (``make run CITY=...``); without it the city is
``data/`` (Kota Serang). ``KLA_CITY_CONFIG`` (the config file), ``KLA_DATA_DIR`` (the folder
provenance paths are relative to, and where the database goes by default) and ``KLA_DB`` (the
database file) still override single parts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kla.core.errors import KlaError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: File name of the imported rulebook inside the city's records folder.
RECORDS_RULEBOOK = "rulebook.toml"
#: Environment variable that moves the city's records folder (tests, or records kept on another disk).
RECORDS_DIR_ENV = "KLA_RECORDS_DIR"
#: The one setting that selects a city: a folder holding ``city.toml``.
CITY_ENV = "KLA_CITY"
CITY_FILE = "city.toml"
#: Optional ``[sources]`` entries and their paths (relative to the city folder) when not named.
DEFAULT_NUTRITION_SAMPLE = "sample/gizi_contoh_agregat.csv"
DEFAULT_NUTRITION_SCENARIO = "sample/gizi_skenario.toml"
DEFAULT_BOUNDARY_MANIFEST = "geo/manifest.csv"


class CityConfigError(KlaError):
    """The city folder, its ``city.toml`` or a file it names is missing or incomplete."""


def city_dir() -> Path:
    """The selected city folder: ``KLA_CITY``, else ``<project>/data`` (Kota Serang)."""
    env = os.environ.get(CITY_ENV, "").strip()
    return Path(env) if env else PROJECT_ROOT / "data"


def _city_setting() -> str:
    """How the city was chosen, for messages: ``KLA_CITY=…`` or the default."""
    env = os.environ.get(CITY_ENV, "").strip()
    return f"{CITY_ENV}={env}" if env else f"bawaan data/ ({CITY_ENV} tidak disetel)"


def data_dir() -> Path:
    """Where the database lives and provenance paths are relative to (``KLA_DATA_DIR`` overrides the city folder)."""
    env = os.environ.get("KLA_DATA_DIR")
    return Path(env) if env else city_dir()


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
    #: DATA CONTOH nutrition aggregate the build loads (optional: absent = no sample)
    nutrition_sample: Path | None = None
    #: parameters of the nutrition sample generator (kla.ingest.sample_nutrition)
    nutrition_scenario: Path | None = None
    #: boundary manifest (same columns as geo/manifest.csv) that ``python -m kla geo fetch`` reads
    boundary_manifest: Path | None = None
    #: ``[sources]`` keys city.toml names explicitly (a named file that is missing is an error)
    named: frozenset[str] = frozenset()

    @property
    def folder(self) -> Path:
        """The city folder: where city.toml lives."""
        return self.config_path.parent

    def require(self, path: Path | None, setting: str) -> Path:
        """``path`` when it exists, else :class:`CityConfigError` naming the file and the setting."""
        if path is None or not path.exists():
            shown = path if path is not None else "(tidak disebut)"
            raise CityConfigError(
                f"Berkas kota tidak ditemukan: {shown} — `[sources] {setting}` di {self.config_path}. "
                f"Kota dipilih dengan {_city_setting()}. Lengkapi folder kotanya (lihat README, "
                '"Menambah kota") atau setel KLA_CITY ke folder kota yang benar.'
            )
        return path

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
            *([self.nutrition_sample] if self.nutrition_sample else []),
        ]


def city_config_path() -> Path:
    """``KLA_CITY_CONFIG`` when set, else ``<city folder>/city.toml``."""
    env = os.environ.get("KLA_CITY_CONFIG")
    return Path(env) if env else city_dir() / CITY_FILE


def load_city(path: Path | None = None, *, check: bool = True) -> CityConfig:
    """Read the city config; relative source paths resolve against the config's folder.

    ``[sources] records`` (default ``"records"``) is the city-records folder next to the config.
    It holds what the city itself decided, such as the imported official rulebook
    (``records/rulebook.toml``); a build or ``make clean`` never deletes it, and when that file
    exists it is the active rulebook instead of ``[sources] rulebook``. ``KLA_RECORDS_DIR``, when
    set, overrides the folder (imported rows and saved scenarios live there too: :mod:`kla.ingest.records`).

    Optional ``[sources]``: ``nutrition_sample``, ``nutrition_scenario``, ``boundary_manifest``
    (defaults :data:`DEFAULT_NUTRITION_SAMPLE` etc., relative to the city folder).

    Raises
    ------
    CityConfigError
        no config at ``path``, invalid TOML, a required entry missing, or (``check=True``) a file
        the build reads missing (required sources, score files, a named ``nutrition_sample``); the
        message names the file and its ``[sources]`` setting. ``check=False`` is for the sample
        generators, which write some of those files.
    """
    path = path or city_config_path()
    if not path.is_file():
        raise CityConfigError(
            f"Konfigurasi kota tidak ditemukan: {path}. Kota dipilih dengan {_city_setting()}; "
            f'KLA_CITY harus menunjuk folder yang berisi {CITY_FILE} (lihat README, "Menambah kota").'
        )
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CityConfigError(f"{path} bukan TOML yang sah: {exc}") from exc
    base = path.parent
    city, src = raw.get("city", {}), raw.get("sources", {})
    required = {
        "[city]": ("code", "name", "official_area_km2"),
        "[sources]": ("wilayah", "wilayah_alias", "published_figures", "rulebook"),
    }
    missing = [
        f"{table} {key}"
        for table, keys in required.items()
        for key in keys
        if key not in (city if table == "[city]" else src)
    ]
    if missing:
        raise CityConfigError(f"{path}: isian wajib tidak ada: {', '.join(missing)}.")

    def optional(key: str, default: str) -> Path:
        return base / src.get(key, default)

    config = CityConfig(
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
        nutrition_sample=optional("nutrition_sample", DEFAULT_NUTRITION_SAMPLE),
        nutrition_scenario=optional("nutrition_scenario", DEFAULT_NUTRITION_SCENARIO),
        boundary_manifest=optional("boundary_manifest", DEFAULT_BOUNDARY_MANIFEST),
        named=frozenset(src),
    )
    if not check:  # the sample generators write some of these files
        return config
    # What every build reads must be there; say which file and which setting, never a traceback.
    for setting in ("wilayah", "wilayah_alias", "published_figures"):
        config.require(getattr(config, setting), setting)
    if not config.records_rulebook.is_file():
        config.require(config.shipped_rulebook, "rulebook")
    for s in config.kla_scores:
        config.require(s.path, "kla_scores")
    if "nutrition_sample" in config.named:
        config.require(config.nutrition_sample, "nutrition_sample")
    return config
