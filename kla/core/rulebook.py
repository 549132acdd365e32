"""The KLA rulebook as versioned data: indicators, groups, category bands, scoring levels.

A rulebook is a TOML file (``data/rulebook/*.toml``, or the city's imported one in
``records/rulebook.toml``). Official weights come in as the city's evaluation sheet through
``python -m kla import rulebook`` (:mod:`kla.ingest.rulebook_import`), which ends in :func:`parse_rulebook`
like every other rulebook; nothing here hard-codes a weight, a band or an indicator.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kla.core import fmt
from kla.core.crosswalk import parse_crosswalk
from kla.core.errors import Problem, ValidationError

TOTAL_POINTS = 1000
INDICATOR_COUNT = 24
TOLERANCE = 1e-6
VERIFIED = "terverifikasi"


@dataclass(frozen=True)
class Group:
    code: str  # "KL", "K1".."K5"
    label: str  # "Kelembagaan", "Klaster I" ...
    title: str


@dataclass(frozen=True)
class Band:
    name: str
    min: int
    max: int


@dataclass(frozen=True)
class Indicator:
    number: int
    code: str
    name: str
    group: str  # Group.code
    opd: str
    max_points: float
    status: str  # "terverifikasi", or what still needs checking (e.g. "label dari paparan KemenPPPA; …")
    levels: tuple[float, ...]  # allowed point levels, ascending, from 0 to max_points
    source_url: str = ""  # where the indicator's number and label were read

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED


@dataclass(frozen=True)
class Rulebook:
    id: str
    title: str
    weights_official: bool
    weights_label: str
    groups: tuple[Group, ...]
    bands: tuple[Band, ...]
    indicators: tuple[Indicator, ...]
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    # Health crosswalk rules (kla.core.crosswalk.CrosswalkRule); illustrative until official.
    crosswalk: tuple = ()
    version: str = ""
    source_url: str = ""

    @property
    def weights_note(self) -> str:
        """The weights label to show next to scores: empty when the weights are official."""
        return "" if self.weights_official else self.weights_label

    @property
    def key(self) -> str:
        """``id@version``: what a score file must name to be read against this rulebook."""
        return f"{self.id}@{self.version}" if self.version else self.id

    def indicator(self, code: str) -> Indicator:
        return self._by_code()[code]

    def _by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def group(self, code: str) -> Group:
        return next(g for g in self.groups if g.code == code)

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]


def _levels(spec: dict, max_points: float, steps: int) -> tuple[float, ...]:
    if "levels" in spec:
        return tuple(float(x) for x in spec["levels"])
    return tuple(round(max_points * k / steps, 6) for k in range(steps + 1))


def level_problems(levels: tuple[float, ...], max_points: float) -> list[str]:
    """What is wrong with an indicator's scoring levels (empty list: they are valid).

    Valid levels run strictly upwards from 0 and end exactly at ``max_points``.
    """
    lv = levels
    rule = "tingkat poin (levels) harus naik dari 0 sampai poin maksimum"
    shown = f"({fmt.number_list(lv)})"
    out: list[str] = []
    above = [x for x in lv if x > max_points + TOLERANCE]
    if above:
        out.append(
            f"tingkat poin {fmt.number_list(above)} melebihi poin maksimum {fmt.number(max_points)}; {rule} {shown}"
        )
    if len(lv) < 2:
        out.append(f"{rule}; perlu paling sedikit dua tingkat {shown}")
    elif not above:
        if abs(lv[0]) > TOLERANCE:
            out.append(f"{rule}; tingkat pertama harus 0 {shown}")
        if any(b <= a for a, b in zip(lv, lv[1:], strict=False)):
            out.append(f"{rule}; urutannya tidak naik {shown}")
        if abs(lv[-1] - max_points) > TOLERANCE:
            out.append(f"{rule}; tingkat terakhir harus {fmt.number(max_points)} {shown}")
    return out


def parse_rulebook(raw: dict, source: str = "rulebook") -> Rulebook:
    """Build and validate a :class:`Rulebook` from its TOML mapping.

    Raises
    ------
    ValidationError
        points not summing to 1000, duplicate codes or numbers, unknown groups,
        bands with gaps or overlaps, levels that do not run from 0 to the maximum.
    """
    problems: list[Problem] = []

    def bad(msg: str, row: int | None = None, col: str | None = None) -> None:
        problems.append(Problem(source, row, col, msg))

    meta = raw.get("rulebook", {})
    steps = int(meta.get("default_level_steps", 4))
    groups = tuple(Group(g["code"], g["label"], g.get("title", g["label"])) for g in raw.get("group", []))
    group_codes = {g.code for g in groups}
    if len(group_codes) != len(groups):
        bad("kode kelompok (group) ganda")

    indicators: list[Indicator] = []
    seen_codes: set[str] = set()
    seen_numbers: set[int] = set()
    for pos, spec in enumerate(raw.get("indicator", []), start=1):
        try:
            code = str(spec["code"])
            max_points = float(spec["max_points"])
            ind = Indicator(
                number=int(spec["number"]),
                code=code,
                name=str(spec["name"]),
                group=str(spec["group"]),
                opd=str(spec.get("opd", "")),
                max_points=max_points,
                status=str(spec.get("status", "perlu verifikasi")),
                levels=_levels(spec, max_points, steps),
                source_url=str(spec.get("source_url", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            bad(f"indikator ke-{pos} tidak lengkap atau salah tipe ({exc})", pos)
            continue
        if code in seen_codes:
            bad(f"kode indikator '{code}' ganda", pos, "code")
        if ind.number in seen_numbers:
            bad(f"nomor indikator {ind.number} ganda", pos, "number")
        seen_codes.add(code)
        seen_numbers.add(ind.number)
        if ind.group not in group_codes:
            bad(f"kelompok '{ind.group}' tidak dikenal (yang dikenal: {sorted(group_codes)})", pos, "group")
        if ind.max_points <= 0:
            bad("poin maksimum harus lebih dari 0", pos, "max_points")
        for msg in level_problems(ind.levels, ind.max_points):
            bad(msg, pos, "levels")
        indicators.append(ind)

    count = int(meta.get("indicator_count", INDICATOR_COUNT))
    missing = sorted(set(range(1, count + 1)) - seen_numbers)
    extra = sorted(seen_numbers - set(range(1, count + 1)))
    if missing:
        bad(f"nomor indikator tidak ada: {', '.join(map(str, missing))} (harus tepat 1–{count}, masing-masing sekali)")
    if extra:
        bad(f"nomor indikator di luar 1–{count}: {', '.join(map(str, extra))}")

    total = sum(i.max_points for i in indicators)
    expected = float(meta.get("total_points", TOTAL_POINTS))
    if abs(total - expected) > TOLERANCE:
        bad(f"jumlah poin maksimum semua indikator {fmt.number(total)}, seharusnya tepat {fmt.number(expected)}")

    bands = tuple(Band(str(b["name"]), int(b["min"]), int(b["max"])) for b in raw.get("band", []))
    if not bands:
        bad("tidak ada kategori (band)")
    else:
        ordered = sorted(bands, key=lambda b: b.min)
        if ordered[0].min != 0:
            bad(f"kategori pertama harus mulai dari 0, bukan {ordered[0].min}")
        if ordered[-1].max != int(expected):
            bad(f"kategori terakhir harus berakhir di {fmt.number(expected)}, bukan {fmt.number(ordered[-1].max)}")
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.max >= b.min:
                bad(f"kategori '{a.name}' ({a.min}–{a.max}) tumpang tindih dengan '{b.name}' ({b.min}–{b.max})")
            elif b.min != a.max + 1:
                bad(f"ada celah antara kategori '{a.name}' (s.d. {a.max}) dan '{b.name}' (mulai {b.min})")
        for b in bands:
            if b.max < b.min:
                bad(f"kategori '{b.name}': batas atas {b.max} lebih kecil dari batas bawah {b.min}")
        bands = tuple(ordered)

    crosswalk = parse_crosswalk(raw.get("crosswalk", []), {i.code: i for i in indicators}, bad)

    official = bool(meta.get("weights_official", False))
    label = str(meta.get("weights_label", "bobot resmi" if official else "bobot ilustratif"))
    if official and "ilustratif" in label.lower():
        bad(f"weights_official = true tetapi weights_label '{label}' menyebut ilustratif")

    if problems:
        raise ValidationError(f"Rulebook {source} tidak valid; tidak ada yang diubah.", problems)
    return Rulebook(
        id=str(meta.get("id", Path(source).stem)),
        title=str(meta.get("title", "")),
        weights_official=official,
        weights_label=label,
        groups=groups,
        bands=bands,
        indicators=tuple(sorted(indicators, key=lambda i: i.number)),
        raw=raw,
        crosswalk=crosswalk,
        version=str(meta.get("version", "")),
        source_url=str(meta.get("source_url", "")),
    )


def load_rulebook(path: Path) -> Rulebook:
    """Read and validate a rulebook TOML file."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ValidationError(f"Rulebook tidak ditemukan: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"Rulebook {path} bukan TOML yang sah: {exc}") from exc
    return parse_rulebook(raw, source=str(path.name))
