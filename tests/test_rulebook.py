"""Rulebook validation: the shipped file is valid; each kind of broken rulebook is rejected."""

from __future__ import annotations

import copy
import tomllib

import pytest

from kla.config import load_city
from kla.errors import ValidationError
from kla.rulebook import load_rulebook, parse_rulebook


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(load_city().rulebook, "rb") as fh:
        return tomllib.load(fh)


def test_shipped_rulebook_is_valid_and_sums_to_1000(raw: dict) -> None:
    rb = parse_rulebook(raw)
    assert len(rb.indicators) == 24
    assert sum(i.max_points for i in rb.indicators) == 1000
    assert [g.label for g in rb.groups][0] == "Kelembagaan"
    assert not rb.weights_official and rb.weights_label == "bobot ilustratif"
    # #1-#6 verified in domain.md, the rest must carry the "perlu verifikasi" flag
    assert {i.status for i in rb.indicators if i.number <= 6} == {"terverifikasi"}
    assert {i.status for i in rb.indicators if i.number > 6} == {"perlu verifikasi"}


def _mutate(raw: dict, fn) -> dict:
    new = copy.deepcopy(raw)
    fn(new)
    return new


def _set(path: list, value):
    def fn(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return fn


CASES = [
    ("points not summing to 1000", _set(["indicator", 0, "max_points"], 50), "seharusnya tepat 1000"),
    ("duplicate code", _set(["indicator", 1, "code"], "I01"), "ganda"),
    ("unknown group", _set(["indicator", 2, "group"], "K9"), "tidak dikenal"),
    ("gap between bands", _set(["band", 2, "min"], 605), "celah"),
    ("overlapping bands", _set(["band", 2, "min"], 590), "tumpang tindih"),
    ("bands not starting at 0", _set(["band", 0, "min"], 10), "mulai dari 0"),
    ("bands not ending at 1000", _set(["band", 5, "max"], 990), "berakhir di 1000"),
    ("levels not reaching max", _set(["indicator", 3, "levels"], [0, 10, 20]), "tingkat poin"),
]


@pytest.mark.parametrize(("label", "mutation", "needle"), CASES, ids=[c[0] for c in CASES])
def test_invalid_rulebooks_are_rejected_with_a_clear_message(raw: dict, label: str, mutation, needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_rulebook(_mutate(raw, mutation), source="uji.toml")
    assert needle in str(err.value)
    assert "uji.toml" in str(err.value)


def test_unreadable_rulebook_file(tmp_path) -> None:
    bad = tmp_path / "rusak.toml"
    bad.write_text("[rulebook\nid = ", encoding="utf-8")
    with pytest.raises(ValidationError, match="bukan TOML"):
        load_rulebook(bad)
