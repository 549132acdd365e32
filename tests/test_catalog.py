"""The one catalogue (issue 10 §1): every measure defined once, and no second copy elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kla.core import catalog
from kla.views import maps

ROOT = Path(__file__).resolve().parents[1]
KLA = sorted((ROOT / "kla").rglob("*.py")) + sorted((ROOT / "geo").rglob("*.py"))


def _sources(exclude: set[str]) -> dict[str, str]:
    return {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
        for p in KLA
        if p.relative_to(ROOT).as_posix() not in exclude
    }


@pytest.mark.parametrize("m", list(catalog.CATALOG.values()), ids=list(catalog.CATALOG))
def test_every_measure_is_complete(m: catalog.Measure) -> None:
    assert m.label and m.label_en and m.unit in {"%", "anak", "poin"}
    assert set(m.published.values()) <= {catalog.SURVEY, catalog.ROUTINE}
    if m.rate:
        assert m.numerator and m.denominator and m.rate_label
    if m.crosswalk:
        assert m.published, "a crosswalk measure is read from published series"
    if m.scale is not None:
        assert m.map_label and m.description


def test_the_map_draws_catalogue_measures() -> None:
    assert all(m is catalog.CATALOG[k] for k, m in maps.MEASURES.items())
    assert all(c.measure is catalog.CATALOG[c.measure.key] for c in maps.CHOICES.values())
    assert all(c.measure.scale is not None for c in maps.CHOICES.values())


def test_one_sourced_stunting_target_series() -> None:
    targets = catalog.measure("stunting_prevalence").targets
    assert targets is catalog.STUNTING_TARGETS
    assert [dict(t.values) for t in targets] == [{2024: 14.0}, {2025: 18.8, 2029: 14.2}]
    assert all(t.source and t.url.startswith("https://") for t in targets)
    assert catalog.latest_target("stunting_prevalence") == 14.2
    assert catalog.latest_target("wasting_prevalence") is None


def test_no_second_copy_of_what_the_catalogue_and_helpers_hold() -> None:
    src = _sources({"kla/core/catalog.py"})
    # measure registries and the old translator
    for name, text in src.items():
        assert "MEASURES: dict" not in text or name == "kla/views/maps.py", name
        assert "_FIELD_MEASURE" not in text, name
    assert "MEASURES: dict[str, Measure] = {k: m for k, m in CATALOG.items()" in src["kla/views/maps.py"]
    # one Wilson interval, one z
    assert [n for n, t in src.items() if re.search(r"^def wilson", t, re.M)] == ["kla/core/rates.py"]
    assert not [n for n, t in src.items() if "1.95996" in t]
    # one month-name table (parsers of user files keep their spelling variants)
    assert {n for n, t in src.items() if '"Agustus"' in t} <= {"kla/core/fmt.py", "kla/ingest/sample_nutrition.py"}
    # one table-exists check, one wilayah query
    assert not [n for n, t in src.items() if "duckdb_views()" in t]
    assert not [n for n, t in src.items() if "FROM wilayah ORDER BY code" in t]
    # one target series: no stunting target number typed outside the catalogue
    assert not [n for n, t in src.items() if re.search(r"STUNTING_TARGET\s*=|\{2024: 14", t)]
