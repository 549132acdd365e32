"""The stamp every shared picture carries: title, source, data date, sample label, Indonesian numbers."""

from __future__ import annotations

import plotly.graph_objects as go

from kla import charts


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
