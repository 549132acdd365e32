"""What the Ringkasan (overview) page shows, computed without Streamlit (its survey chart is
:func:`kla.figures.overview.survey_chart`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kla.core import scoring
from kla.core.rulebook import Rulebook


@dataclass(frozen=True)
class LatestFigure:
    label: str
    value: float
    unit: str
    period: str
    source_url: str
    note: str


def score_stamp_source(frame: pd.DataFrame, rulebook: Rulebook) -> tuple[str, bool]:
    """Source text for a score chart and whether it is sample data."""
    kinds = set(frame["source_kind"].dropna())
    paths = sorted(set(frame["source_path"].dropna()))
    sample = "sample" in kinds
    what = "penilaian mandiri KLA" + (f" ({', '.join(paths)})" if paths else "")
    return (f"{what}; {rulebook.weights_note}" if rulebook.weights_note else what), sample


def summary_for(frame: pd.DataFrame, rulebook: Rulebook, *, year: int, area: str) -> scoring.ScoreSummary | None:
    points = scoring.points_by_code(frame)
    return scoring.summarise(points, rulebook, year=year, area=area) if points else None


def latest_published(published: pd.DataFrame) -> dict[str, LatestFigure]:
    """Latest survey prevalence and latest routine count, kept apart (different measures)."""
    out: dict[str, LatestFigure] = {}
    labels = {
        "stunting_prevalence_survey": "Prevalensi stunting (survei SSGI/SKI)",
        "stunting_cases_routine": "Balita stunting tercatat (rutin e-PPGBM)",
        "severe_wasting_cases": "Kasus gizi buruk (rutin Dinkes)",
    }
    for indicator, label in labels.items():
        rows = published[(published["indicator"] == indicator) & published["value"].notna()]
        if rows.empty:
            continue
        row = rows.sort_values("period").iloc[-1]
        out[indicator] = LatestFigure(
            label=label,
            value=float(row["value"]),
            unit="%" if row["unit"] == "percent" else "anak",
            period=str(row["period"]),
            source_url=str(row["source_url"]),
            note=f"{row['source_kind']}; status: {row['status']}",
        )
    return out
