"""What-if (Simulasi): score a hypothetical set of indicator points, compare it with the actual year.

Pure functions; the page keeps one number input per indicator and calls these on every change.
Points typed in are snapped into 0–max; an indicator linked to a health measure can instead take
its points from the crosswalk rule (:mod:`kla.core.crosswalk`), the same rule the planner and the
crosswalk page use.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from kla.core import crosswalk, scoring
from kla.core.rulebook import Indicator, Rulebook


def step_for(ind: Indicator) -> float:
    """Input step: the smallest gap between the indicator's scoring levels."""
    gaps = [b - a for a, b in zip(ind.levels, ind.levels[1:], strict=False)]
    return float(min(gaps)) if gaps else float(ind.max_points)


def clamp(points: Mapping[str, float], rulebook: Rulebook) -> dict[str, float]:
    """Every indicator present, each within 0–max (missing ones count as 0)."""
    out = {}
    for ind in rulebook.indicators:
        v = float(points.get(ind.code, 0.0) or 0.0)
        out[ind.code] = min(max(v, 0.0), float(ind.max_points))
    return out


def with_measures(
    points: Mapping[str, float], rulebook: Rulebook, measure_inputs: Mapping[str, float]
) -> dict[str, float]:
    """Points where each indicator with a typed-in measure takes the crosswalk rule's points."""
    out = dict(points)
    for code in crosswalk.linked_indicators(rulebook.crosswalk):
        rules = crosswalk.rules_for(rulebook.crosswalk, code)
        if not any(r.measure in measure_inputs for r in rules):
            continue
        got = crosswalk.indicator_points([r for r in rules if r.measure in measure_inputs], measure_inputs)
        if got is not None:
            out[code] = got
    return out


def evaluate(points: Mapping[str, float], rulebook: Rulebook, *, year: int, area: str) -> scoring.ScoreSummary:
    return scoring.summarise(clamp(points, rulebook), rulebook, year=year, area=area)


def comparison(actual: Mapping[str, float], scenario: Mapping[str, float], rulebook: Rulebook) -> pd.DataFrame:
    """Indicators whose scenario points differ from the actual year, biggest change first."""
    rows = []
    for ind in rulebook.indicators:
        a = float(actual.get(ind.code, 0.0))
        s = float(scenario.get(ind.code, 0.0))
        if abs(a - s) > 1e-9:
            rows.append(
                {
                    "No": ind.number,
                    "Indikator": ind.name,
                    "Klaster": rulebook.group(ind.group).label,
                    "OPD": ind.opd,
                    "Nilai sebenarnya": a,
                    "Skenario": s,
                    "Selisih": s - a,
                }
            )
    frame = pd.DataFrame(rows, columns=["No", "Indikator", "Klaster", "OPD", "Nilai sebenarnya", "Skenario", "Selisih"])
    order = frame.assign(_abs=frame["Selisih"].abs()).sort_values(["_abs", "No"], ascending=[False, True])
    return order.drop(columns="_abs").reset_index(drop=True)
