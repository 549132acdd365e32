"""Scoring: totals, category edges, next band, group achievement and lost points."""

from __future__ import annotations

import pytest

from kla.core import scoring
from kla.core.config import load_city
from kla.core.rulebook import load_rulebook

RB = load_rulebook(load_city().rulebook)


@pytest.mark.parametrize(
    ("total", "category", "next_category", "gap"),
    [
        (0, "Belum berpredikat", "Pratama", 500),
        (499, "Belum berpredikat", "Pratama", 1),
        (499.99, "Belum berpredikat", "Pratama", 0.01),
        (500, "Pratama", "Madya", 101),
        (600, "Pratama", "Madya", 1),
        (600.5, "Pratama", "Madya", 0.5),
        (601, "Madya", "Nindya", 100),
        (700, "Madya", "Nindya", 1),
        (701, "Nindya", "Utama", 100),
        (900, "Utama", "KLA", 1),
        (901, "KLA", None, None),
        (1000, "KLA", None, None),
    ],
)
def test_category_edges(total: float, category: str, next_category: str | None, gap: float | None) -> None:
    assert scoring.category(total, RB) == category
    nxt, points = scoring.next_band(total, RB)
    assert (nxt.name if nxt else None) == next_category
    assert points == (pytest.approx(gap) if gap is not None else None)


@pytest.mark.parametrize("total", [-1, 1000.5])
def test_out_of_range_total_is_refused(total: float) -> None:
    with pytest.raises(ValueError):
        scoring.category(total, RB)


def _points(share_by_group: dict[str, float]) -> dict[str, float]:
    return {i.code: i.max_points * share_by_group[i.group] for i in RB.indicators}


@pytest.mark.parametrize(
    ("shares", "expected_pct"),
    [
        ({"KL": 1, "K1": 1, "K2": 1, "K3": 1, "K4": 1, "K5": 1}, {"Kelembagaan": 100, "Klaster V": 100}),
        (
            {"KL": 0.5, "K1": 0.25, "K2": 0, "K3": 0.75, "K4": 1, "K5": 0.5},
            {"Kelembagaan": 50, "Klaster I": 25, "Klaster II": 0, "Klaster III": 75, "Klaster IV": 100},
        ),
    ],
)
def test_group_achievement_is_points_over_max(shares: dict[str, float], expected_pct: dict[str, float]) -> None:
    groups = {g.label: g for g in scoring.group_scores(_points(shares), RB)}
    for label, pct in expected_pct.items():
        assert groups[label].pct == pytest.approx(pct)
    # group maxima are the rulebook's own sums, and together make 1000
    assert sum(g.max for g in groups.values()) == pytest.approx(1000)


def test_summary_ranks_lost_points_and_matches_json_shape() -> None:
    # test rulebook: I13 (gizi) max 70, I18 max 60 with quarter levels, I07 levels 0, 17.5, 35
    assert RB.indicator("I13").max_points == 70 and RB.indicator("I18").max_points == 60
    assert RB.indicator("I07").levels == (0, 17.5, 35)
    points = {i.code: i.max_points for i in RB.indicators}
    points["I13"] = 0.0  # lose all 70
    points["I18"] = 30.0  # lose 30
    points["I07"] = 17.5  # lose 17.5
    s = scoring.summarise(points, RB, year=2025, area="36.73")
    assert s.total == pytest.approx(1000 - 70 - 30 - 17.5)
    assert s.category == "Utama"  # 882.5
    assert s.next_category == "KLA" and s.points_to_next == pytest.approx(18.5)
    assert [lp.code for lp in s.lost[:3]] == ["I13", "I18", "I07"]
    assert [lp.points_lost for lp in s.lost[:3]] == [pytest.approx(70), pytest.approx(30), pytest.approx(17.5)]
    assert all(lp.points_lost == 0 for lp in s.lost[3:])
    d = s.to_dict()
    assert set(d) == {"year", "area", "total", "category", "next_category", "points_to_next", "groups", "lost"}
    assert set(d["groups"]["Klaster III"]) == {"points", "max", "pct"}
    assert d["lost"][0] == {"code": "I13", "name": RB.indicator("I13").name, "points_lost": 70.0}


def test_missing_indicators_count_as_zero_and_unknown_codes_fail() -> None:
    s = scoring.summarise({"I01": 41.0}, RB, year=2023, area="36.73")
    assert s.total == 41 and s.category == "Belum berpredikat"
    with pytest.raises(ValueError, match="tidak dikenal"):
        scoring.summarise({"X99": 1.0}, RB, year=2023, area="36.73")
