"""Scoring, planner, what-if and every page work on two different valid rulebooks.

One is the suite's unequal-weight test rulebook, the other the shipped illustrative one. Nothing in
the product may depend on a particular set of weights: an official sheet will replace them.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core import planner, scoring, whatif
from kla.core.config import PROJECT_ROOT
from kla.ingest import build
from kla.read import repository

TEST_CITY = PROJECT_ROOT / "tests" / "fixtures" / "city_bobot_beragam" / "city.toml"  # as in conftest.py
SHIPPED_CITY = PROJECT_ROOT / "data" / "city.toml"

PAGES = ["app.py", *sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "pages").glob("*.py"))]


@pytest.fixture(scope="module", params=[TEST_CITY, SHIPPED_CITY], ids=["bobot-uji", "bobot-ilustratif"])
def rulebook_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    db = tmp_path_factory.mktemp("rb") / "kla.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KLA_CITY_CONFIG", str(request.param))
        build.build(db)
    return request.param, db


def _city_points(db: Path) -> tuple[object, dict[str, float], str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rb = repository.rulebook(con)
        city = repository.meta(con)["city_code"]
        frame = repository.kla_scores(con, year=2025, area=city)
    return rb, dict(zip(frame["code"], frame["points"].astype(float), strict=True)), city


def test_the_two_rulebooks_really_differ(rulebook_db) -> None:
    config, db = rulebook_db
    rb, points, _ = _city_points(db)
    assert len(rb.indicators) == 24 and sum(i.max_points for i in rb.indicators) == 1000
    assert rb.key == ("uji-bobot-beragam@1" if config == TEST_CITY else "kla-kemenpppa-24-ilustratif@2026.12")
    # the sample scores were written (or regenerated) for this rulebook: every one on its own levels
    for ind in rb.indicators:
        assert points[ind.code] in ind.levels, (ind.code, points[ind.code], ind.levels)


def test_scoring_planner_and_whatif(rulebook_db) -> None:
    _, db = rulebook_db
    rb, points, city = _city_points(db)
    s = scoring.summarise(points, rb, year=2025, area=city)
    hand_total = sum((Fraction(str(v)) for v in points.values()), Fraction(0))
    assert s.total == float(hand_total)
    band = max((b for b in rb.bands if hand_total >= b.min), key=lambda b: b.min)
    assert s.category == band.name

    p = planner.plan(points, rb, year=2025, area=city)
    assert p.target == s.next_category
    after = planner.apply(points, p)
    for step in p.steps:  # the plan only moves indicators up to one of their own levels
        assert step.to_points in rb.indicator(step.code).levels and step.to_points > step.from_points
    if p.reachable:
        assert scoring.category(scoring.total_score(after), rb) == p.target

    weakest = max(rb.indicators, key=lambda i: i.max_points - points[i.code])
    raised = whatif.evaluate({**points, weakest.code: weakest.max_points}, rb, year=2025, area=city)
    assert raised.total == float(hand_total + Fraction(str(weakest.max_points)) - Fraction(str(points[weakest.code])))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(rulebook_db, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config, db = rulebook_db
    monkeypatch.setenv("KLA_CITY_CONFIG", str(config))
    monkeypatch.setenv("KLA_DB", str(db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(PROJECT_ROOT / page), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title
    st.cache_data.clear()
    st.cache_resource.clear()
