"""What-if scoring and saved scenarios (pure functions and the scenario store in the city's records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kla.core import crosswalk, whatif
from kla.core.config import load_city
from kla.core.errors import ValidationError
from kla.core.rulebook import Rulebook, load_rulebook
from kla.ingest import build
from kla.ingest.scenarios import delete_scenario, rename_scenario, save_scenario
from kla.read import analysis as analysis_data
from kla.read import records


@pytest.fixture(scope="module")
def rb() -> Rulebook:
    return load_rulebook(load_city().rulebook)


def test_clamp_fills_missing_and_bounds_values(rb: Rulebook) -> None:
    out = whatif.clamp({"I01": 99.0, "I02": -3.0}, rb)
    assert set(out) == set(rb.codes)
    assert out["I01"] == rb.indicator("I01").max_points and out["I02"] == 0.0 and out["I03"] == 0.0


@pytest.mark.parametrize("code", ["I01", "I07", "I13", "I14", "I24"])
def test_step_is_the_smallest_level_gap(rb: Rulebook, code: str) -> None:
    ind = rb.indicator(code)
    gaps = [b - a for a, b in zip(ind.levels, ind.levels[1:], strict=False)]
    assert whatif.step_for(ind) == pytest.approx(min(gaps))


def test_step_on_uneven_levels_is_the_smallest_gap_not_the_average(rb: Rulebook) -> None:
    ind = rb.indicator("I13")  # gizi balita: levels 0, 10, 25, 45, 70 in the test rulebook
    assert ind.levels == (0, 10, 25, 45, 70)
    assert whatif.step_for(ind) == pytest.approx(10)  # not 70 / 4 = 17.5


@pytest.mark.parametrize(("raised", "category"), [((), "Pratama"), (("I01", "I02", "I03", "I20", "I04"), "Madya")])
def test_evaluate_category_follows_total(rb: Rulebook, raised: tuple[str, ...], category: str) -> None:
    # levels[2] is half the maximum on the default quarter levels (500 over the whole rulebook), and on the
    # uneven ones I01 40/60 (+10), I07 35/35 (+17.5), I11 30/45 (+7.5), I12 20/30 (+5), I13 25/70 (−10),
    # I14 14/35 (−3.5): 526.5 → Pratama
    points = {i.code: float(i.levels[2]) for i in rb.indicators}
    assert sum(points.values()) == pytest.approx(526.5)
    for code in raised:  # I01 +20, I02 +27.5, I03 +22.5, I20 +15, I04 +25 = +110 → 636.5 → Madya
        points[code] = rb.indicator(code).max_points
    assert sum(points.values()) == pytest.approx(636.5 if raised else 526.5)
    s = whatif.evaluate(points, rb, year=2025, area="x")
    assert s.category == category
    assert s.total == pytest.approx(sum(points.values()))


def test_measure_inputs_use_the_same_rule_as_the_crosswalk(rb: Rulebook) -> None:
    base = {i.code: float(i.levels[1]) for i in rb.indicators}
    rule = next(r for r in rb.crosswalk if r.measure == "stunting_prevalence")
    assert rule.indicator == "I13"  # KemenPPPA #13: prevalensi gizi balita
    # test rulebook: stunting ≤ 14 → 70, ≤ 17 → 45, ≤ 20 → 25, ≤ 25 → 10, otherwise 0
    for value, expected in ((10.0, 70.0), (15.0, 45.0), (19.0, 25.0), (24.0, 10.0), (40.0, 0.0)):
        out = whatif.with_measures(base, rb, {"stunting_prevalence": value})
        assert out["I13"] == expected == crosswalk.points_for(rule, value)
        assert {k: v for k, v in out.items() if k != "I13"} == {k: v for k, v in base.items() if k != "I13"}


def test_comparison_lists_only_changed_indicators(rb: Rulebook) -> None:
    base = {i.code: float(i.levels[1]) for i in rb.indicators}
    top = rb.indicator("I19").max_points
    scen = dict(base, I19=top, I07=0.0)
    frame = whatif.comparison(base, scen, rb)
    # test rulebook: I19 10 → 40 (+30), I07 17.5 → 0 (−17.5)
    assert frame["No"].tolist() == [19, 7]  # biggest change first
    assert frame["Selisih"].tolist() == [pytest.approx(30.0), pytest.approx(-17.5)]
    assert frame["Selisih"].tolist() == [pytest.approx(top - base["I19"]), pytest.approx(-base["I07"])]


@pytest.mark.parametrize(
    ("name", "points", "fragment"),
    [
        ("", {"I01": 1.0}, "wajib diisi"),
        ("x" * 61, {"I01": 1.0}, "terlalu panjang"),
        ("ok", {"I99": 1.0}, "tak dikenal"),
        ("ok", {"I01": 99.0}, "di luar"),
    ],
)
def test_bad_scenarios_are_refused_and_change_nothing(
    db_copy: Path, private_records: Path, rb: Rulebook, name: str, points: dict, fragment: str
) -> None:
    store_path = records.scenarios_path()
    _save(None, rb, "Ada")
    before, db_before = store_path.read_bytes(), db_copy.read_bytes()
    with pytest.raises(ValidationError, match=fragment):
        save_scenario(None, name=name, year=2025, area="36.73", points=points, base={}, rulebook=rb)
    assert store_path.read_bytes() == before and db_copy.read_bytes() == db_before


def test_saved_scenario_reads_back(db_copy: Path, private_records: Path, rb: Rulebook) -> None:
    pts = {i.code: float(i.levels[2]) for i in rb.indicators}
    db_before = db_copy.read_bytes()
    save_scenario(None, name="  Semua  setengah ", year=2025, area="36.73", points=pts, base=pts, rulebook=rb)
    assert records.scenarios_path() == private_records / "scenarios.json"
    listed = analysis_data.scenarios()
    assert listed["name"].tolist() == ["Semua setengah"]
    assert listed["total"].iloc[0] == pytest.approx(sum(pts.values())) and listed["n_changed"].iloc[0] == 0
    assert analysis_data.scenario_points(None, name="Semua setengah", year=2025, area="36.73") == pts
    assert db_copy.read_bytes() == db_before  # the database is not where scenarios live


def _save(path: Path | None, rb: Rulebook, name: str) -> dict[str, float]:
    pts = {i.code: float(i.levels[2]) for i in rb.indicators}
    save_scenario(path, name=name, year=2025, area="36.73", points=pts, base=pts, rulebook=rb)
    return pts


def _names() -> list[str]:
    return sorted(analysis_data.scenarios()["name"])


def test_rename_scenario_moves_points(rb: Rulebook) -> None:
    pts = _save(None, rb, "Lama")
    _save(None, rb, "Lain")
    assert rename_scenario(None, name="Lama", year=2025, area="36.73", new_name=" Baru  sekali ") == ("Baru sekali")
    assert _names() == ["Baru sekali", "Lain"]
    assert analysis_data.scenario_points(None, name="Baru sekali", year=2025, area="36.73") == pts
    assert analysis_data.scenario_points(None, name="Lama", year=2025, area="36.73") == {}


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [("Lama", "Lain", "sudah ada"), ("Tidak ada", "X", "tidak ditemukan"), ("Lama", "  ", "wajib diisi")],
)
def test_bad_rename_changes_nothing(rb: Rulebook, old: str, new: str, fragment: str) -> None:
    _save(None, rb, "Lama")
    _save(None, rb, "Lain")
    before = records.scenarios_path().read_bytes()
    with pytest.raises(ValidationError, match=fragment):
        rename_scenario(None, name=old, year=2025, area="36.73", new_name=new)
    assert records.scenarios_path().read_bytes() == before


def test_delete_scenario_removes_it_and_it_stays_deleted_after_rebuild(
    db_copy: Path, rb: Rulebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    _save(None, rb, "Hapus saya")
    _save(None, rb, "Simpan saya")
    delete_scenario(None, name="Hapus saya", year=2025, area="36.73")
    assert _names() == ["Simpan saya"]
    monkeypatch.setenv("KLA_DB", str(db_copy))
    build.build(db_copy)
    assert _names() == ["Simpan saya"]
    before = records.scenarios_path().read_bytes()
    with pytest.raises(ValidationError, match="tidak ditemukan"):
        delete_scenario(None, name="Hapus saya", year=2025, area="36.73")
    assert records.scenarios_path().read_bytes() == before
