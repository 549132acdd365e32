"""KLA scoring: pure functions over a rulebook and one area-year's indicator points.

Formula (Blitar Satu Data metadata, domain.md §2): total = Σ points of all indicators
(Kelembagaan + Klaster I–V), out of 1000. The category is the band whose lower bound the total
reaches; a group's achievement is its points ÷ its maximum points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kla.rulebook import Band, Rulebook


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


def band_for(total: float, rulebook: Rulebook) -> Band:
    """The band whose lower bound ``total`` reaches (600.5 is still Pratama; 601 is Madya)."""
    if total < 0 or total > rulebook.bands[-1].max + 1e-9:
        raise ValueError(f"nilai total {total} di luar rentang 0–{rulebook.bands[-1].max}")
    chosen = rulebook.bands[0]
    for band in rulebook.bands:
        if total >= band.min:
            chosen = band
    return chosen


def category(total: float, rulebook: Rulebook) -> str:
    """Category name for a total score, e.g. 600 → "Pratama", 601 → "Madya"."""
    return band_for(total, rulebook).name


def next_band(total: float, rulebook: Rulebook) -> tuple[Band | None, float | None]:
    """The next band up and the points still needed to reach its lower bound (None at the top)."""
    current = band_for(total, rulebook)
    idx = rulebook.bands.index(current)
    if idx + 1 >= len(rulebook.bands):
        return None, None
    nxt = rulebook.bands[idx + 1]
    return nxt, max(0.0, nxt.min - total)


def total_score(points: Mapping[str, float]) -> float:
    return float(sum(points.values()))


def group_scores(points: Mapping[str, float], rulebook: Rulebook) -> tuple[GroupScore, ...]:
    """Points and maximum per group, in rulebook order; missing indicators count as 0."""
    out = []
    for g in rulebook.groups:
        inds = [i for i in rulebook.indicators if i.group == g.code]
        out.append(
            GroupScore(
                code=g.code,
                label=g.label,
                points=float(sum(points.get(i.code, 0.0) for i in inds)),
                max=float(sum(i.max_points for i in inds)),
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


def summarise(points: Mapping[str, float], rulebook: Rulebook, *, year: int, area: str) -> ScoreSummary:
    """Everything the overview and ``kla score`` show for one area and year."""
    unknown = set(points) - set(rulebook.codes)
    if unknown:
        raise ValueError(f"kode indikator tidak dikenal: {sorted(unknown)}")
    total = total_score(points)
    nxt, gap = next_band(total, rulebook)
    return ScoreSummary(
        year=year,
        area=area,
        total=total,
        category=category(total, rulebook),
        next_category=nxt.name if nxt else None,
        points_to_next=gap,
        groups=group_scores(points, rulebook),
        lost=points_lost(points, rulebook),
    )
