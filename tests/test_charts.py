"""The stamp every shared picture carries: title, source, data date, sample label, Indonesian numbers."""

from __future__ import annotations

import plotly.graph_objects as go

from kla.figures import charts


def test_stamp_puts_title_source_date_and_sample_label_inside_the_figure() -> None:
    fig = charts.apply_stamp(
        go.Figure(go.Bar(x=["a"], y=[1234.5])),
        charts.Stamp("Judul uji", "Dinkes Kota Serang", "Des 2025", sample=True, extra="catatan"),
    )
    title = fig.layout.title.text
    footer = fig.layout.title.subtitle.text
    assert title == "Judul uji — DATA CONTOH"
    assert "Sumber: Dinkes Kota Serang" in footer
    assert "Data per: Des 2025" in footer and "catatan" in footer
    assert "DATA CONTOH" in footer


def test_real_data_is_not_labelled_as_sample() -> None:
    fig = charts.apply_stamp(go.Figure(), charts.Stamp("Judul", "BPS", "2024"))
    assert "DATA CONTOH" not in fig.layout.title.text + fig.layout.title.subtitle.text


def test_numbers_use_indonesian_separators() -> None:
    """plotly's `separators` is "decimal, thousands": 1.234,5 rather than 1,234.5 on axes and hovers."""
    fig = charts.apply_stamp(go.Figure(), charts.Stamp("Judul", "BPS", "2024"))
    assert fig.layout.separators == ",."


def test_text_labels_built_in_python_are_indonesian() -> None:
    """Text labels and annotations do not go through plotly's `separators`: kla.core.fmt writes them."""
    from kla.core.scoring import LostPoints

    lost = [LostPoints("I11", 11, "Prevalensi gizi", "K3", "Dinkes", 10.5, 42.0)]
    bar = charts.lost_points_bar(lost, stamp=charts.Stamp("Judul", "BPS", "2024"))
    assert list(bar.data[0].text) == ["\u221231,5"]
    from kla.core.catalog import STUNTING_TARGETS

    line = charts.survey_prevalence_line(
        ["2022", "2023"],
        [22.25, 21.0],
        area_label="Kota",
        targets=STUNTING_TARGETS,
        stamp=charts.Stamp("Judul", "BPS", "2024"),
    )
    assert list(line.data[0].text) == ["22,3%", "21,0%"]
    # the one target series (kla.core.catalog), its labels with decimal commas, drawn at its own years
    targets = [(t.name, list(t.x), list(t.y)) for t in line.data[1:]]
    assert targets == [
        ("Target RPJMN 2020–2024 (14%)", [2024], [14.0]),
        ("Target RPJMN 2025–2029 (18,8% → 14,2%)", [2025, 2029], [18.8, 14.2]),
    ]


def test_analysis_chart_labels_are_indonesian() -> None:
    from kla.figures import analysis as analysis_charts

    stamp = charts.Stamp("Judul", "BPS", "2024")
    fall = analysis_charts.waterfall(
        [("Maksimum", 1000.0), ("Klaster I", -10.25), ("Klaster II", -0.0)], total=989.75, stamp=stamp
    )
    assert list(fall.data[0].text) == ["1000", "\u221210,25", "0", "989,75"]
    heat = analysis_charts.area_heatmap(["Serang"], ["Klaster I"], [[62.5]], stamp=stamp)
    assert [list(row) for row in heat.data[0].text] == [["63%"]]
    bars = analysis_charts.group_indicator_bars(
        [
            {
                "No": 1,
                "Indikator": "Perda KLA",
                "OPD": "DP3AKB",
                "Bukti": "-",
                "Teks indikator": "-",
                "Poin": 10.25,
                "Hilang": 30.75,
            }
        ],
        stamp=stamp,
    )
    assert list(bars.data[0].text) == ["10,25"] and list(bars.data[1].text) == ["\u221230,75"]
