"""The city among its peers (kla.views.peers, kla.figures.analysis): peers from the codes, award counts, figures.

Fixtures are small hand-written frames shaped like ``kla/read/sql/peer_figures.sql``; the expected
answers are written out by hand, not recomputed with the code under test.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kla.figures import charts
from kla.figures import peers as peer_charts
from kla.views import peers

BANDS = ["Belum berpredikat", "Pratama", "Madya", "Nindya", "Utama", "KLA"]
URL = "https://contoh.example/berita"


def _row(indicator: str, code: str, name: str, period: str, value: str, status: str = "verified", **kw) -> dict:
    try:
        num: float | None = float(value)
    except ValueError:
        num = None
    return {
        "indicator": indicator,
        "area_code": code,
        "area_name": name,
        "period": period,
        "value_text": value,
        "value": num,
        "unit": kw.get("unit", "category" if num is None else "percent"),
        "denominator": kw.get("denominator"),
        "source_kind": kw.get("source_kind", "KemenPPPA award"),
        "status": status,
        "source_url": kw.get("url", URL),
        "note": kw.get("note"),
    }


@pytest.fixture
def published() -> pd.DataFrame:
    """Two provinces (36 and 32), the province and national rows, a kecamatan, and routine figures."""
    return pd.DataFrame(
        [
            _row("kla_category", "36.73", "Kota A", "2021", "Pratama"),
            _row("kla_category", "36.73", "Kota A", "2023", "Pratama"),
            _row("kla_category", "36.71", "Kota B", "2023", "Nindya"),
            _row("kla_category", "36.72", "Kota C", "2025", "Madya", "as quoted", source_kind="statement"),
            _row("kla_category", "36.04", "Kabupaten D", "2023", "Pratama"),
            _row("kla_category", "36.04", "Kabupaten D", "2023", "Madya", url="https://lain.example/"),
            _row("kla_score", "36.04", "Kabupaten D", "2025", "700", "as quoted", unit="points"),
            _row("kla_category", "32.73", "Kota E", "2023", "Utama"),
            _row("kla_category", "32.04", "Kabupaten F", "2023", "Madya"),
            _row("kla_category", "36.73.01", "Kecamatan G", "2023", "Madya"),
            _row("stunting_prevalence_survey", "36.73", "Kota A", "2022", "23.8", source_kind="survey SSGI 2022"),
            _row("stunting_prevalence_survey", "36.71", "Kota B", "2022", "11.8", source_kind="survey SSGI 2022"),
            _row("stunting_prevalence_survey", "36.72", "Kota C", "2022", "19.1", source_kind="survey SSGI 2022"),
            _row(
                "stunting_prevalence_survey",
                "36.73",
                "Kota A",
                "2023",
                "22.3",
                "as quoted by Dinkes",
                source_kind="survey SKI 2023",
            ),
            _row("stunting_prevalence_survey", "36", "Provinsi P", "2022", "20.0", source_kind="survey SSGI 2022"),
            _row("stunting_prevalence_survey", "ID", "Indonesia", "2022", "21.6", source_kind="survey SSGI 2022"),
            _row("stunting_prevalence_survey", "32.73", "Kota E", "2022", "30.5", source_kind="survey SSGI 2022"),
            _row("stunting_prevalence_routine", "36.73", "Kota A", "2022", "4.1", source_kind="routine e-PPGBM"),
            _row("stunting_prevalence_routine", "36.71", "Kota B", "2022", "2.0", source_kind="routine e-PPGBM"),
            _row(
                "kla_category_count",
                "ID",
                "Indonesia",
                "2025",
                "Utama 22; Nindya 69; Madya 125; Pratama 139",
                unit="count",
                denominator=355.0,
                note="355 kabupaten/kota awarded",
            ),
        ]
    )


# --------------------------------------------------------------------------- codes and peer selection


@pytest.mark.parametrize(
    ("code", "expected"),
    [("36.73", True), ("36.04", True), ("36", False), ("ID", False), ("36.73.01", False), ("3673", False)],
)
def test_only_two_level_codes_are_kabupaten_kota(code: str, expected: bool) -> None:
    assert peers.is_kabkota(code) is expected


@pytest.mark.parametrize("bad", ["36", "36.73.01", "ID", ""])
def test_city_code_must_be_a_kabupaten_kota_code(bad: str) -> None:
    with pytest.raises(ValueError, match="kabupaten/kota"):
        peers.province_of(bad)


def test_peers_are_the_kabupaten_kota_of_the_same_province_city_included_and_flagged(published) -> None:
    rows = peers.peer_rows(published, "36.73")
    assert set(rows["area_code"]) == {"36.73", "36.71", "36.72", "36.04"}
    assert set(rows.loc[rows["is_city"], "area_code"]) == {"36.73"}
    areas = peers.peer_areas(published, "36.73")
    assert areas["area_code"].tolist() == ["36.04", "36.71", "36.72", "36.73"]
    assert areas["is_city"].tolist() == [False, False, False, True]


def test_a_city_in_another_province_gets_its_own_peers(published) -> None:
    areas = peers.peer_areas(published, "32.73")
    assert areas["area_code"].tolist() == ["32.04", "32.73"]
    assert areas.set_index("area_code")["is_city"].to_dict() == {"32.04": False, "32.73": True}
    assert peers.province_name(published, "32.73") is None  # no province-wide row for 32
    assert peers.province_name(published, "36.73") == "Provinsi P"


# --------------------------------------------------------------------------- categories by year


def test_category_cells_mark_quoted_conflicting_and_score_only_cells(published) -> None:
    cells = peers.category_cells(published, "36.73").set_index(["area_code", "year"])
    assert cells.loc[("36.73", 2021), "label"] == "Pratama"
    assert cells.loc[("36.73", 2021), "status"] == "verified"
    assert cells.loc[("36.72", 2025), "label"] == "Madya (dikutip)"
    assert cells.loc[("36.72", 2025), "status"] == "quoted"
    # two sources, two categories, same year: never silently one of them
    assert cells.loc[("36.04", 2023), "status"] == "conflict"
    assert cells.loc[("36.04", 2023), "label"] == "Pratama / Madya (bertentangan)"
    # a quoted score without a category is shown as the score, never turned into a category
    assert cells.loc[("36.04", 2025), "label"] == "nilai 700 (dikutip)"
    assert pd.isna(cells.loc[("36.04", 2025), "category"])
    assert ("36.73.01", 2023) not in cells.index and ("32.73", 2023) not in cells.index


def test_the_city_s_verified_category_is_found_only_when_published(published) -> None:
    cells = peers.category_cells(published, "36.73")
    assert peers.verified_category(cells, 2023) == "Pratama"
    assert peers.verified_category(cells, 2025) is None
    other = peers.category_cells(published, "36.72")  # its only category is quoted
    assert peers.verified_category(other, 2025) is None


# --------------------------------------------------------------------------- survey stunting


def test_survey_stunting_holds_survey_figures_of_peers_only(published) -> None:
    survey = peers.survey_stunting(published, "36.73")
    assert set(zip(survey["area_code"], survey["year"], survey["value"], strict=True)) == {
        ("36.73", 2022, 23.8),
        ("36.71", 2022, 11.8),
        ("36.72", 2022, 19.1),
        ("36.73", 2023, 22.3),
    }
    # routine e-PPGBM prevalences (4.1, 2.0) and other provinces' or national figures stay out
    assert not {4.1, 2.0, 30.5, 21.6, 20.0} & set(survey["value"])
    assert survey.loc[survey["year"] == 2023, "status"].tolist() == ["quoted"]
    assert peers.comparison_years(survey) == [2022]  # 2023 has the city alone
    assert peers.province_survey(published, "36.73") == {2022: 20.0}


# --------------------------------------------------------------------------- national distribution


def test_parse_award_distribution_string() -> None:
    assert peers.parse_category_count("Utama 22; Nindya 69; Madya 125; Pratama 139") == [
        ("Utama", 22),
        ("Nindya", 69),
        ("Madya", 125),
        ("Pratama", 139),
    ]
    assert peers.parse_category_count(" Belum berpredikat 3 ;Pratama 1; ") == [("Belum berpredikat", 3), ("Pratama", 1)]


@pytest.mark.parametrize("bad", ["", " ; ", "Utama; Nindya 69", "Utama 2.5", "Utama 22; Utama 3", "22 Utama"])
def test_a_malformed_award_distribution_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        peers.parse_category_count(bad)


def test_award_distribution_in_band_order_with_shares_of_the_published_denominator(published) -> None:
    dist = peers.award_distribution(published, category_order=BANDS)
    assert dist is not None
    assert dist.year == 2025 and dist.denominator == 355
    assert dist.counts["category"].tolist() == ["Pratama", "Madya", "Nindya", "Utama"]
    assert dist.counts["count"].tolist() == [139, 125, 69, 22]
    assert dist.counts["share"].round(2).tolist() == [39.15, 35.21, 19.44, 6.2]
    assert dist.total == 355 and dist.adds_up
    assert dist.source_url == URL and dist.status == "verified"


def test_award_distribution_that_does_not_add_up_is_flagged(published) -> None:
    short = published.copy()
    short.loc[short["indicator"] == "kla_category_count", "denominator"] = 360.0
    dist = peers.award_distribution(short, category_order=BANDS)
    assert dist is not None and not dist.adds_up
    assert peers.award_distribution(published[published["indicator"] != "kla_category_count"]) is None
    assert peers.award_distribution(published, year=2023) is None


# --------------------------------------------------------------------------- the source lists


def test_source_table_names_every_source_and_marks_quoted_and_conflicting_figures(published) -> None:
    rows = peers.rows_for(published, "36.73", ["kla_category", "kla_score"])
    table = peers.source_table(rows)
    assert len(table) == len(rows) == 7
    assert table["Tautan"].str.startswith("https://").all()
    status = dict(
        zip(zip(table["Wilayah"], table["Tahun"], table["Indikator"], strict=True), table["Status"], strict=True)
    )
    assert status[("Kota C", "2025", "Kategori KLA")] == "dikutip (belum terverifikasi)"
    assert status[("Kabupaten D", "2025", "Nilai KLA")] == "dikutip (belum terverifikasi)"
    assert status[("Kota A", "2021", "Kategori KLA")] == "terverifikasi"
    assert table.loc[table["Indikator"] == "Nilai KLA", "Nilai"].tolist() == ["700 poin"]
    assert table["Wilayah ini"].tolist()[:2] == [True, True]  # the city first
    assert not table["Status"].str.contains("verified|quoted|conflict").any()

    conflict = published.assign(status="conflict").head(1)
    assert peers.source_table(conflict)["Status"].tolist() == ["bertentangan"]


def test_source_table_is_indonesian_with_decimal_commas(published) -> None:
    table = peers.source_table(peers.rows_for(published, "36.73", ["stunting_prevalence_survey"], with_province=True))
    assert set(table["Nilai"]) == {"23,8%", "11,8%", "19,1%", "22,3%", "20,0%"}
    assert set(table["Sumber"]) == {"survei SSGI 2022", "survei SKI 2023"}
    dist = peers.award_distribution(published, category_order=BANDS)
    assert peers.source_table(dist.row)["Catatan"].tolist() == ["355 kabupaten/kota menerima penghargaan"]


# --------------------------------------------------------------------------- figures


def _stamp_ok(fig, title_part: str) -> None:
    assert title_part in fig.layout.title.text
    footer = fig.layout.title.subtitle.text
    assert "Sumber: " in footer and "Data per: " in footer


def test_category_matrix_draws_every_peer_row_highlights_the_city_and_marks_quoted_cells(published) -> None:
    cells = peers.category_cells(published, "36.73")
    areas = peers.peer_areas(published, "36.73")
    fig = peer_charts.peer_category_matrix(
        cells, areas, category_order=BANDS, stamp=charts.Stamp("Kategori KLA per tahun", "uji", "2025")
    )
    _stamp_ok(fig, "Kategori KLA per tahun")
    assert list(fig.layout.yaxis.categoryarray) == ["Kabupaten D", "Kota B", "Kota C", "Kota A"]
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks["Kota A"].startswith("<b>") and not ticks["Kota B"].startswith("<b>")
    assert len(fig.layout.shapes) == 1  # the city's row band
    quoted = [t for t in fig.data if "dikutip" in t.name]
    assert {t.marker.symbol for t in quoted} <= {"circle-open", "diamond-open"}
    assert any("Madya (dikutip)" in t.text for t in quoted)
    assert all(t.marker.symbol == "circle" for t in fig.data if t.name.endswith("(penghargaan)"))


def test_survey_bars_show_survey_values_only_and_the_city_in_its_own_colour(published) -> None:
    survey = peers.survey_stunting(published, "36.73")
    fig = peer_charts.peer_survey_bars(
        survey, years=[2022], province={2022: ("Provinsi P", 20.0)}, stamp=charts.Stamp("Stunting", "uji", "2022")
    )
    _stamp_ok(fig, "Stunting")
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == 1
    assert dict(zip(bars[0].y, bars[0].x, strict=True)) == {"Kota B": 11.8, "Kota C": 19.1, "Kota A": 23.8}
    colours = dict(zip(bars[0].y, bars[0].marker.color, strict=True))
    assert colours["Kota A"] != colours["Kota B"] == colours["Kota C"]
    assert list(bars[0].text) == ["11,8%", "19,1%", "23,8%"]
    assert [a.text for a in fig.layout.annotations if "Provinsi" in a.text] == ["Provinsi P 20,0%"]


def test_award_bars_read_count_and_share_the_indonesian_way(published) -> None:
    dist = peers.award_distribution(published, category_order=BANDS)
    fig = peer_charts.award_distribution_bar(
        dist.counts, denominator=dist.denominator, highlight="Madya", stamp=charts.Stamp("Sebaran", "uji", "2025")
    )
    _stamp_ok(fig, "Sebaran")
    assert list(fig.data[0].x) == ["Pratama", "Madya", "Nindya", "Utama"]
    assert list(fig.data[0].text) == ["139 (39,2%)", "125 (35,2%)", "69 (19,4%)", "22 (6,2%)"]
    colours = list(fig.data[0].marker.color)
    assert colours[1] != colours[0] == colours[2]
    assert "355" in fig.layout.xaxis.title.text
    json.dumps(fig.to_plotly_json(), default=str)  # serialisable for st.plotly_chart
