"""Health measures the KLA crosswalk can read, and where each one comes from.

A crosswalk rule in the rulebook names a measure by its code; the rulebook is rejected when the
code is not listed here. Each measure says whether lower or higher values are better and which
series supply it:

* ``published``: indicator names in ``published_figure`` (angka terbitan), each tagged as a
  *survey* series (SSGI/SKI) or a *routine* series (e-PPGBM, Dinkes reports);
* ``nutrition``: ``(numerator, denominator)`` columns of the ``nutrition_agg`` view built from
  imported e-PPGBM / recap data (routine), when that view exists.

Survey and routine series are different measurements (routine e-PPGBM prevalence usually sits
far below the survey figure) and are never merged into one series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kla import fmt

SURVEY = "survei"
ROUTINE = "rutin"


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    unit: str
    better: str  # "lower" | "higher"
    published: dict[str, str] = field(default_factory=dict)  # published indicator -> series
    nutrition: tuple[str, str] | None = None  # (numerator, denominator) in nutrition_agg

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    def fmt(self, value: float) -> str:
        """The value as text for people (:mod:`kla.fmt`): ``"22,3%"``, ``"12 anak"``."""
        return fmt.percent(value, 1) if self.unit == "%" else f"{fmt.number(value)} {self.unit}"


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure(
            "stunting_prevalence",
            "Prevalensi stunting balita",
            "%",
            "lower",
            published={"stunting_prevalence_survey": SURVEY, "stunting_prevalence_routine": ROUTINE},
            nutrition=("stunted", "n_haz"),
        ),
        Measure(
            "wasting_prevalence",
            "Prevalensi wasting balita (gizi kurang dan buruk)",
            "%",
            "lower",
            published={"wasting_prevalence_survey": SURVEY, "wasting_prevalence_routine": ROUTINE},
            nutrition=("wasted", "n_whz"),
        ),
        Measure(
            "underweight_prevalence",
            "Prevalensi berat badan kurang (underweight) balita",
            "%",
            "lower",
            published={"underweight_prevalence_survey": SURVEY, "underweight_prevalence_routine": ROUTINE},
            nutrition=("underweight", "n_waz"),
        ),
        Measure(
            "exclusive_breastfeeding",
            "Cakupan ASI eksklusif bayi < 6 bulan",
            "%",
            "higher",
            published={"exclusive_breastfeeding_routine": ROUTINE, "exclusive_breastfeeding_survey": SURVEY},
        ),
        Measure(
            "facility_births",
            "Persalinan di fasilitas kesehatan",
            "%",
            "higher",
            published={"facility_births_routine": ROUTINE, "facility_births_survey": SURVEY},
        ),
    )
}


def measure(code: str) -> Measure:
    return MEASURES[code]
