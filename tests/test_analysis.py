"""Pure builders of the analysis pages, the measure queries and the plan CLI."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from kla.core.catalog import CROSSWALK
from kla.core.config import load_city
from kla.core.rulebook import load_rulebook
from kla.read import analysis as analysis_data
from kla.read import repository
from kla.read.db import connect_readonly
from kla.views import analysis, overview
from tests.cli import run_kla

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def con(built_db: Path):
    c = connect_readonly(built_db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def rb(con):
    return analysis_data.rulebook_with_crosswalk(con)


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("DP3AKB (UPTD PPA)", ["DP3AKB"]),
        ("Kemenag (KUA); Pengadilan Agama; DP3AKB", ["Kemenag", "Pengadilan Agama", "DP3AKB"]),
        ("Dinas PUPR/Perkim; Dinas Kesehatan", ["Dinas PUPR/Perkim", "Dinas Kesehatan"]),
        ("", []),
    ],
)
def test_opd_names(cell: str, names: list[str]) -> None:
    assert analysis.opd_names(cell) == names


def test_crosswalk_survives_the_build(rb) -> None:
    # KemenPPPA numbering: stunting and wasting feed #13 (gizi), ASI eksklusif #14, persalinan di faskes #12
    linked = {(r.indicator, r.measure) for r in rb.crosswalk}
    assert linked >= {
        ("I13", "stunting_prevalence"),
        ("I13", "wasting_prevalence"),
        ("I14", "exclusive_breastfeeding"),
        ("I12", "facility_births"),
    }
    # the rules read back from the database are the ones in the active rulebook file
    source = load_rulebook(load_city().rulebook).crosswalk

    def key(r) -> tuple:
        return (r.indicator, r.measure, tuple(map(tuple, r.steps)), r.otherwise)

    assert sorted(map(key, rb.crosswalk)) == sorted(map(key, source))


def test_indicator_table_and_opd_view_add_up(con, rb) -> None:
    frame = repository.kla_scores(con, year=2025, area="36.73")
    table = analysis.indicator_table(frame, rb)
    assert table["Maks"].sum() == pytest.approx(1000)
    assert (table["Poin"] + table["Hilang"] == table["Maks"]).all()
    dinkes = analysis.opd_indicators(table, "Dinas Kesehatan")
    expected = {i.code for i in rb.indicators if "Dinas Kesehatan" in i.opd}
    assert set(dinkes["Kode"]) == expected
    assert dinkes["Hilang"].is_monotonic_decreasing
    # every OPD named in the rulebook appears in the list
    assert {n for i in rb.indicators for n in analysis.opd_names(i.opd)} == set(analysis.opd_list(rb))


def test_waterfall_runs_from_maximum_to_total(con, rb) -> None:
    frame = repository.kla_scores(con, year=2025, area="36.73")
    summary = overview.summary_for(frame, rb, year=2025, area="36.73")
    steps = analysis.waterfall_steps(summary, 1000)
    assert steps[0] == ("Maksimum", 1000.0)
    assert 1000 + sum(v for _, v in steps[1:]) == pytest.approx(summary.total)


def test_kecamatan_table_and_pull_down(con, rb) -> None:
    table = analysis.group_pct_table(analysis_data.area_scores(con, year=2025), rb)
    assert set(table["level"]) == {"kota", "kecamatan"} and (table["level"] == "kecamatan").sum() == 6
    pull = analysis.pull_down(table, rb, "36.73")
    city = table[table["area_code"] == "36.73"].iloc[0]
    for row in pull.itertuples(index=False):
        named = re.findall(r"\((\d{1,3},\d)%\)", row[2])  # Indonesian: one decimal after a comma
        assert all(float(v.replace(",", ".")) < city[row.Klaster] for v in named)
        below = table[(table["level"] == "kecamatan") & (table[row.Klaster] < city[row.Klaster])]
        assert len(named) == len(below)


def test_measures_keep_survey_and_routine_apart(con) -> None:
    values = analysis_data.measure_values(con)
    assert set(values["series"]) <= {"survei", "rutin"}
    stunting_city = values[(values["measure"] == "stunting_prevalence") & (values["area_code"] == "36.73")]
    survey = stunting_city[stunting_city["series"] == "survei"]
    assert not survey.empty and survey["source"].str.startswith("angka terbitan").all()
    latest = analysis.latest_measures(values)
    now = analysis.current_value(latest, "36.73", "stunting_prevalence")
    assert now["series"] == "survei"  # the official survey figure is preferred when there is one


def test_nutrition_query_uses_the_catalogue_columns() -> None:
    sql = (ROOT / "kla/read/sql/analysis_measures_nutrition.sql").read_text()
    for code, m in CROSSWALK.items():
        if m.nutrition:
            num, den = m.nutrition
            assert re.search(rf"'{code}'.*?100\.0 \* {num} / {den}", sql, re.S), code


def test_history_has_published_categories_and_sample_scores(con, rb) -> None:
    points = analysis.history(
        analysis_data.published(con, area="36.73"), analysis_data.area_totals(con, area="36.73"), rb
    )
    by_year = {p.year: p for p in points}
    assert [by_year[y].category for y in (2019, 2021, 2023)] == ["Pratama"] * 3
    assert by_year[2025].category is None and by_year[2025].total is not None and by_year[2025].sample


def test_nutrition_series_are_never_merged() -> None:
    pub = pd.DataFrame(
        {
            "indicator": ["stunting_prevalence_survey", "stunting_prevalence_routine", "stunting_cases_routine"],
            "period": ["2023", "2024-06", "2023"],
            "value": [22.3, 4.1, 1214.0],
        }
    )
    series = analysis.nutrition_series(pub)
    assert [(s[1], s[2]) for s in series] == [("percent", "survei"), ("percent", "rutin"), ("count", "rutin")]
    assert all(len(s[3]) == 1 for s in series)


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return run_kla("plan", *args, "--db", str(db), timeout=120)


def test_plan_cli_json_matches_the_planner(built_db: Path) -> None:
    out = _cli("--year", "2025", "--json", db=built_db)
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["target"] == "Madya" and plan["reachable"] and plan["sample"]
    assert plan["new_total"] >= 601 and plan["slack"] == pytest.approx(plan["new_total"] - 601)
    assert plan["total_effort"] == pytest.approx(sum(s["effort"] for s in plan["steps"]))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--target", "Pratama"], "sudah berada"),
        (["--target", "Belum berpredikat"], "di bawah kategori"),
        (["--lock", ",".join(f"I{n:02d}" for n in range(1, 24))], "tidak bisa dicapai"),
        (["--year", "1999"], "Belum ada nilai"),
    ],
)
def test_plan_cli_refusals_exit_2_with_a_clear_message(built_db: Path, args: list[str], fragment: str) -> None:
    before = built_db.read_bytes()
    base = ["--year", "2025"] if "--year" not in args else []
    out = _cli(*base, *args, db=built_db)
    assert out.returncode == 2
    assert fragment in out.stderr and "Traceback" not in out.stderr
    assert built_db.read_bytes() == before


def test_plan_cli_bad_difficulty_file(built_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "k.csv"
    f.write_text("kode_indikator,kesulitan\nI11,9\nX1,2\n", encoding="utf-8")
    out = _cli("--year", "2025", "--difficulty", str(f), db=built_db)
    assert out.returncode == 2 and "di luar 1–5" in out.stderr and "X1" in out.stderr


def test_yearly_totals_and_monthly_snapshots_are_never_one_line() -> None:
    import pandas as pd

    from kla.views.analysis import nutrition_series

    published = pd.DataFrame(
        {
            "indicator": ["stunting_cases_routine"] * 4 + ["stunting_prevalence_survey"],
            "period": ["2021", "2022", "2021-06", "2024-07", "2023"],
            "value": [1951.0, 1536.0, 2794.0, 732.0, 22.3],
        }
    )
    series = {label: (periods, values) for label, _kind, _ser, periods, values in nutrition_series(published)}
    yearly = next(k for k in series if "total tahunan" in k)
    monthly = next(k for k in series if "sesaat per bulan" in k)
    assert series[yearly] == (["2021", "2022"], [1951.0, 1536.0])
    assert series[monthly] == (["2021-06", "2024-07"], [2794.0, 732.0])
    survey = [k for k in series if "survei" in k]
    assert len(survey) == 1 and "tahunan" not in survey[0], "a series with one granularity keeps its plain label"


def test_opd_summary_sentence_uses_indonesian_numbers() -> None:
    summary = analysis.OpdSummary("Dinkes", 3, 52.5, 123.0, (), ())
    assert summary.lines(year=2025, weights_label="bobot ilustratif")[0] == (
        "Dinkes: 3 indikator KLA, 52,5 dari 123 poin pada 2025 (hilang 70,5 poin; bobot ilustratif)."
    )
