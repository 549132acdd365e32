"""Aggregation, rates, flags and the sample/real separation, checked against hand-computed values."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from kla.core import anthro, puskesmas, quality, rates, suppression
from kla.core.rates import wilson
from kla.figures import nutrition as nutrition_figures
from kla.ingest.nutrition import import_eppgbm, import_rekap
from kla.read import nutrition as nutrition_read
from kla.read.db import connect_readonly
from kla.views import nutrition as nutrition_view
from kla.views import published as published_view
from tests.fixtures.nutrition import row, write_csv

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "3_Gizi_Anak.py")


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [  # reference values: Wilson (1927) score interval, z = 1.96 (e.g. Newcombe 1998, table I)
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval(k: int, n: int, lo: float, hi: float) -> None:
    p, a, b = wilson(np.array([k]), np.array([n]))
    assert p[0] == pytest.approx(k / n)
    assert a[0] == pytest.approx(lo, abs=1e-4) and b[0] == pytest.approx(hi, abs=1e-4)


def test_one_wilson_z_of_1_96() -> None:
    """One interval, one z for the whole dashboard (issue 10): 1.96, as printed in reports."""
    assert rates.Z95 == 1.96
    assert wilson.__defaults__ == (1.96,)


def test_wilson_zero_denominator_is_missing() -> None:
    p, a, b = wilson(np.array([0]), np.array([0]))
    assert np.isnan(p[0]) and np.isnan(a[0]) and np.isnan(b[0])


def test_suppress_small_counts() -> None:
    d = pd.DataFrame({"a": [0, 1, 4, 5, 120]})
    assert rates.suppress_small(d, ["a"])["a"].tolist() == [0, pd.NA, pd.NA, 5, 120]


def agg(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return nutrition_read.agg_frame(con)
    finally:
        con.close()


def _who_height(sex: int, age: int, z: float) -> float:
    lam, m, s = anthro.tables()["lhfa"].lms[sex - 1, age]
    return round(m * (1 + s * z), 1)


def test_counts_by_level_match_an_independent_count(db_copy: Path, tmp_path: Path) -> None:
    """Build children with known HAZ in two kelurahan of two kecamatan; compare every total."""
    age = 700  # 2022-07-11 -> 2024-06-10
    plan = [  # (kecamatan, kelurahan, code, kec code, list of HAZ)
        ("SERANG", "KAGUNGAN", "36.73.01.1012", "36.73.01", [-3.5, -2.5, -2.2, -1.0, 0.0, 0.5]),
        ("SERANG", "CIPARE", "36.73.01.1002", "36.73.01", [-2.1, 0.0, 1.0, 1.0]),
        ("KASEMEN", "KILASAH", "36.73.02.1009", "36.73.02", [-3.2, -3.1, -0.5, -7.0]),  # -7: implausible
    ]
    rows, expect = [], []
    i = 0
    for kec, kel, code, kcode, zs in plan:
        for z in zs:
            h = _who_height(1, age, z)
            rows.append(
                row(
                    i,
                    kec=kec,
                    kel=kel,
                    lahir="2022-07-11",
                    ukur="2024-06-10",
                    tinggi=f"{h}".replace(".", ","),
                    cara="Terlentang",
                    berat="10,5",
                )
            )
            expect.append((code, kcode, z))
            i += 1
    # the same child measured again later that month: counted once (the later measurement)
    again = row(
        0,
        kec="SERANG",
        kel="KAGUNGAN",
        lahir="2022-07-11",
        ukur="2024-06-25",
        tinggi=f"{_who_height(1, 715, 0.1)}".replace(".", ","),
        cara="Terlentang",
        berat="10,5",
    )
    rows.append(again)
    expect[0] = ("36.73.01.1012", "36.73.01", 0.1)
    rep = import_eppgbm(write_csv(tmp_path / "known.csv", rows), db_copy)
    assert rep.rows_imported == len(rows)
    ex = pd.DataFrame(expect, columns=["kel", "kec", "z"])
    ex["plausible"] = ex.z >= -6
    ex["stunted"] = ex.plausible & (ex.z < -2)
    ex["severe"] = ex.plausible & (ex.z < -3)
    a = agg(db_copy)
    a = a[(a.source_type == "eppgbm") & (a.period == "2024-06-01")]
    assert set(a.source_kind) == {"imported"}  # the sample is no longer used once real data exist

    def check(level: str, code: str, sub: pd.DataFrame) -> None:
        r = a[(a.level == level) & (a.area_code == code)].iloc[0]
        assert r.measured == len(sub)
        assert r.n_haz == sub.plausible.sum()
        assert r.stunted == sub.stunted.sum()
        assert r.severe_stunted == sub.severe.sum()
        assert r.implausible_haz == (~sub.plausible).sum()
        assert r.stunting_pct == pytest.approx(100 * sub.stunted.sum() / sub.plausible.sum())

    for code in ex.kel.unique():
        check("kelurahan", code, ex[ex.kel == code])
    for code in ex.kec.unique():
        check("kecamatan", code, ex[ex.kec == code])
    check("kota", "36.73", ex)
    pkm = a[a.level == "puskesmas"]
    assert pkm.measured.sum() == len(ex)  # every measurement has a puskesmas in the fixture
    assert a[a.level == "kota"].iloc[0].flag_small_n  # 14 children < 30


def test_rekap_sasaran_gives_coverage_and_conflicts_are_flagged(db_copy: Path, tmp_path: Path) -> None:
    rows = [row(i, kec="SERANG", kel="KAGUNGAN", ukur="2024-06-10", lahir="2022-01-15") for i in range(40)]
    import_eppgbm(write_csv(tmp_path / "e.csv", rows), db_copy)
    rekap = tmp_path / "rekap.csv"
    rekap.write_text(
        "Periode;Kecamatan;Kelurahan;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
        "BB Kurang;BB Sangat Kurang\n"
        "2024-06;Serang;Kagungan;100;40;0;0;0;0;0;0\n",
        encoding="utf-8",
    )
    rep = import_rekap(rekap, db_copy)
    assert rep.rows_imported == 1 and not rep.problems
    a = agg(db_copy)
    e = a[(a.source_type == "eppgbm") & (a.area_code == "36.73.01.1012") & (a.period == "2024-06-01")].iloc[0]
    assert e.sasaran == 100 and e.coverage_pct == pytest.approx(40.0) and e.flag_low_coverage
    assert not e.flag_conflict  # same measured count, same stunted count
    rekap2 = tmp_path / "rekap2.csv"
    rekap2.write_text(
        rekap.read_text().splitlines()[0] + "\n2024-06;Serang;Kagungan;100;70;12;3;0;0;0;0\n", encoding="utf-8"
    )
    import_rekap(rekap2, db_copy)
    a = agg(db_copy)
    flagged = a[(a.area_code == "36.73.01.1012") & (a.period == "2024-06-01")]
    assert flagged.flag_conflict.all()
    r = flagged[flagged.source_type == "rekap"].iloc[0]
    assert r.measured == 70  # the later recap wins for its source type
    kec = a[(a.source_type == "rekap") & (a.area_code == "36.73.01") & (a.period == "2024-06-01")].iloc[0]
    assert kec.flag_conflict


def test_zero_filled_recap_flagged(db_copy: Path, tmp_path: Path) -> None:
    rekap = tmp_path / "nol.csv"
    rekap.write_text(
        "Bulan;Tahun;Kecamatan;Puskesmas;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
        "BB Kurang;BB Sangat Kurang\n"
        "Mei;2024;Kasemen;Kilasah;900;0;0;0;0;0;0;0\n"
        "Mei;2024;Kasemen;Kasemen;1200;1100;80;20;30;5;40;6\n",
        encoding="utf-8",
    )
    import_rekap(rekap, db_copy)
    a = agg(db_copy)
    a = a[(a.source_type == "rekap") & (a.period == "2024-05-01")]
    zero = a[a.area_name == "Puskesmas Kilasah"].iloc[0]
    assert zero.flag_zero and zero.level == "puskesmas"
    kec = a[(a.level == "kecamatan") & (a.area_code == "36.73.02")].iloc[0]
    assert kec.measured == 1100 and kec.stunted == 100 and kec.sasaran == 2100


def test_sample_is_labelled_and_counts_from_shipped_aggregate(built_db: Path) -> None:
    con = duckdb.connect(str(built_db), read_only=True)
    kinds = con.execute(
        "SELECT DISTINCT p.kind, p.note FROM nutrition_base JOIN provenance p USING (source_id)"
    ).fetchall()
    con.close()
    assert kinds and all(k == "sample" and note.startswith("DATA CONTOH") for k, note in kinds)
    a = agg(built_db)
    assert set(a.source_kind) == {"sample"}
    months = a[a.level == "kelurahan"].groupby("area_code").period.nunique()
    assert len(months) == 67 and months.min() == 36  # 67 kelurahan, monthly 2023-2025


def test_rebuild_keeps_imported_measurements(db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kla.ingest import build

    rep = import_eppgbm(write_csv(tmp_path / "keep.csv", [row(i) for i in range(35)]), db_copy)
    build.build(db_copy)
    con = duckdb.connect(str(db_copy), read_only=True)
    n = con.execute("SELECT count(*) FROM measurement").fetchall()[0][0]
    prov = con.execute("SELECT count(*) FROM provenance WHERE sha256 = ?", [rep.sha256]).fetchall()[0][0]
    base = con.execute(
        "SELECT count(*) FROM nutrition_base b JOIN provenance p USING (source_id) WHERE p.kind = 'imported'"
    ).fetchall()[0][0]
    con.close()
    assert n == 35 and prov == 1 and base > 0


# ----------------------------------------------------------------------------- the page
@pytest.fixture
def page(app_env: Path) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    return at


def test_page_renders_sample_with_labels(page: AppTest) -> None:
    assert not page.exception and not page.error
    assert any("DATA CONTOH" in w.value for w in page.warning)
    assert len(page.get("plotly_chart")) == 4
    titles = [s.value for s in page.subheader]
    assert "Angka terbitan dan sumbernya" in titles


def test_page_area_selection_filters(page: AppTest) -> None:
    """A kecamatan filters the kelurahan ranking to its own kelurahan, keeping citywide ranks."""
    page.selectbox(key="gizi_wilayah").set_value("36.73.02").run()
    assert not page.exception
    assert page.radio(key=nutrition_view.RANK_LEVEL_KEY).value == "kelurahan"
    table = page.dataframe[0].value  # the ranking table comes first
    assert len(table) == 10  # the 10 kelurahan of Kasemen
    assert set(table["Kecamatan"]) == {"Kasemen"}
    assert "Cakupan" in table.columns and "Catatan mutu data" in table.columns
    ranks = [int(r) for r in table["Peringkat"] if r != "–"]
    assert max(ranks) > 10, "ranks are citywide (of 67), not 1..10 within the kecamatan"
    chart = _chart(page, "Peringkat")
    assert chart.layout.title.text.startswith("Peringkat kelurahan di Kec. Kasemen (peringkat se-kota)")


def test_page_every_measure(page: AppTest) -> None:
    from kla.core.catalog import RATES

    assert list(RATES) == ["stunting", "severe_stunting", "wasting", "severe_wasting", "underweight"]
    for m in RATES:
        page.selectbox(key="gizi_ukuran").set_value(m).run()
        assert not page.exception, m


def test_page_warm_render_time(app_env: Path) -> None:
    """Measured, reported in the closing note; asserted loosely so a slow CI box does not flake."""
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    assert not at.exception
    print(f"Gizi Anak warm render: median {sorted(times)[1]:.3f} s")
    assert sorted(times)[1] < 3.0
    st.cache_data.clear()


# ----------------------------------------------------------------------------- the sample generator
def test_sample_generator_is_deterministic_and_realistic() -> None:
    from kla.ingest import sample_nutrition as sn

    a = sn.generate(scale=0.02)
    b = sn.generate(scale=0.02)
    pd.testing.assert_frame_equal(a, b)
    assert a["kelurahan_code"].nunique() == 67
    months = a["measure_date"].dt.to_period("M")
    assert str(months.min()) == "2023-01" and str(months.max()) == "2025-12"
    age = (a["measure_date"] - a["birth"]).dt.days
    assert age.between(0, anthro.MAX_AGE_DAYS).all()
    z = anthro.zscores(
        a["sex"].to_numpy(),
        age.to_numpy(),
        a["weight_kg"].to_numpy(),
        a["height_cm"].to_numpy(),
        a["position"].to_numpy(),
    )
    stunting = anthro.stunted(z["class_haz"]).mean()
    assert 0.02 < stunting < 0.10  # routine e-PPGBM level (about 4%), far below the survey's 22%


def test_messy_sample_export_imports_with_problems_reported(db_copy: Path, tmp_path: Path) -> None:
    from kla.ingest import sample_export
    from kla.ingest import sample_nutrition as sn

    g = sn.generate(scale=0.01, max_rows=3000)
    ex = sample_export.to_export(g, messy=True)
    path = tmp_path / "contoh.csv"
    sample_export.write_csv(ex, path)
    rep = import_eppgbm(path, db_copy)
    assert rep.rows_total == len(ex)
    assert 0 < rep.rows_rejected < 0.05 * len(ex)
    assert rep.stats["nik_missing"] > 0 and rep.stats["implausible"]["haz"] > 0
    # an unknown area unlike any known name is counted, its text not shown (it could be a name)
    assert any(u["kelurahan"] == "(tidak ditampilkan)" for u in rep.stats["unmatched_areas"])
    assert rep.stats["export_zscore_disagreement"]["haz"]["over_0_1"] > 0  # the export's own ZS TB/U was altered
    raw = db_copy.read_bytes()
    for value in ex["NIK"].head(200):
        if value:
            assert value.encode() not in raw
    for value in ex["Nama"].head(200):
        assert value.encode() not in raw


def _rank_rows(**over: list) -> pd.DataFrame:
    """Three kelurahan for the ranking builders; columns as in ``nutrition_agg``."""
    base = {
        "area_code": ["36.73.01.1001", "36.73.01.1002", "36.73.01.1003"],
        "area_name": ["A", "B", "C"],
        "parent_code": ["36.73.01"] * 3,
        "level": ["kelurahan"] * 3,
        "stunted": [3, 40, 0],
        "n_haz": [100, 400, 50],
        "measured": [100, 400, 50],
        "sasaran": [120, 420, 60],
        "severe_stunted": [0, 5, 0],
        "n_whz": [100, 400, 50],
        "wasted": [0, 0, 0],
        "severe_wasted": [0, 0, 0],
        "n_waz": [100, 400, 50],
        "underweight": [0, 0, 0],
        "flag_low_coverage": [True, False, True],
        "flag_small_n": [False, False, False],
        "flag_conflict": [False, False, False],
        "flag_zero": [False, False, False],
        "implausible_haz": [0, 0, 0],
        "implausible_whz": [0, 0, 0],
        "implausible_waz": [0, 0, 0],
    }
    base.update(over)
    return rates.add_rates(pd.DataFrame(base))


def test_ranking_outputs_hide_counts_under_five() -> None:
    """Chart, table and CSV download: 3 cases show neither the count, the rate, its CI nor a rank."""
    rows = _rank_rows()
    fig = nutrition_figures.ranking_figure(
        rows, measure="stunting", level_label="kelurahan", month="Jun 2024", source_label="e-PPGBM", sample=False
    )
    bar = fig.data[0]
    by_name = dict(zip(bar.y, bar.x, strict=True))
    assert "A" not in by_name  # 3 cases: not drawn at all
    assert by_name["B"] == pytest.approx(10.0) and by_name["C"] == pytest.approx(0.0)
    assert "1 kelurahan dengan 1–4 kasus disamarkan" in fig.layout.title.subtitle.text
    assert list(fig.data[1].y) == list(bar.y) == ["C", "B"]  # the labels beside the bars: A has none
    assert fig.data[1].text[1].strip().startswith("10,0% · n=400 · cakupan 95%")

    table = nutrition_view.ranking_table(rows, measure="stunting")
    a = table[table["Wilayah"] == "A"].iloc[0]
    assert a["Kasus"] == "< 5" and a["Prevalensi"] == suppression.HIDDEN_RATE_TEXT and a["IK 95%"] == "–"
    assert "3,0" not in " ".join(a.astype(str))
    b = table[table["Wilayah"] == "B"].iloc[0]
    assert b["Prevalensi"] == "10,0%" and b["Kasus"] == "40" and b["Cakupan"] == "95%"

    csv = nutrition_view.ranking_csv(table, month="Jun 2024", source_label="e-PPGBM — DATA CONTOH")
    shared = pd.read_csv(io.BytesIO(csv), sep=";", dtype=str, encoding="utf-8-sig")
    a = shared[shared["Wilayah"] == "A"].iloc[0]
    assert a["Kasus"] == "< 5" and a["Prevalensi"] == suppression.HIDDEN_RATE_TEXT
    assert set(shared["Sumber"]) == {"e-PPGBM — DATA CONTOH"} and set(shared["Bulan"]) == {"Jun 2024"}


def test_ranking_small_counts_in_every_count_column() -> None:
    """Denominators, measured and excluded counts of 1-4 are hidden too (one rule for all counts)."""
    rows = _rank_rows(
        n_haz=[100, 400, 3],
        measured=[100, 400, 3],
        stunted=[3, 40, 0],
        implausible_haz=[0, 2, 0],
        sasaran=[120, 420, 4],
    )
    table = nutrition_view.ranking_table(rows, measure="stunting").set_index("Wilayah")
    assert table.loc["C", "Anak dengan z-score sah"] == "< 5" and table.loc["C", "Diukur"] == "< 5"
    assert table.loc["C", "Sasaran"] == "< 5"
    assert table.loc["B", "Dikeluarkan (tak masuk akal)"] == "< 5"


def test_routine_trend_hides_months_with_one_to_four_cases() -> None:
    """A downloadable chart must not reveal counts under 5: neither the count nor its rate."""
    import pandas as pd

    periods = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])
    rows = pd.DataFrame(
        {
            "period": periods,
            "severe_wasted": [3, 12, 0],
            "n_whz": [200, 210, 190],
        }
    )
    rows = rates.add_rates(
        rows.assign(
            stunted=0, severe_stunted=0, wasted=0, underweight=0, n_haz=200, n_waz=200, measured=200, sasaran=220
        )
    )
    for flag in quality.FLAG_LABELS:
        rows[flag] = False
    fig = nutrition_figures.routine_trend_figure(
        rows, measure="severe_wasting", area_name="Kilasah", source_label="uji", sample=True
    )
    line = next(t for t in fig.data if t.type == "scatter" and t.mode == "lines+markers")
    bars = next(t for t in fig.data if t.type == "bar")
    assert pd.isna(line.y[0]) and pd.isna(bars.y[0]), "3 cases: no rate, no bar"
    assert line.y[1] == pytest.approx(100 * 12 / 210) and bars.y[1] == 12
    assert line.y[2] == 0 and bars.y[2] == 0, "zero is not suppressed"
    assert "3" not in str(line.customdata[0][0]) and "disamarkan" in str(line.customdata[0][0])


@pytest.mark.parametrize(
    ("when", "label"), [("2025-12-01", "Des 2025"), ("2024-05-15", "Mei 2024"), ("2023-08-01", "Agu 2023")]
)
def test_month_labels_are_indonesian(when: str, label: str) -> None:
    from kla.core.fmt import month_label

    assert month_label(when) == label


# ----------------------------------------------------------------------------- helpers for the page tests
def _chart(at: AppTest, title_start: str) -> go.Figure:
    """The figure (typed arrays decoded) of the chart whose title starts with ``title_start``."""
    for c in at.get("plotly_chart"):
        fig = pio.from_json(c.proto.spec, skip_invalid=True)
        if fig.layout.title.text.startswith(title_start):
            for trace in fig.data:  # plotly sends numeric arrays base64-encoded
                for attr in ("x", "y"):
                    value = getattr(trace, attr, None)
                    if isinstance(value, dict) and "bdata" in value:
                        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
                        setattr(trace, attr, raw.tolist())
            return fig
    raise AssertionError(f"no chart titled {title_start!r}")


def _shown_text(at: AppTest) -> str:
    """Every metric, markdown, warning, info, caption and table cell the page shows, as one text."""
    parts = [f"{m.label} {m.value} {m.proto.help}" for m in at.metric]
    parts += [e.value for e in (*at.markdown, *at.warning, *at.info, *at.caption)]
    for df in at.dataframe:
        parts.append(df.value.astype(str).to_string())
    return "\n".join(parts)


def _env(monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
    monkeypatch.setenv("KLA_DB", str(db))
    monkeypatch.setenv("KLA_AUTO_BUILD", "0")
    st.cache_data.clear()
    st.cache_resource.clear()


# ----------------------------------------------------------------------------- numbers and suppression (gaps 3, 4)
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: suppression.fmt_pct(4.2), "4,2%"),
        (lambda: suppression.fmt_pct(95.03, 0), "95%"),
        (lambda: suppression.fmt_num(58623), "58.623"),
        (lambda: suppression.fmt_num(1234567.891, 2), "1.234.567,89"),
        (lambda: suppression.fmt_ci(4.0, 4.4), "IK 95%: 4,0–4,4%"),
        (lambda: suppression.fmt_count(4), "< 5"),
        (lambda: suppression.fmt_count(5), "5"),
        (lambda: suppression.fmt_count(0), "0"),
        (lambda: suppression.fmt_count(float("nan")), "–"),
        (lambda: suppression.fmt_rate(4, 0.58), "< 5 kasus (disamarkan)"),
        (lambda: suppression.fmt_rate(0, 0.0), "0,0%"),
    ],
)
def test_indonesian_numbers_and_one_suppression_rule(call, expected: str) -> None:
    assert call() == expected


def test_suppression_follows_the_privacy_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule: the threshold is kla.core.privacy.SUPPRESS_BELOW, nothing hard-coded."""
    from kla.core import privacy

    assert suppression.SUPPRESS_BELOW is privacy.SUPPRESS_BELOW
    monkeypatch.setattr(suppression, "SUPPRESS_BELOW", 10)
    assert suppression.is_small(7) and not suppression.is_small(10)


def test_headline_hides_rate_resting_on_four_cases(built_db: Path) -> None:
    """Unyur, gizi buruk, Dec 2025: 4 of 688 in the sample. The metric must not show 0,6% (or 0.6%)."""
    a = agg(built_db)
    r = a[(a.area_code == "36.73.01.1007") & (a.period == "2025-12-01") & (a.source_type == "eppgbm")].iloc[0]
    assert r.severe_wasted == 4 and r.n_whz == 688  # the audited case, still in the shipped sample
    metrics = nutrition_view.headline(r, measure="severe_wasting", period=r.period)
    rate = metrics[0]
    assert rate.value == suppression.HIDDEN_RATE_TEXT
    assert not re.search(r"\d[,.]\d", rate.help), "neither the rate nor its interval"
    assert metrics[1].value == "689"  # children measured: not small, shown
    stunting = nutrition_view.headline(r, measure="stunting", period=r.period)[0]
    assert stunting.value == "5,4%" and stunting.help.startswith("IK 95%: 3,9–7,3%")


def test_page_unyur_severe_wasting_is_suppressed_everywhere(app_env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.selectbox(key="gizi_ukuran").set_value("severe_wasting")
    at.selectbox(key="gizi_wilayah").set_value("36.73.01.1007").run()
    assert not at.exception
    rate = at.metric[0]
    assert rate.value == suppression.HIDDEN_RATE_TEXT
    metrics = " ".join(f"{m.value} {m.proto.help}" for m in at.metric)
    assert not re.search(r"\d[,.]\d", metrics), "no rate, no interval in any metric"
    assert any(m.value.startswith("**Unyur: < 5 kasus (disamarkan), tanpa peringkat") for m in at.markdown)
    table = at.dataframe[0].value
    unyur = table[table["Wilayah"] == "Unyur"].iloc[0]
    assert unyur["Kasus"] == "< 5" and unyur["Peringkat"] == "–" and unyur["IK 95%"] == "–"
    assert unyur["Prevalensi"] == suppression.HIDDEN_RATE_TEXT
    trend = _chart(at, "Gizi buruk (BB/TB < −3 SD) per bulan: Unyur")
    line = next(t for t in trend.data if t.mode == "lines+markers")
    assert line.x[-1] is not None and math.isnan(line.y[-1]), "Dec 2025: the chart hides it too"
    bars = next(t for t in trend.data if t.type == "bar")
    assert math.isnan(bars.y[-1])


def test_page_ranking_table_says_what_it_is(page: AppTest) -> None:
    """A screenshot of the table alone still carries title, source, month and DATA CONTOH."""
    caption = next(c.value for c in page.caption if c.value.startswith("Tabel peringkat"))
    assert "kelurahan se-kota" in caption and "Des 2025" in caption and "DATA CONTOH" in caption


def test_page_numbers_are_formatted_the_indonesian_way(page: AppTest) -> None:
    shown = _shown_text(page)
    assert "4,2%" in shown and "58.623" in shown and "IK 95%: 4,0–4,4%" in shown
    assert not re.search(r"\d\.\d%", shown), "no decimal point in a percentage"
    assert not re.search(r"\b\d{1,3},\d{3}\b(?!%)", shown), "no comma as thousands separator"


# ----------------------------------------------------------------------------- survey chart and targets (gaps 5, 8)
def test_survey_figure_targets_who_line_and_separate_ssgbi(built_db: Path) -> None:
    con = duckdb.connect(str(built_db), read_only=True)
    pub = nutrition_read.published_frame(con)
    con.close()
    fig = nutrition_figures.survey_trend_figure(pub, city_code="36.73", city_name="Kota Serang")
    by_name = {t.name: t for t in fig.data}
    t2024 = next(t for n, t in by_name.items() if n.startswith("Target RPJMN 2020–2024"))
    assert list(t2024.x) == [2024] and list(t2024.y) == [14.0]
    t2029 = next(t for n, t in by_name.items() if n.startswith("Target RPJMN 2025–2029"))
    assert list(t2029.x) == [2025, 2029] and list(t2029.y) == [18.8, 14.2]
    who = [s for s in fig.layout.shapes if s.y0 == 20.0 and s.y1 == 20.0]
    assert who, "WHO 20% line"
    assert any("WHO" in a.text and "20%" in a.text for a in fig.layout.annotations)
    city = by_name["Kota Serang (survei SSGI/SKI)"]
    assert 2019 not in list(city.x), "SSGBI 2019 is not joined to the SSGI/SKI line"
    assert list(city.x) == [2021, 2022, 2023] and "lines" in city.mode
    ssgbi = by_name["Kota Serang: SSGBI 2019 (dikutip)"]
    assert list(ssgbi.x) == [2019] and list(ssgbi.y) == [38.6] and "lines" not in ssgbi.mode
    assert "sesuai kutipan Dinkes" in ssgbi.customdata[0][0] and "survei SSGBI 2019" in ssgbi.customdata[0][0]
    hover = " ".join(str(t.customdata) + str(t.hovertemplate) for t in fig.data)
    for english in ("survey ", "verified", "as quoted"):
        assert english not in hover
    assert list(city.text) == ["23,4%", "23,8%", "22,3%"]
    assert fig.layout.separators == ",."
    # survey only: no routine series in this figure
    names = " ".join(t.name for t in fig.data).lower()
    assert "e-ppgbm" not in names and "rutin" not in names and "rekap" not in names


def test_routine_figures_carry_no_survey_series(built_db: Path) -> None:
    a = agg(built_db)
    rows = nutrition_view.series(a, "eppgbm", "36.73")
    fig = nutrition_figures.routine_trend_figure(
        rows, measure="stunting", area_name="Kota Serang", source_label="e-PPGBM", sample=True
    )
    names = " ".join(str(t.name) for t in fig.data).lower()
    assert "survei" not in names and "ssgi" not in names and "target" not in names
    assert "DATA CONTOH" in fig.layout.title.text


def test_page_survey_chart_is_alone(page: AppTest) -> None:
    spec = _chart(page, "Stunting balita menurut survei")
    names = [t.name or "" for t in spec.data]
    assert any("SSGBI 2019" in n for n in names)
    assert not any("e-PPGBM" in n or "rutin" in n for n in names)


# ----------------------------------------------------------------------------- published table (gaps 4, 8)
def test_published_table_is_indonesian_with_raw_fallback(built_db: Path) -> None:
    con = duckdb.connect(str(built_db), read_only=True)
    pub = nutrition_read.published_frame(con)
    con.close()
    t = published_view.published_table(pub)
    visible = t.drop(columns=["Tautan", "Catatan (bahasa sumber)"], errors="ignore").astype(str)
    text = " ".join(visible.to_numpy().ravel())
    for english in ("percent", "children", "verified", "as quoted", "survey ", "routine ", "deaths"):
        assert english not in text, english
    assert not any("_" in v for v in t["Indikator"]), "no raw indicator codes"
    row = t[(t["Indikator"] == "Cakupan input e-PPGBM")].iloc[0]
    assert row["Nilai"] == "56,68%" and row["Satuan"] == "persen" and row["Periode"] == "Jun 2024"
    assert "2543" in set(t["Nilai"]) and "70.513" in set(t["Penyebut"]) and "4 kematian" in set(t["Catatan"])
    assert "survei SSGBI 2019" in set(t["Sumber"]) and "sesuai kutipan Dinkes" in set(t["Status"])
    # a note or code the mapping tables do not know is shown as stored, never made up
    odd = pub.head(1).assign(note="reported by phone", indicator="new_indicator_x", status="pending")
    u = published_view.published_table(odd).iloc[0]
    assert u["Catatan (bahasa sumber)"] == "reported by phone" and u["Catatan"] == ""
    assert u["Indikator"] == "new_indicator_x" and u["Status"] == "pending"


def test_page_published_table_links_every_source(page: AppTest) -> None:
    df = page.dataframe[-1]
    table = df.value
    assert "Tautan" in table.columns
    config = json.loads(df.proto.columns)
    assert config["Tautan"]["type_config"]["type"] == "link"
    con = connect_readonly(Path(os.environ["KLA_DB"]))  # the page's own connection settings
    pub = nutrition_read.published_frame(con)
    con.close()
    with_url = pub["source_url"].fillna("").str.startswith("http")
    assert with_url.sum() == len(pub) > 0
    assert table["Tautan"].tolist() == pub["source_url"].tolist()
    assert published_view.published_has_url(table) == with_url.tolist()


# ----------------------------------------------------------------------------- flags (gaps 1, 7)
def test_small_n_flag_uses_the_measures_own_denominator() -> None:
    rows = _rank_rows(n_haz=[100, 400, 50], n_whz=[20, 400, 50], n_waz=[100, 400, 12], flag_small_n=[False] * 3)
    small = quality.FLAG_LABELS["flag_small_n"]
    assert small not in quality.flag_text(rows, "stunting")[0]
    assert small in quality.flag_text(rows, "wasting")[0]
    assert small in quality.flag_text(rows, "severe_wasting")[0]
    assert small not in quality.flag_text(rows, "underweight")[0]
    assert small in quality.flag_text(rows, "underweight")[2]
    summary = nutrition_view.flag_summary(rows, "wasting").set_index("Catatan mutu data")["Jumlah wilayah"]
    assert summary[small] == 1
    # a recap that does not report wasting (n_whz = 0 with children measured) is "not reported", not small
    unreported = _rank_rows(n_whz=[0, 400, 50])
    assert small not in quality.flag_text(unreported, "wasting")[0]


def test_flag_text_tolerates_frames_with_only_the_old_flags() -> None:
    """The analysis pages pass frames with four flag columns; the new ones count as False."""
    old = pd.DataFrame({"flag_low_coverage": [True], "flag_small_n": [False], "flag_conflict": [False]})
    assert quality.flag_text(old) == ["cakupan < 95%"]


def _kelurahan_list() -> pd.DataFrame:
    w = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "wilayah.csv", dtype=str)
    kec = w[w.level == "kecamatan"].set_index("code")["name"]
    kel = w[w.level == "kelurahan"].copy()
    kel["kec_name"] = kel["parent_code"].map(kec)
    return kel


@pytest.fixture(scope="module")
def partial_db(built_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real (imported) e-PPGBM data: May 2024 from all 67 kelurahan; June 2024 without Kec. Curug
    (10 kelurahan) and without Kagungan in Kec. Serang: 5 of 6 kecamatan, 56 of 67 kelurahan."""
    folder = tmp_path_factory.mktemp("partial")
    db = folder / "kla.duckdb"
    shutil.copyfile(built_db, db)
    kel = _kelurahan_list()
    rows, i = [], 0
    for month, skip in (("2024-05-10", set()), ("2024-06-10", {"Curug"})):
        for r in kel.itertuples():
            if r.kec_name in skip or (month == "2024-06-10" and r.name == "Kagungan"):
                continue
            for _ in range(2):
                rows.append(
                    row(
                        i, kec=r.kec_name.upper(), kel=r.name.upper(), ukur=month, pkm=f"PUSKESMAS {r.kec_name.upper()}"
                    )
                )
                i += 1
    rep = import_eppgbm(write_csv(folder / "sebagian.csv", rows), db)
    assert rep.rows_imported == len(rows), rep.problems[:5]
    return db


def test_partial_month_is_flagged_and_not_the_default(partial_db: Path) -> None:
    a = agg(partial_db)
    city = a[(a.level == "kota") & (a.source_type == "eppgbm")].set_index("period")
    may, june = city.loc[pd.Timestamp("2024-05-01")], city.loc[pd.Timestamp("2024-06-01")]
    assert not may.flag_incomplete and june.flag_incomplete
    assert (june.kec_reporting, june.kec_expected) == (5, 6)
    assert (june.units_reporting, june.units_expected) == (56, 67)
    text = quality.flag_text(city.loc[[pd.Timestamp("2024-06-01")]].reset_index())[0]
    assert text.startswith("wilayah belum lengkap: 5 dari 6 kecamatan, 56 dari 67 kelurahan melapor")
    serang = a[(a.level == "kecamatan") & (a.area_code == "36.73.01") & (a.period == "2024-06-01")].iloc[0]
    assert serang.flag_incomplete and quality.incomplete_text(serang).endswith("11 dari 12 kelurahan melapor")
    kasemen = a[(a.level == "kecamatan") & (a.area_code == "36.73.02") & (a.period == "2024-06-01")].iloc[0]
    assert not kasemen.flag_incomplete
    assert nutrition_view.default_period(a, "eppgbm") == pd.Timestamp("2024-05-01")
    labels = dict(nutrition_view.period_options(a, "eppgbm"))
    assert labels[pd.Timestamp("2024-06-01")] == "Jun 2024 — belum lengkap"
    assert labels[pd.Timestamp("2024-05-01")] == "Mei 2024"
    notice = nutrition_view.month_notice(a, "eppgbm", pd.Timestamp("2024-06-01"))
    assert "5 dari 6 kecamatan" in notice and "Bulan lengkap terakhir: Mei 2024" in notice
    assert nutrition_view.month_notice(a, "eppgbm", pd.Timestamp("2024-05-01")) is None


def test_default_month_when_no_month_is_complete() -> None:
    """Then the latest month is the default, and it carries its flag."""
    frame = pd.DataFrame(
        {
            "source_type": "eppgbm",
            "level": "kota",
            "period": pd.to_datetime(["2024-05-01", "2024-06-01"]),
            "flag_incomplete": [True, True],
            "flag_zero": [False, False],
            "kec_reporting": [4, 5],
            "kec_expected": [6, 6],
        }
    )
    assert nutrition_view.default_period(frame, "eppgbm") == pd.Timestamp("2024-06-01")
    assert dict(nutrition_view.period_options(frame, "eppgbm"))[pd.Timestamp("2024-06-01")].endswith("belum lengkap")


def test_page_partial_month_default_flag_and_no_sasaran(partial_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, partial_db)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.selectbox(key="gizi_bulan").value == pd.Timestamp("2024-05-01"), "latest complete month"
    assert "Jun 2024 — belum lengkap" in at.selectbox(key="gizi_bulan").options
    assert not any("DATA CONTOH" in w.value for w in at.warning if "Angka rutin" in w.value)
    # e-PPGBM has no sasaran: said once, no empty coverage chart, no empty coverage column
    assert _shown_text(at).count(nutrition_view.NO_SASARAN_TEXT) == 1
    assert sum(nutrition_view.NO_SASARAN_TEXT in i.value for i in at.info) == 1
    assert at.metric[2].value == "tanpa sasaran"
    with pytest.raises(AssertionError, match="no chart titled"):
        _chart(at, "Cakupan pengukuran")
    table = at.dataframe[0].value
    assert "Cakupan" not in table.columns and "Sasaran" not in table.columns
    assert "tanpa sasaran" in _chart(at, "Peringkat").layout.title.subtitle.text
    at.selectbox(key="gizi_bulan").set_value(pd.Timestamp("2024-06-01")).run()
    assert any("belum lengkap: 5 dari 6 kecamatan" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert len(table) == 67, "citywide: every kelurahan, the ten of Curug and Kagungan without data"
    assert (table["Catatan mutu data"] == nutrition_view.NO_DATA_TEXT).sum() == 11
    at.radio(key=nutrition_view.RANK_LEVEL_KEY).set_value("kecamatan").run()
    table = at.dataframe[0].value
    serang = table[table["Wilayah"] == "Serang"].iloc[0]
    assert serang["Catatan mutu data"].startswith("wilayah belum lengkap: 11 dari 12 kelurahan melapor")
    curug = table[table["Wilayah"] == "Curug"].iloc[0]
    assert curug["Catatan mutu data"] == nutrition_view.NO_DATA_TEXT
    flags = at.dataframe[1].value.set_index("Catatan mutu data")["Jumlah wilayah"]
    assert flags["wilayah belum lengkap"] == 1


def test_puskesmas_recap_missing_a_puskesmas_flags_the_kecamatan(db_copy: Path, tmp_path: Path) -> None:
    lines = [
        "Bulan;Tahun;Kecamatan;Puskesmas;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
        "BB Kurang;BB Sangat Kurang"
    ]
    for month in ("Januari", "Februari", "Maret"):
        lines.append(f"{month};2024;Kasemen;PUSKESMAS KILASAH;900;850;40;9;30;5;40;6")
        lines.append(f"{month};2024;Kasemen;Puskesmas Kasemen;1200;1100;80;20;30;5;40;6")
    lines.append("April;2024;Kasemen;Puskesmas Kasemen;1200;1100;80;20;30;5;40;6")
    path = tmp_path / "pkm.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep = import_rekap(path, db_copy)
    assert rep.rows_imported == 7, rep.problems
    a = agg(db_copy)
    kec = a[(a.source_type == "rekap") & (a.level == "kecamatan") & (a.area_code == "36.73.02")].set_index("period")
    assert not kec.loc[pd.Timestamp("2024-03-01")].flag_incomplete
    april = kec.loc[pd.Timestamp("2024-04-01")]
    assert april.flag_incomplete and april.units_level == "puskesmas"
    assert quality.incomplete_text(april) == "wilayah belum lengkap: 1 dari 2 puskesmas melapor"
    city = a[(a.source_type == "rekap") & (a.level == "kota")].set_index("period")
    assert city.loc[pd.Timestamp("2024-03-01")].flag_incomplete  # only 1 of 6 kecamatan reports at all
    ranked = nutrition_view.rank_areas(
        a, source_type="rekap", period=pd.Timestamp("2024-03-01"), measure="stunting", level="puskesmas"
    )
    assert sorted(ranked["display_name"]) == ["Puskesmas Kasemen", "Puskesmas Kilasah"]


def test_zero_filled_case_counts_are_flagged(db_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "nol.csv"
    path.write_text(
        "Periode;Kecamatan;Kelurahan;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
        "BB Kurang;BB Sangat Kurang\n"
        "2024-06;Serang;Kagungan;160;150;0;0;0;0;0;0\n"
        "2024-06;Serang;Cipare;160;150;6;1;0;0;0;0\n"
        "2024-06;Serang;Unyur;50;40;0;0;0;0;0;0\n",
        encoding="utf-8",
    )
    import_rekap(path, db_copy)
    a = agg(db_copy)
    a = a[(a.source_type == "rekap") & (a.level == "kelurahan")].set_index("area_name")
    assert a.loc["Kagungan"].flag_zero_cases and not a.loc["Kagungan"].flag_zero
    assert not a.loc["Cipare"].flag_zero_cases  # 6 stunted: not all zero
    assert not a.loc["Unyur"].flag_zero_cases  # 40 children: all zero is plausible
    note = quality.flag_text(a.loc[["Kagungan"]].reset_index(), "stunting")[0]
    assert "semua kasus 0" in note


# ----------------------------------------------------------------------------- rankings (gaps 2, 6)
def test_citywide_ranking_lists_all_67_kelurahan(built_db: Path) -> None:
    a = agg(built_db)
    con = duckdb.connect(str(built_db), read_only=True)
    areas = con.execute("SELECT code, level, name, parent_code FROM wilayah").df()
    con.close()
    r = nutrition_view.rank_areas(
        a, source_type="eppgbm", period=pd.Timestamp("2025-12-01"), measure="stunting", level="kelurahan", areas=areas
    )
    assert len(r) == 67 and r["area_code"].is_unique
    ranked = r[r["rank"].notna()]
    assert ranked["stunting_pct"].is_monotonic_decreasing and ranked["rank"].iloc[0] == 1
    assert r["display_name"].is_unique  # two kelurahan called Sukawana: the kecamatan is added
    assert {"Sukawana (Curug)", "Sukawana (Serang)"} <= set(r["display_name"])
    suppressed = r[r["suppressed"]]
    assert suppressed["rank"].isna().all()  # a place would narrow the hidden count down


def test_rank_scope_for_a_selected_kelurahan_is_its_citywide_place(built_db: Path) -> None:
    a = agg(built_db)
    r = nutrition_view.rank_areas(
        a, source_type="eppgbm", period=pd.Timestamp("2025-12-01"), measure="stunting", level="kelurahan"
    )
    scope = nutrition_view.rank_scope(
        r, level="kelurahan", area_code="36.73.01.1007", area_level="kelurahan", area_name="Unyur"
    )
    assert len(scope.rows) == 67 and scope.highlight == "36.73.01.1007"
    rank = int(r.loc[r.area_code == "36.73.01.1007", "rank"].iloc[0])
    of = int(r["rank"].notna().sum())  # kelurahan whose rate rests on 1-4 cases are not ranked
    assert 60 <= of <= 67
    assert scope.position.startswith(f"Unyur: peringkat {rank} dari {of} kelurahan se-kota (1 = prevalensi tertinggi).")
    if of < 67:  # the place is among the shown rates only, and the sentence says so
        assert scope.position.endswith(f"{67 - of} kelurahan lain dengan 1–4 kasus disamarkan dan tidak diperingkat.")
    k = nutrition_view.rank_areas(
        a, source_type="eppgbm", period=pd.Timestamp("2025-12-01"), measure="stunting", level="kecamatan"
    )
    kscope = nutrition_view.rank_scope(
        k,
        level="kecamatan",
        area_code="36.73.01.1007",
        area_level="kelurahan",
        area_name="Unyur",
        area_parent="36.73.01",
    )
    assert kscope.highlight == "36.73.01" and len(kscope.rows) == 6


def test_page_kelurahan_selected_shows_citywide_place(page: AppTest) -> None:
    page.selectbox(key="gizi_wilayah").set_value("36.73.01.1007").run()
    assert not page.exception
    table = page.dataframe[0].value
    assert len(table) == 67, "the citywide ranking, not a one-row ranking"
    assert any(re.match(r"\*\*Unyur: peringkat \d+ dari \d+ kelurahan se-kota", m.value) for m in page.markdown)
    bar = _chart(page, "Peringkat kelurahan se-kota").data[0]
    assert "▶ Unyur" in bar.y and len(bar.y) > 50
    unyur = table[table["Wilayah"] == "Unyur"].iloc[0]
    assert unyur["Cakupan"] == "95%"  # coverage next to every rate


def test_page_ranking_by_puskesmas_has_clean_names(page: AppTest) -> None:
    radio = page.radio(key=nutrition_view.RANK_LEVEL_KEY)
    assert radio.options == ["Kelurahan", "Kecamatan", "Puskesmas"]
    radio.set_value("puskesmas").run()
    assert not page.exception
    table = page.dataframe[0].value
    assert len(table) == 15 and table["Wilayah"].str.startswith("Puskesmas ").all()
    assert not table["Wilayah"].str.contains("Puskesmas Puskesmas|PUSKESMAS", case=True).any()
    bar = _chart(page, "Peringkat puskesmas se-kota").data[0]
    assert len(bar.y) == 15 and all(not y.lower().startswith("puskesmas puskesmas") for y in bar.y)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Puskesmas PUSKESMAS KILASAH", "Puskesmas Kilasah"),
        ("Puskesmas Kilasah", "Puskesmas Kilasah"),
        ("Puskesmas UPT Puskesmas Serang Kota", "Puskesmas Serang Kota"),
        ("Puskesmas PKM. CURUG", "Puskesmas Curug"),
        ("UPTD Puskesmas Rau", "Puskesmas Rau"),
        ("Puskesmas Singandaru", "Puskesmas Singandaru"),
    ],
)
def test_puskesmas_label(raw: str, shown: str) -> None:
    assert puskesmas.puskesmas_label(raw) == shown
