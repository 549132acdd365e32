"""Exact arithmetic: one-decimal scores that sum to a band's lower bound are in that band everywhere.

The expected values are worked out in integer tenths of a point (never with the float sums the bug
came from): a set of 24 one-decimal scores is 24 integers of tenths, its total is their integer sum,
and the points to the next band are ``10 × lower bound − that sum`` tenths.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core import planner, scoring
from kla.core.config import PROJECT_ROOT, load_city
from kla.core.rulebook import Rulebook, load_rulebook
from tests.cli import run_kla

# Long CLI and build runs: outside `make test-fast`, inside `make test`.
pytestmark = pytest.mark.slow

RB = load_rulebook(load_city().rulebook)
YEAR = 2031  # a year of its own, after every shipped one, so the pages open on it


def tenths_summing_to(rb: Rulebook, total_tenths: int, rng: random.Random) -> dict[str, int]:
    """Random scores in tenths, each within 0–max, that add up to exactly ``total_tenths``."""
    caps = {i.code: round(i.max_points * 10) for i in rb.indicators}
    share = total_tenths / sum(caps.values())
    got = {c: min(cap, max(0, round(cap * share) + rng.randint(-7, 7))) for c, cap in caps.items()}
    diff = total_tenths - sum(got.values())
    codes = list(caps)
    while diff:
        c = rng.choice(codes)
        step = 1 if diff > 0 else -1
        if 0 <= got[c] + step <= caps[c]:
            got[c] += step
            diff -= step
    return got


def as_points(tenths: dict[str, int]) -> dict[str, float]:
    return {c: t / 10 for c, t in tenths.items()}


def band_of(rb: Rulebook, total_tenths: int) -> tuple[str, str | None, int | None]:
    """(band, next band, gap in tenths) from the band table, by integer comparison."""
    bands = sorted(rb.bands, key=lambda b: b.min)
    idx = max(i for i, b in enumerate(bands) if total_tenths >= b.min * 10)
    if idx + 1 == len(bands):
        return bands[idx].name, None, None
    return bands[idx].name, bands[idx + 1].name, bands[idx + 1].min * 10 - total_tenths


def test_float_sum_would_have_missed_the_band() -> None:
    """The case from the issue: a float sum of these one-decimal scores lands a hair below 601."""
    rng = random.Random(7)
    candidates = (as_points(tenths_summing_to(RB, 6010, rng)) for _ in range(500))
    pts = next((p for p in candidates if sum(p.values()) < 601), None)
    assert pts is not None, "expected float summing to fall short for some set"
    s = scoring.summarise(pts, RB, year=YEAR, area="x")
    assert s.total == 601 and s.category == "Madya"
    assert s.points_to_next == 100  # Nindya starts at 701


def test_score_and_plan_agree_on_1000_random_one_decimal_sets() -> None:
    rng = random.Random(2026)
    top = max(b.max for b in RB.bands) * 10
    for n in range(1000):
        total_tenths = rng.randint(0, top)
        tenths = tenths_summing_to(RB, total_tenths, rng)
        pts = as_points(tenths)
        band, nxt, gap = band_of(RB, total_tenths)
        s = scoring.summarise(pts, RB, year=YEAR, area="x")
        assert s.category == band, (n, total_tenths)
        assert s.next_category == nxt
        if nxt is None:
            with pytest.raises(planner.PlanError, match="tertinggi"):
                planner.plan(pts, RB)
            continue
        assert s.points_to_next == gap / 10  # exactly: 0,1 is 0.1, not 0.10000000000002
        p = planner.plan(pts, RB)
        assert p.current_category == band and p.target == nxt
        assert p.current_total == total_tenths / 10 == s.total
        assert p.need == gap / 10
        if p.reachable:  # the plan lands in the next band by the same exact rule
            assert p.new_total >= next(b.min for b in RB.bands if b.name == nxt)
            assert scoring.band_for(p.new_total, RB).min >= next(b.min for b in RB.bands if b.name == nxt)


def _score_file(path: Path, rb: Rulebook, tenths: dict[str, int]) -> Path:
    pd.DataFrame(
        {
            "rulebook": rb.key,
            "kode_indikator": list(tenths),
            "poin": [f"{t / 10:.1f}" for t in tenths.values()],
            "status_bukti": "lengkap",
        }
    ).to_csv(path, index=False)
    return path


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return run_kla(*args, "--db", str(db), timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("bound", [500, 601, 701, 801, 901])
def test_band_lower_bounds_agree_in_score_plan_and_pages(
    bound: int, db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(bound)
    tenths = tenths_summing_to(RB, bound * 10, rng)
    band, nxt, gap = band_of(RB, bound * 10)
    imported = _cli(
        "import", "kla-scores", str(_score_file(tmp_path / "nilai.csv", RB, tenths)), "--year", str(YEAR), db=db_copy
    )
    assert imported.returncode == 0, imported.stderr

    score = json.loads(_cli("score", "--year", str(YEAR), "--json", db=db_copy).stdout)
    assert score["total"] == bound and score["category"] == band
    assert score["next_category"] == nxt
    assert score["points_to_next"] == (None if gap is None else gap / 10)

    plan = _cli("plan", "--year", str(YEAR), "--json", db=db_copy)
    if nxt is None:
        assert plan.returncode == 2 and "tertinggi" in plan.stderr
    else:
        assert plan.returncode == 0, plan.stderr
        body = json.loads(plan.stdout)
        assert body["current_category"] == band and body["target"] == nxt and body["need"] == gap / 10

    monkeypatch.setenv("KLA_DB", str(db_copy))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    home = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    home.run()
    assert not home.exception
    metrics = {m.label: m.value for m in home.metric}
    assert metrics["Kategori"] == band
    if nxt is not None:
        assert metrics[f"Kurang ke {nxt}"] == f"{gap // 10} poin"  # whole bounds: a whole gap
    road = AppTest.from_file(str(PROJECT_ROOT / "pages/4_Jalan_ke_Madya.py"), default_timeout=60)
    road.run()
    assert not road.exception
    title = road.title[0].value
    if nxt is None:
        assert title.startswith(f"Sudah di kategori tertinggi: {band}")
        assert any("kategori tertinggi" in s.value for s in road.success)
    else:
        assert title.startswith(f"Jalan ke {nxt}")
    st.cache_data.clear()
    st.cache_resource.clear()
