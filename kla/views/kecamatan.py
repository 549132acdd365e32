"""The Per kecamatan page's crosswalk section: the points it starts from and the table under it.

The crosswalk itself (rules, readings, scenarios) is in :mod:`kla.views.analysis` and
:mod:`kla.core.crosswalk`; this module only shapes what the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kla.views.analysis import CrosswalkRow


def scored_points(area_scores: pd.DataFrame, area: str, city: str) -> tuple[dict[str, float], bool]:
    """``({indicator: points}, fell_back)`` of ``area`` in one year's scores of every area.

    An area without a Kecamatan Layak Anak score starts from the city's points (``fell_back``
    is then true, so the page can say so).
    """
    rows = area_scores[area_scores["area_code"] == area]
    fell_back = rows.empty
    if fell_back:
        rows = area_scores[area_scores["area_code"] == city]
    return dict(zip(rows["code"], rows["points"].astype(float), strict=True)), fell_back


def crosswalk_table(rows: Sequence[CrosswalkRow]) -> list[dict]:
    """The measures behind each linked indicator, one row per reading, with Indonesian column names."""
    return [
        {
            "Indikator": r.number,
            "Ukuran": r.label,
            "Seri": r.series,
            "Periode": r.period,
            "Nilai": r.value_text,
            "Sumber": r.source,
            "Poin menurut aturan": r.rule_points,
            "Poin dinilai": r.scored_points,
            "Catatan mutu": r.flags,
        }
        for r in rows
    ]
