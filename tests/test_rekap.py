"""Monthly recap sheets: checks with row-level messages; bad files change nothing; absent or blank is not 0."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from kla.cli.main import main as cli_main
from kla.core.errors import ValidationError
from kla.core.periods import parse_period
from kla.core.rates import add_rates
from kla.ingest import rekap
from kla.ingest.nutrition import import_rekap, wilayah_matcher
from kla.ingest.rekap import parse_rekap
from kla.read.repository import query

HEAD = (
    "Periode;Kecamatan;Kelurahan;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek;Gizi Kurang;Gizi Buruk;"
    "BB Kurang;BB Sangat Kurang"
)
GOOD = [
    "2024-06;Serang;Kagungan;1200;1000;40;12;30;4;35;5",
    "2024-06;Serang;Cipare;900;700;30;9;20;2;22;3",
    "2024-06;Kasemen;Kilasah;800;600;50;20;25;6;30;8",
    "2024-06;Taktakan;Kalang Anyar;500;420;10;2;8;1;9;1",
    "2024-06;Curug;Sukawana;300;280;6;1;4;0;5;0",
    "2024-06;Serang;Sukawana;310;300;5;1;3;0;4;0",
    "2024-06;Walantaka;Kelodran;400;350;8;2;6;1;7;1",
    "2024-06;Cipocok Jaya;Banjaragung;600;520;12;3;10;2;11;2",
    "2024-06;Kasemen;Margaluyu;700;640;45;15;20;3;25;4",
    "2024-06;Serang;Unyur;650;600;25;5;12;1;14;2",
    "2024-06;Serang;Kota Baru;450;400;15;4;9;1;10;1",
]


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write(tmp: Path, lines: list[str], name: str = "rekap.csv") -> Path:
    path = tmp / name
    path.write_text("\n".join([HEAD, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06", "2024-06-01"),
        ("06/2024", "2024-06-01"),
        ("Juni 2024", "2024-06-01"),
        ("jun 2024", "2024-06-01"),
        ("2024-13", None),
        ("00/2024", None),
        ("1999-05", None),
        ("Mei", None),
        ("2099-01", None),
        # Excel date cells (openpyxl gives a datetime; read as text it is "YYYY-MM-DD 00:00:00")
        ("2024-06-01 00:00:00", "2024-06-01"),
        ("2024-06-01T00:00", "2024-06-01"),
        (dt.datetime(2024, 6, 1), "2024-06-01"),
        (dt.date(2024, 6, 1), "2024-06-01"),
        (pd.Timestamp("2024-06-01"), "2024-06-01"),
        (dt.datetime(2024, 6, 15), "2024-06-01"),  # any day stands for its month (the importer notes it)
        ("2024-06-15", "2024-06-01"),
        ("15/06/2024", "2024-06-01"),  # day first, as Indonesian sheets write dates
        ("2024-06-01 13:45:00", None),  # a time of day is a timestamp, not a period
        ("2024-02-30", None),  # no such day, so no month either
        ("31/04/2024", None),
        # month names: Excel's mmm-yy saved to CSV, Indonesian abbreviations
        ("Jun-24", "2024-06-01"),
        ("Juni-24", "2024-06-01"),
        ("Agt 2023", "2023-08-01"),
        ("Sept 2023", "2023-09-01"),
        ("Nop 2023", "2023-11-01"),
        ("Juni/2024", "2024-06-01"),
        ("06-24", None),  # a two-digit year needs a month name: 06-24 could be a day and month
        ("", None),
        (None, None),
    ],
)
def test_parse_period(text: object, expected: str | None) -> None:
    got = parse_period(text)
    assert (str(got) if got else None) == expected


def test_good_recap_imported(db_copy: Path, tmp_path: Path) -> None:
    rep = import_rekap(write(tmp_path, GOOD), db_copy)
    assert rep.rows_imported == 11 and not rep.problems
    con = duckdb.connect(str(db_copy), read_only=True)
    got = dict(con.execute("SELECT kelurahan_code, diukur FROM rekap").fetchall())
    con.close()
    assert got["36.73.04.1007"] == 280 and got["36.73.01.1008"] == 300  # two Sukawana, each in its kecamatan
    assert got["36.73.06.1005"] == 420  # alias Kalang Anyar


def test_recap_xlsx(db_copy: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame([r.split(";") for r in GOOD], columns=HEAD.split(";"))
    for c in frame.columns[3:]:
        frame[c] = frame[c].astype(int)
    path = tmp_path / "rekap.xlsx"
    frame.to_excel(path, index=False)
    assert import_rekap(path, db_copy).rows_imported == 11


BAD = {
    "sub-count above measured": ("2024-06;Serang;Kagungan;1200;100;90;20;0;0;0;0", "Pendek", "melebihi balita diukur"),
    "negative count": ("2024-06;Serang;Kagungan;1200;100;-1;0;0;0;0;0", "Pendek", "bukan bilangan bulat tidak negatif"),
    "fractional count": ("2024-06;Serang;Kagungan;1200;100;2,5;0;0;0;0;0", "Pendek", "bukan bilangan bulat"),
    "measured above target": ("2024-06;Serang;Kagungan;100;111;0;0;0;0;0;0", "Balita Diukur", "melebihi sasaran 100"),
    "not a real month": ("2024-13;Serang;Kagungan;1200;100;0;0;0;0;0;0", "Periode", "bukan bulan yang nyata"),
    "unknown kelurahan": ("2024-06;Serang;Antah;1200;100;0;0;0;0;0;0", "Kelurahan", "tidak ada di Kecamatan Serang"),
    "unknown kecamatan": ("2024-06;Antah;Kagungan;1200;100;0;0;0;0;0;0", "Kecamatan", "tidak dikenal"),
    "blank measured": ("2024-06;Serang;Kagungan;1200;;0;0;0;0;0;0", "Balita Diukur", "jumlah balita diukur kosong"),
    "no such day": ("2024-02-30;Serang;Kagungan;1200;100;0;0;0;0;0;0", "Periode", "bukan bulan yang nyata"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_recap_row_alone_changes_nothing(case: str, db_copy: Path, tmp_path: Path) -> None:
    line, column, message = BAD[case]
    before = digest(db_copy)
    with pytest.raises(ValidationError) as err:
        import_rekap(write(tmp_path, [line]), db_copy)
    assert digest(db_copy) == before
    assert err.value.problems[0].row == 2 and err.value.problems[0].column == column
    assert message in err.value.problems[0].message


@pytest.mark.parametrize("case", list(BAD))
def test_bad_recap_row_among_good_ones_skipped(case: str, db_copy: Path, tmp_path: Path) -> None:
    line, column, message = BAD[case]
    lines = [g.replace("2024-06", "2024-05") for g in GOOD[1:]] + [line]
    rep = import_rekap(write(tmp_path, lines), db_copy)
    assert rep.rows_imported == 10 and [(p.row, p.column) for p in rep.problems] == [(12, column)]


def test_duplicate_area_month_and_missing_columns(db_copy: Path, tmp_path: Path) -> None:
    rep = import_rekap(write(tmp_path, GOOD + [GOOD[0]]), db_copy)
    assert rep.rows_imported == 11 and "sudah ada di baris 2" in rep.problems[0].message
    before = digest(db_copy)
    bad = tmp_path / "kurang.csv"
    bad.write_text("Periode;Kecamatan;Kelurahan;Balita Diukur\n2024-06;Serang;Kagungan;10\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="kolom wajib tidak ditemukan: Pendek, Sangat Pendek"):
        import_rekap(bad, db_copy)
    cp = tmp_path / "ansi.csv"
    cp.write_bytes((HEAD + "\n2024-06;Serang;Kagungan é;1;1;0;0;0;0;0;0\n").encode("cp1252"))
    with pytest.raises(ValidationError, match="bukan teks UTF-8"):
        import_rekap(cp, db_copy)
    assert digest(db_copy) == before


def test_recap_idempotent(db_copy: Path, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    import_rekap(path, db_copy)
    before = digest(db_copy)
    assert import_rekap(path, db_copy).status == "already-imported"
    assert digest(db_copy) == before


def test_recap_landing_meanwhile_is_caught_under_the_lock(
    db_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kla.ingest import nutrition

    path = write(tmp_path, GOOD)
    import_rekap(path, db_copy)
    before = digest(db_copy)
    monkeypatch.setattr(nutrition, "_already", lambda *a, **k: None)  # the early check misses it
    assert import_rekap(path, db_copy).status == "already-imported"
    assert digest(db_copy) == before


# ----------------------------------------------------------------------------- not reported is not zero
def rekap_rows(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM rekap ORDER BY row_no").df()
    finally:
        con.close()


def base_rows(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM nutrition_base WHERE source_type = 'rekap' ORDER BY area_key").df()
    finally:
        con.close()


def rekap_agg(db: Path) -> pd.DataFrame:
    """What the Gizi Anak page and the map read: ``nutrition_agg`` with rates (kla.core.rates.add_rates)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        a = add_rates(query(con, "nutrition_agg"))
    finally:
        con.close()
    return a[a.source_type == "rekap"].set_index(["level", "area_code"])


ONLY_STUNTING = "Periode;Kecamatan;Kelurahan;Sasaran Balita;Balita Diukur;Pendek;Sangat Pendek\n"


def test_absent_measure_columns_parse_as_null_with_a_file_note(built_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(ONLY_STUNTING + "2024-06;Serang;Kagungan;1200;1000;40;12\n", encoding="utf-8")
    parsed = parse_rekap(path, matcher=wilayah_matcher(built_db))
    row = parsed.frame.iloc[0]
    assert (row.diukur, row.pendek, row.sangat_pendek, row.sasaran) == (1000, 40, 12, 1200)
    for c in ("gizi_kurang", "gizi_buruk", "bb_kurang", "bb_sangat_kurang"):
        assert pd.isna(row[c]), c  # not reported, not 0
    assert parsed.stats["columns_absent"] == ["Gizi Kurang", "Gizi Buruk", "BB Kurang", "BB Sangat Kurang"]
    assert parsed.stats["not_reported"] == {"stunting": 0, "wasting": 1, "underweight": 1}
    assert parsed.stats["rows_rejected"] == 0
    notes = [(p.row, p.column) for p in parsed.problems]
    assert notes == [(None, "Gizi Kurang, Gizi Buruk"), (None, "BB Kurang, BB Sangat Kurang")]
    assert all("bukan 0" in p.message for p in parsed.problems)
    base = rekap.base_from_rekap(parsed.frame, wilayah_matcher(built_db)).iloc[0]
    assert (base.measured, base.n_haz, base.stunted, base.severe_stunted) == (1000, 1000, 52, 12)
    assert (base.n_whz, base.wasted, base.severe_wasted, base.n_waz, base.underweight) == (0, 0, 0, 0, 0)


def test_absent_measure_columns_give_empty_rates_end_to_end(db_copy: Path, tmp_path: Path) -> None:
    """END-TO-END (import, then nutrition_agg + add_rates as the page reads it): the repro of the bug.

    Before the fix wasting and underweight read 0.0% with a confidence interval.
    """
    path = tmp_path / "r.csv"
    path.write_text(ONLY_STUNTING + "2024-06;Serang;Kagungan;1200;1000;40;12\n", encoding="utf-8")
    rep = import_rekap(path, db_copy)
    assert rep.rows_imported == 1 and rep.rows_rejected == 0
    stored = rekap_rows(db_copy).iloc[0]
    assert stored[["gizi_kurang", "gizi_buruk", "bb_kurang", "bb_sangat_kurang"]].isna().all()
    a = rekap_agg(db_copy)
    for key in (("kelurahan", "36.73.01.1012"), ("kecamatan", "36.73.01"), ("kota", "36.73")):
        r = a.loc[key]
        assert r.stunting_pct == pytest.approx(5.2) and r.severe_stunting_pct == pytest.approx(1.2), key
        assert r.coverage_pct == pytest.approx(1000 / 1200 * 100), key
        for m in ("wasting", "severe_wasting", "underweight"):
            assert r[[f"{m}_pct", f"{m}_lo", f"{m}_hi"]].isna().all(), (key, m)  # empty, never 0%


def test_blank_cells_are_not_reported_with_row_notes(db_copy: Path, tmp_path: Path) -> None:
    lines = [
        "2024-06;Serang;Kagungan;1200;1000;40;12;30;;35;5",  # gizi buruk blank: wasting not reported here
        "2024-06;Serang;Cipare;;700;30;9;20;2;;",  # sasaran and both BB cells blank
        *GOOD[3:],
        "2024-06;Serang;Antah;1200;100;;0;0;0;0;0",  # blank, but the row is rejected anyway (unknown area)
    ]
    rep = import_rekap(write(tmp_path, lines), db_copy)
    assert rep.rows_imported == 10 and rep.rows_rejected == 1
    got = [(p.row, p.column) for p in rep.problems]
    assert got == [
        (2, "Gizi Buruk"),
        (3, "Sasaran Balita"),
        (3, "BB Kurang"),
        (3, "BB Sangat Kurang"),
        (12, "Kelurahan"),
    ]
    notes = {(p.row, p.column): p.message for p in rep.problems}
    assert "tidak dilaporkan (bukan 0)" in notes[(2, "Gizi Buruk")] and "wasting" in notes[(2, "Gizi Buruk")]
    assert "baris tetap diimpor" in notes[(3, "BB Kurang")]
    assert "cakupan" in notes[(3, "Sasaran Balita")]
    assert rep.stats["not_reported"] == {"stunting": 0, "wasting": 1, "underweight": 1}
    assert rep.stats["rows_with_notes"] == 2

    stored = rekap_rows(db_copy).set_index("row_no")
    assert stored.loc[2, "gizi_kurang"] == 30 and pd.isna(stored.loc[2, "gizi_buruk"])  # what was given is kept
    assert pd.isna(stored.loc[3, "sasaran"]) and stored.loc[3, ["bb_kurang", "bb_sangat_kurang"]].isna().all()
    base = base_rows(db_copy).set_index("area_key")
    kag, cip = base.loc["36.73.01.1012"], base.loc["36.73.01.1002"]
    assert (kag.n_whz, kag.wasted, kag.severe_wasted) == (0, 0, 0)
    assert (kag.n_haz, kag.stunted, kag.n_waz, kag.underweight) == (1000, 52, 1000, 40)
    assert (cip.n_whz, cip.wasted, cip.n_waz, cip.underweight) == (700, 22, 0, 0) and pd.isna(cip.sasaran)


def test_blank_cells_leave_area_totals_to_the_areas_that_reported(db_copy: Path, tmp_path: Path) -> None:
    """END-TO-END: a kecamatan's rate is over the kelurahan that reported the measure, not diluted by blanks."""
    lines = [
        "2024-06;Serang;Kagungan;1200;1000;40;12;30;;35;5",
        "2024-06;Serang;Cipare;900;700;30;9;20;2;;",
    ]
    import_rekap(write(tmp_path, lines), db_copy)
    a = rekap_agg(db_copy)
    kag, cip, kec = (
        a.loc[("kelurahan", "36.73.01.1012")],
        a.loc[("kelurahan", "36.73.01.1002")],
        a.loc[("kecamatan", "36.73.01")],
    )
    assert pd.isna(kag.wasting_pct) and pd.isna(kag.severe_wasting_pct)
    assert kag.underweight_pct == pytest.approx(4.0)
    assert cip.wasting_pct == pytest.approx(22 / 700 * 100) and pd.isna(cip.underweight_pct)
    assert kec.measured == 1700 and kec.stunting_pct == pytest.approx(91 / 1700 * 100)
    assert (kec.n_whz, kec.wasted) == (700, 22) and kec.wasting_pct == pytest.approx(22 / 700 * 100)
    assert (kec.n_waz, kec.underweight) == (1000, 40) and kec.underweight_pct == pytest.approx(4.0)
    assert kec.coverage_pct == pytest.approx(1700 / 2100 * 100)


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        ("Balita Diukur", "Balita Diukur"),
        ("Kecamatan", "Kecamatan"),
        ("Periode", "Periode (atau Bulan + Tahun)"),
        ("Kelurahan", "Kelurahan atau Puskesmas"),
        ("Sangat Pendek", "Sangat Pendek"),
    ],
)
def test_missing_required_column_refused_by_name(drop: str, named: str, db_copy: Path, tmp_path: Path) -> None:
    head = HEAD.split(";")
    keep = [i for i, h in enumerate(head) if h != drop]
    path = tmp_path / "kurang.csv"
    body = [";".join(line.split(";")[i] for i in keep) for line in GOOD]
    path.write_text("\n".join([";".join(head[i] for i in keep), *body]) + "\n", encoding="utf-8")
    before = digest(db_copy)
    with pytest.raises(ValidationError, match="kolom wajib tidak ditemukan") as err:
        import_rekap(path, db_copy)
    assert named in str(err.value) and "tidak ada yang diubah" in str(err.value)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, named)]
    assert digest(db_copy) == before


@pytest.mark.parametrize(("drop", "other"), [("Gizi Buruk", "Gizi Kurang"), ("BB Kurang", "BB Sangat Kurang")])
def test_half_a_measure_group_refused(drop: str, other: str, db_copy: Path, tmp_path: Path) -> None:
    head = HEAD.split(";")
    keep = [i for i, h in enumerate(head) if h != drop]
    path = tmp_path / "separuh.csv"
    body = [";".join(line.split(";")[i] for i in keep) for line in GOOD]
    path.write_text("\n".join([";".join(head[i] for i in keep), *body]) + "\n", encoding="utf-8")
    before = digest(db_copy)
    with pytest.raises(ValidationError, match=f"kolom pasangan tidak ditemukan: {drop} \\(ada {other}") as err:
        import_rekap(path, db_copy)
    assert [(p.row, p.column) for p in err.value.problems] == [(1, drop)]
    assert digest(db_copy) == before


# ----------------------------------------------------------------------------- periods as Excel dates
def test_excel_date_cells_as_period(db_copy: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame([r.split(";") for r in GOOD], columns=HEAD.split(";"))
    for c in frame.columns[3:]:
        frame[c] = frame[c].astype(int)
    frame["Periode"] = [dt.datetime(2024, 6, 1)] * len(frame)  # a real date cell, as Excel users type it
    frame.loc[1, "Periode"] = dt.datetime(2024, 6, 15)
    frame["Gizi Buruk"] = frame["Gizi Buruk"].astype(object)
    frame.loc[2, "Gizi Buruk"] = None  # an empty cell
    path = tmp_path / "tanggal.xlsx"
    frame.to_excel(path, index=False)
    rep = import_rekap(path, db_copy)
    assert rep.rows_imported == 11 and rep.rows_rejected == 0 and rep.stats["periods"] == ["2024-06"]
    assert [(p.row, p.column) for p in rep.problems] == [(3, "Periode"), (4, "Gizi Buruk")]
    assert "15 Juni 2024 dibaca sebagai periode Juni 2024" in rep.problems[0].message
    stored = rekap_rows(db_copy).set_index("row_no")
    assert set(stored["period"].astype(str)) == {"2024-06-01"}
    assert pd.isna(stored.loc[4, "gizi_buruk"]) and stored.loc[4, "gizi_kurang"] == 25


def test_excel_date_text_in_csv(db_copy: Path, tmp_path: Path) -> None:
    lines = [g.replace("2024-06", "2024-06-01 00:00:00", 1) for g in GOOD]
    lines[1] = lines[1].replace("2024-06-01 00:00:00", "Jun-24", 1)
    rep = import_rekap(write(tmp_path, lines), db_copy)
    assert rep.rows_imported == 11 and not rep.problems and rep.stats["periods"] == ["2024-06"]


# ----------------------------------------------------------------------------- not a file
def test_directory_is_not_a_file(db_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    before = digest(db_copy)
    with pytest.raises(ValidationError, match="folder.csv bukan berkas"):
        import_rekap(folder, db_copy)
    assert cli_main(["import", "rekap", str(tmp_path), "--db", str(db_copy)]) == 2
    err = capsys.readouterr().err
    assert "bukan berkas" in err and "Traceback" not in err
    assert digest(db_copy) == before


# ----------------------------------------------------------------------------- end to end through the views and the map
def test_unreported_stunting_is_no_conflict(db_copy: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "r1.csv", tmp_path / "r2.csv"
    first.write_text(ONLY_STUNTING + "2024-06;Serang;Kagungan;100;70;12;3\n", encoding="utf-8")
    second.write_text(ONLY_STUNTING + "2024-06;Serang;Kagungan;100;70;;\n", encoding="utf-8")  # same count, blanks
    import_rekap(first, db_copy)
    import_rekap(second, db_copy)
    kel = rekap_agg(db_copy).loc[("kelurahan", "36.73.01.1012")]
    assert kel.measured == 70 and kel.n_haz == 0 and pd.isna(kel.stunting_pct)  # the later file wins: not reported
    assert not kel.flag_conflict


def test_map_case_count_of_unreported_measure_is_missing(db_copy: Path, tmp_path: Path) -> None:
    from kla.views import maps

    path = tmp_path / "r.csv"
    path.write_text(ONLY_STUNTING + "2024-06;Serang;Kagungan;1200;1000;40;12\n", encoding="utf-8")
    import_rekap(path, db_copy)
    con = duckdb.connect(str(db_copy), read_only=True)
    try:
        nut = add_rates(query(con, "nutrition_agg"))
    finally:
        con.close()
    nut["period"] = pd.to_datetime(nut["period"])
    inputs = maps.MapInputs(nut, pd.DataFrame(), pd.DataFrame())
    areas = pd.DataFrame({"code": ["36.73.01.1012"], "name": ["Kagungan"]})
    got = maps.values_for(inputs, "gizi_buruk", "kelurahan", "2024-06", areas).iloc[0]
    assert np.isnan(got["value"])  # gizi buruk was not reported: no data, not "0 cases"
