"""The Ringkasan (overview) page's survey prevalence chart (its other numbers: :mod:`kla.views.overview`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kla.core import catalog
from kla.figures import charts


def survey_chart(published: pd.DataFrame, area_label: str) -> go.Figure | None:
    """The survey series only; returns None when there is none."""
    rows = published[published["indicator"] == "stunting_prevalence_survey"].sort_values("period")
    if rows.empty:
        return None
    sources = "; ".join(f"{r.period}: {r.source_kind}" for r in rows.itertuples())
    stamp = charts.Stamp(
        title=f"Prevalensi stunting balita, {area_label} (survei)",
        source=f"angka terbitan ({sources}); URL per angka di tabel sumber",
        data_date=str(rows["period"].iloc[-1]),
    )
    return charts.survey_prevalence_line(
        rows["period"].tolist(),
        rows["value"].tolist(),
        area_label=area_label,
        targets=catalog.measure("stunting_prevalence").targets,
        stamp=stamp,
    )
