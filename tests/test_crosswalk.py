"""Health crosswalk: rules in the rulebook are validated; measure values turn into points consistently."""

from __future__ import annotations

import copy
import tomllib

import pytest

from kla import crosswalk
from kla.config import load_city
from kla.errors import ValidationError
from kla.rulebook import parse_rulebook


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(load_city().rulebook, "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def rules(raw: dict) -> tuple[crosswalk.CrosswalkRule, ...]:
    return parse_rulebook(raw).crosswalk


def _with_rule(raw: dict, **changes) -> dict:
    new = copy.deepcopy(raw)
    rule = {
        "indicator": "I11",
        "measure": "stunting_prevalence",
        "steps": [[14.0, 42.0], [20.0, 21.0]],
        "otherwise": 0.0,
        "illustrative": True,
    }
    rule.update(changes)
    new["crosswalk"] = [rule]
    return new


def test_shipped_rules_are_illustrative_and_link_klaster_iii(rules) -> None:
    assert rules and all(r.illustrative for r in rules)
    assert {"I11"} <= set(crosswalk.linked_indicators(rules))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"measure": "prevalensi_jerapah"}, "ukuran 'prevalensi_jerapah' yang tidak dikenal"),
        ({"steps": [[14.0, 50.0]]}, "melebihi poin maksimum"),
        ({"otherwise": 43.0, "steps": [[14.0, 42.0]]}, "melebihi poin maksimum"),
        ({"indicator": "I99"}, "indikator 'I99'"),
        ({"steps": [[14.0, 40.0]]}, "bukan salah satu tingkat poin"),
        ({"steps": [[20.0, 42.0], [14.0, 21.0]]}, "ambang harus urut"),
        ({"steps": [[14.0, 21.0], [20.0, 42.0]]}, "poin harus menurun"),
        ({"steps": "banyak"}, "tidak lengkap atau salah tipe"),
    ],
)
def test_bad_rules_are_rejected_with_a_clear_message(raw: dict, changes: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_rulebook(_with_rule(raw, **changes), source="uji.toml")


@pytest.mark.parametrize(
    ("value", "points"),
    [(10.0, 42.0), (14.0, 42.0), (14.01, 21.0), (20.0, 21.0), (20.5, 0.0)],
)
def test_lower_is_better_thresholds_are_inclusive(raw: dict, value: float, points: float) -> None:
    (rule,) = parse_rulebook(_with_rule(raw)).crosswalk
    assert crosswalk.points_for(rule, value) == points


def test_higher_is_better_measure(raw: dict) -> None:
    (rule,) = parse_rulebook(
        _with_rule(raw, indicator="I12", measure="exclusive_breastfeeding", steps=[[80.0, 42.0], [60.0, 21.0]])
    ).crosswalk
    assert [crosswalk.points_for(rule, v) for v in (90, 80, 79.9, 60, 10)] == [42, 42, 21, 21, 0]
    assert crosswalk.requirement_text(rule, 21.0).startswith(
        "Cakupan ASI eksklusif bayi < 6 bulan ≥ 60,0% (aturan ilustratif)"
    )


def test_requirement_is_the_inverse_of_points_for(rules) -> None:
    for rule in rules:
        for _, pts in rule.steps:
            need = crosswalk.requirement(rule, pts)
            assert crosswalk.points_for(rule, need) >= pts
            # a hair worse than the requirement earns less
            worse = need + 0.01 if rule.measure_info.lower_is_better else need - 0.01
            assert crosswalk.points_for(rule, worse) < pts


def test_weakest_measure_decides_and_missing_measures_are_ignored(rules) -> None:
    i11 = crosswalk.rules_for(rules, "I11")
    stunting_only = crosswalk.indicator_points(i11, {"stunting_prevalence": 10.0})
    both = crosswalk.indicator_points(i11, {"stunting_prevalence": 10.0, "wasting_prevalence": 12.0})
    assert stunting_only == 42.0
    assert both == min(
        stunting_only, crosswalk.points_for(next(r for r in i11 if r.measure == "wasting_prevalence"), 12.0)
    )
    assert crosswalk.indicator_points(i11, {}) is None


def test_effect_sentence_names_indicator_points_and_new_total(rules) -> None:
    e = crosswalk.effect(
        rules,
        indicator="I11",
        indicator_number=11,
        measure="stunting_prevalence",
        new_value=14.0,
        current_values={"stunting_prevalence": 22.3},
        current_points=10.5,
        current_total=573.0,
    )
    assert e.new_points == 42.0 and e.new_total == pytest.approx(604.5)
    assert e.sentence() == (
        "Jika prevalensi stunting balita turun ke 14,0%, indikator 11 naik dari 10,5 ke 42 poin, total menjadi 604,5."
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"steps": [[14.0, 40.0]]},
            "aturan crosswalk ke-1 (indikator I11): 40 poin bukan salah satu tingkat poin indikator "
            "(0; 10,5; 21; 31,5; 42)",
        ),
        (
            {"steps": [[20.5, 42.0], [14.0, 21.0]]},
            "aturan crosswalk ke-1 (indikator I11): ambang harus urut dari yang terbaik (naik), bukan (20,5; 14)",
        ),
    ],
)
def test_rule_messages_list_numbers_the_indonesian_way(raw: dict, changes: dict, message: str) -> None:
    """Decimal comma inside a list: the numbers are separated by "; ", never by a comma."""
    with pytest.raises(ValidationError) as err:
        parse_rulebook(_with_rule(raw, **changes), source="uji.toml")
    assert [p.message for p in err.value.problems] == [message]
