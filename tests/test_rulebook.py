"""Rulebook validation: the shipped file is valid; each kind of broken rulebook is rejected."""

from __future__ import annotations

import copy
import tomllib

import pytest

from kla.core.config import PROJECT_ROOT, load_city
from kla.core.errors import ValidationError
from kla.core.rulebook import load_rulebook, parse_rulebook


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(load_city().rulebook, "rb") as fh:
        return tomllib.load(fh)


# The shipped illustrative file itself (not whatever rulebook the city config points at: a city that
# imports its official sheet must not break this test).
SHIPPED = PROJECT_ROOT / "data" / "rulebook" / "kla-kemenpppa-24-ilustratif.toml"

# KemenPPPA's numbering (shared/reference/domain.md §1.2, source B: the figure "24 Indikator
# Kabupaten/Kota Layak Anak"), written out by hand here as the independent reference: number →
# (cluster, a word its label must contain).
KEMENPPPA_24 = {
    1: ("KL", "Perda"), 2: ("KL", "kelembagaan"), 3: ("KL", "dunia usaha"),
    4: ("K1", "akta kelahiran"), 5: ("K1", "informasi layak anak"), 6: ("K1", "Forum Anak"),
    7: ("K2", "Perkawinan anak"), 8: ("K2", "konsultasi"), 9: ("K2", "pengasuhan alternatif"),
    10: ("K2", "PAUD-HI"), 11: ("K2", "Infrastruktur ramah anak"),
    12: ("K3", "Persalinan"), 13: ("K3", "gizi"), 14: ("K3", "PMBA"), 15: ("K3", "ramah anak"),
    16: ("K3", "Air minum"), 17: ("K3", "KTR"),
    18: ("K4", "Wajib belajar 12"), 19: ("K4", "Sekolah Ramah Anak"), 20: ("K4", "Pusat Kreativitas Anak"),
    21: ("K5", "kekerasan"), 22: ("K5", "pornografi"), 23: ("K5", "disabilitas"), 24: ("K5", "ABH"),
}  # fmt: skip


def test_shipped_rulebook_follows_kemenpppa_numbering() -> None:
    rb = load_rulebook(SHIPPED)
    assert len(rb.indicators) == 24 and rb.id and rb.version
    for ind in rb.indicators:
        group, word = KEMENPPPA_24[ind.number]
        assert ind.group == group, ind.number
        assert word.lower() in ind.name.lower(), (ind.number, ind.name)
        assert ind.code == f"I{ind.number:02d}"
        assert ind.opd and ind.source_url.startswith("https://")
    assert sum(i.max_points for i in rb.indicators) == 1000
    assert [g.label for g in rb.groups][0] == "Kelembagaan"
    assert not rb.weights_official and rb.weights_label == "bobot ilustratif"
    # #1-#6 are verified (KemenPPPA deck); #7-#24 carry the label from the figure, official text unchecked
    assert {i.status for i in rb.indicators if i.number <= 6} == {"terverifikasi"}
    assert {i.status for i in rb.indicators if i.number > 6} == {
        "label dari paparan KemenPPPA; teks resmi perlu verifikasi"
    }
    # the crosswalk feeds the right indicators: stunting and wasting → #13, PMBA/ASI → #14, births → #12
    feeds = {(r.measure, rb.indicator(r.indicator).number) for r in rb.crosswalk}
    assert {("stunting_prevalence", 13), ("wasting_prevalence", 13), ("exclusive_breastfeeding", 14)} <= feeds
    assert ("facility_births", 12) in feeds


def test_suite_rulebook_has_unequal_weights_and_is_valid(raw: dict) -> None:
    rb = parse_rulebook(raw)
    assert len(rb.indicators) == 24
    assert sum(i.max_points for i in rb.indicators) == 1000
    assert len({i.max_points for i in rb.indicators}) > 5, "the suite must not run on near-equal weights"
    assert rb.key != load_rulebook(SHIPPED).key


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
