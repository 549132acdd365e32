"""KLA scoring: pure functions over a rulebook and one area-year's indicator points.

Formula (Blitar Satu Data metadata, domain.md §2): total = Σ points of all indicators
(Kelembagaan + Klaster I–V), out of 1000. The category is the band whose lower bound the total
reaches; a group's achievement is its points ÷ its maximum points.

Arithmetic is exact: points are read as the decimals they were typed as (30.75, 10.5, 41/3) and
summed as fractions, so 24 one-decimal scores that add up to 601 are Madya, never
"600.9999999999999" Pratama. The planner uses the same :func:`exact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from kla.core.exact import exact
from kla.core.rulebook import Band, Rulebook

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class GroupScore:
    code: str
    label: str
    points: float
    max: float

    @property
    def pct(self) -> float:
        """Achievement in percent of the group's maximum (0–100)."""
        return 100.0 * self.points / self.max if self.max else 0.0


@dataclass(frozen=True)
class LostPoints:
    code: str
    number: int
    name: str
    group: str
    opd: str
    points: float
    max_points: float

    @property
    def points_lost(self) -> float:
        return self.max_points - self.points


@dataclass(frozen=True)
class ScoreSummary:
    year: int
    area: str
    total: float
    category: str
    next_category: str | None
    points_to_next: float | None
    groups: tuple[GroupScore, ...]
    lost: tuple[LostPoints, ...]  # ranked, most points lost first

    def to_dict(self) -> dict:
        """The ``python -m kla score --json`` shape."""
        return {
            "year": self.year,
            "area": self.area,
            "total": round(self.total, 2),
            "category": self.category,
            "next_category": self.next_category,
            "points_to_next": None if self.points_to_next is None else round(self.points_to_next, 2),
            "groups": {
                g.label: {"points": round(g.points, 2), "max": round(g.max, 2), "pct": round(g.pct, 1)}
                for g in self.groups
            },
            "lost": [{"code": lp.code, "name": lp.name, "points_lost": round(lp.points_lost, 2)} for lp in self.lost],
        }


def exact_total(points: Mapping[str, float]) -> Fraction:
    """The exact sum of indicator points."""
    return sum((exact(float(v)) for v in points.values()), Fraction(0))


def band_for(total: float | Fraction, rulebook: Rulebook) -> Band:
    """The band whose lower bound ``total`` reaches (600.5 is still Pratama; 601 is Madya)."""
    value = exact(total)
    if value < 0 or value > rulebook.bands[-1].max:
        raise ValueError(f"nilai total {float(value)} di luar rentang 0–{rulebook.bands[-1].max}")
    chosen = rulebook.bands[0]
    for band in rulebook.bands:
        if value >= band.min:
            chosen = band
    return chosen


def category(total: float | Fraction, rulebook: Rulebook) -> str:
    """Category name for a total score, e.g. 600 → "Pratama", 601 → "Madya"."""
    return band_for(total, rulebook).name


def next_band(total: float | Fraction, rulebook: Rulebook) -> tuple[Band | None, float | None]:
    """The next band up and the points still needed to reach its lower bound (None at the top).

    The gap is computed exactly, then given as a float: 601 − 600,9 is 0,1, not 0,10000000000002.
    """
    current = band_for(total, rulebook)
    idx = rulebook.bands.index(current)
    if idx + 1 >= len(rulebook.bands):
        return None, None
    nxt = rulebook.bands[idx + 1]
    return nxt, float(max(Fraction(0), nxt.min - exact(total)))


def total_score(points: Mapping[str, float]) -> float:
    """The total as a float, summed exactly (see :func:`exact_total`)."""
    return float(exact_total(points))


def group_scores(points: Mapping[str, float], rulebook: Rulebook) -> tuple[GroupScore, ...]:
    """Points and maximum per group, in rulebook order; missing indicators count as 0."""
    out = []
    for g in rulebook.groups:
        inds = [i for i in rulebook.indicators if i.group == g.code]
        out.append(
            GroupScore(
                code=g.code,
                label=g.label,
                points=float(sum((exact(float(points.get(i.code, 0.0))) for i in inds), Fraction(0))),
                max=float(sum((exact(i.max_points) for i in inds), Fraction(0))),
            )
        )
    return tuple(out)


def points_lost(points: Mapping[str, float], rulebook: Rulebook) -> tuple[LostPoints, ...]:
    """Every indicator with its points lost, most lost first (ties by indicator number)."""
    rows = [
        LostPoints(i.code, i.number, i.name, i.group, i.opd, float(points.get(i.code, 0.0)), i.max_points)
        for i in rulebook.indicators
    ]
    return tuple(sorted(rows, key=lambda r: (-r.points_lost, r.number)))


def points_by_code(frame: pd.DataFrame) -> dict[str, float]:
    """``{indicator_code: points}`` of the scored rows of a scores frame (``code, points``, as
    :func:`kla.read.repository.kla_scores` returns it): what :func:`summarise` takes."""
    scored = frame.dropna(subset=["points"])
    return dict(zip(scored["code"], scored["points"].astype(float), strict=True))


def summarise(points: Mapping[str, float], rulebook: Rulebook, *, year: int, area: str) -> ScoreSummary:
    """Everything the overview and ``kla score`` show for one area and year."""
    unknown = set(points) - set(rulebook.codes)
    if unknown:
        raise ValueError(f"kode indikator tidak dikenal: {sorted(unknown)}")
    total = exact_total(points)
    nxt, gap = next_band(total, rulebook)
    return ScoreSummary(
        year=year,
        area=area,
        total=float(total),
        category=category(total, rulebook),
        next_category=nxt.name if nxt else None,
        points_to_next=gap,
        groups=group_scores(points, rulebook),
        lost=points_lost(points, rulebook),
    )
