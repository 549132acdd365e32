"""Health crosswalk: rules in the rulebook are validated; measure values turn into points consistently.

Runs on the suite's test rulebook (tests/fixtures/rulebook/uji-bobot-beragam.toml): indicator 13 has
maximum 70 and levels 0, 10, 25, 45, 70; indicator 14 has maximum 35 in fifths (7 points a step).
"""

from __future__ import annotations

import copy
import tomllib

import pytest

from kla.core import crosswalk
from kla.core.config import load_city
from kla.core.errors import ValidationError
from kla.core.rulebook import parse_rulebook


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
        "indicator": "I13",
        "measure": "stunting_prevalence",
        "steps": [[14.0, 70.0], [20.0, 25.0]],
        "otherwise": 0.0,
        "illustrative": True,
    }
    rule.update(changes)
    new["crosswalk"] = [rule]
    return new


def test_shipped_rules_are_illustrative_and_link_klaster_iii(rules) -> None:
    assert rules and all(r.illustrative for r in rules)
    assert {"I13"} <= set(crosswalk.linked_indicators(rules))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"measure": "prevalensi_jerapah"}, "ukuran 'prevalensi_jerapah' yang tidak dikenal"),
        ({"steps": [[14.0, 80.0]]}, "melebihi poin maksimum"),
        ({"otherwise": 71.0, "steps": [[14.0, 70.0]]}, "melebihi poin maksimum"),
        ({"indicator": "I99"}, "indikator 'I99'"),
        ({"steps": [[14.0, 40.0]]}, "bukan salah satu tingkat poin"),
        ({"steps": [[20.0, 70.0], [14.0, 25.0]]}, "ambang harus urut"),
        ({"steps": [[14.0, 25.0], [20.0, 70.0]]}, "poin harus menurun"),
        ({"steps": "banyak"}, "tidak lengkap atau salah tipe"),
    ],
)
def test_bad_rules_are_rejected_with_a_clear_message(raw: dict, changes: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_rulebook(_with_rule(raw, **changes), source="uji.toml")


@pytest.mark.parametrize(
    ("value", "points"),
    [(10.0, 70.0), (14.0, 70.0), (14.01, 25.0), (20.0, 25.0), (20.5, 0.0)],
)
def test_lower_is_better_thresholds_are_inclusive(raw: dict, value: float, points: float) -> None:
    (rule,) = parse_rulebook(_with_rule(raw)).crosswalk
    assert crosswalk.points_for(rule, value) == points


def test_higher_is_better_measure(raw: dict) -> None:
    (rule,) = parse_rulebook(
        _with_rule(raw, indicator="I14", measure="exclusive_breastfeeding", steps=[[80.0, 35.0], [60.0, 14.0]])
    ).crosswalk
    assert [crosswalk.points_for(rule, v) for v in (90, 80, 79.9, 60, 10)] == [35, 35, 14, 14, 0]
    assert crosswalk.requirement_text(rule, 14.0).startswith(
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
    i13 = crosswalk.rules_for(rules, "I13")
    stunting_only = crosswalk.indicator_points(i13, {"stunting_prevalence": 10.0})
    both = crosswalk.indicator_points(i13, {"stunting_prevalence": 10.0, "wasting_prevalence": 12.0})
    assert stunting_only == 70.0  # ≤ 14% earns the maximum (fixture rule)
    assert both == 10.0  # wasting 12% is ≤ 15 but not ≤ 10: 10 points, the weaker measure decides
    assert crosswalk.indicator_points(i13, {}) is None


SURVEY_2023 = crosswalk.Reading(22.3, "survei", "SKI 2023", "2023")
ROUTINE_WASTING = crosswalk.Reading(6.0, "rutin", "e-PPGBM", "2025-06")


def _scenario(rules, new_value: float, readings: dict, current_points: float = 10.0, total: float = 549.25):
    return crosswalk.scenario(
        rules,
        indicator="I13",
        indicator_number=13,
        measure="stunting_prevalence",
        new_value=new_value,
        readings=readings,
        current_points=current_points,
        current_total=total,
    )


def test_scenario_sentence_states_the_cap_and_every_input(rules) -> None:
    """At 14% stunting alone gives 70, but wasting 6,0% (≤ 10 → 25 points) caps the indicator at 25."""
    sc = _scenario(rules, 14.0, {"stunting_prevalence": SURVEY_2023, "wasting_prevalence": ROUTINE_WASTING})
    assert sc.new_points == 25.0 and sc.new_total == 549.25 - 10 + 25
    assert sc.sentence() == (
        "Jika prevalensi stunting balita (survei SKI 2023: 22,3%) turun ke 14,0%, indikator 13 naik dari 10 ke 25 "
        "poin (dibatasi oleh prevalensi wasting balita (gizi kurang dan buruk)), total menjadi 564,25."
    )
    note = sc.combination_note()
    assert note is not None and "terendah dari 2 ukuran" in note
    assert "14,0% (skenario) → 70 poin" in note and "6,0% (rutin e-PPGBM 2025-06) → 25 poin" in note


def test_scenario_verb_follows_the_direction_of_the_change(rules) -> None:
    """'turun ke' only for a lower value: a kecamatan at 4,7% (routine) moving to 10% goes up."""
    kasemen = crosswalk.Reading(4.7, "rutin", "e-PPGBM", "2025-06")
    up = _scenario(rules, 10.0, {"stunting_prevalence": kasemen}).sentence()
    assert "(rutin e-PPGBM 2025-06: 4,7%) naik ke 10,0%" in up and "turun ke" not in up
    same = _scenario(rules, 4.7, {"stunting_prevalence": kasemen}).sentence()
    assert "tetap 4,7%" in same
    none = _scenario(rules, 10.0, {}).sentence()
    assert "menjadi 10,0% (belum ada data sekarang)" in none
    # a single measure with data: no combination to explain beyond the rule itself
    assert _scenario(rules, 10.0, {"stunting_prevalence": kasemen}).limited_by == ()


def test_chart_and_sentence_come_from_one_computation(rules) -> None:
    from kla.figures import analysis as analysis_charts
    from kla.figures import charts

    sc = _scenario(rules, 14.0, {"stunting_prevalence": SURVEY_2023, "wasting_prevalence": ROUTINE_WASTING})
    rule = next(r for r in rules if r.measure == "stunting_prevalence")
    fig = analysis_charts.crosswalk_rule_chart(rule, sc, max_points=70.0, stamp=charts.Stamp("t", "s", "2023"))
    marker = next(t for t in fig.data if t.meta == "skenario")
    assert list(marker.y) == [25.0]  # the capped indicator points, as in the sentence, not the rule's 70
    assert marker.name == "skenario: 14,0% → 25 poin (dibatasi ukuran lain)"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"steps": [[14.0, 40.0]]},
            "aturan crosswalk ke-1 (indikator I13): 40 poin bukan salah satu tingkat poin indikator "
            "(0; 10; 25; 45; 70)",
        ),
        (
            {"steps": [[20.5, 70.0], [14.0, 25.0]]},
            "aturan crosswalk ke-1 (indikator I13): ambang harus urut dari yang terbaik (naik), bukan (20,5; 14)",
        ),
    ],
)
def test_rule_messages_list_numbers_the_indonesian_way(raw: dict, changes: dict, message: str) -> None:
    """Decimal comma inside a list: the numbers are separated by "; ", never by a comma."""
    with pytest.raises(ValidationError) as err:
        parse_rulebook(_with_rule(raw, **changes), source="uji.toml")
    assert [p.message for p in err.value.problems] == [message]
