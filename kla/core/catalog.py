"""The one catalogue of measures: every health and KLA measure the dashboard shows, defined once.

Each :class:`Measure` says what it is (Indonesian and English label, unit, whether lower is
better), how it is computed from the routine counts of the ``nutrition_agg`` view (numerator and
denominator columns, and the prefix of the rate columns :func:`kla.core.rates.add_rates` writes),
which published indicators carry it (each tagged *survey* or *routine*), its targets with their
source, and how a map colours it (fixed class breaks). Maps, charts, the crosswalk, the pages and
the exports all read from here; nothing else lists measures.

Survey (SSGI/SKI) and routine (e-PPGBM, Dinkes reports) series are different measurements
(routine prevalence usually sits far below the survey figure) and are never merged into one series.

Labels
------
``label`` names the measure in sentences, the crosswalk and the analysis pages; ``rate_label``
adds the WHO cut-off where the Gizi Anak page lists the routine rates; ``map_label`` is the map's
legend and title. The three wordings predate the catalogue and are kept as they were (the pages'
golden snapshot, ``tests/golden/pages.json``, pins them); they now live side by side, so a text
review can align them in one place.

Targets
-------
One stunting target series, drawn on every page that shows survey prevalence (domain.md §6.3,
both VERIFIED): the RPJMN 2020–2024 target of 14 % for 2024 (Perpres 72/2021) and the RPJMN
2025–2029 path from 18,8 % in 2025 to 14,2 % in 2029 (Bappenas). Only the published points are
stored; no year between them is invented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kla.core import fmt

SURVEY = "survei"
ROUTINE = "rutin"

# ColorBrewer (Brewer, Harrower 2003), marked colour-blind safe on colorbrewer2.org.
YLORRD = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026")
RDBU_REV = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")  # fall=blue, rise=red
BLUES = ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")  # neutral counts (no good/bad)
INF = math.inf


def _fmt_break(value: float) -> str:
    """A class edge with only the decimals it needs (``2``, ``2,5``), signed for diverging scales."""
    for decimals in range(3):
        if abs(round(value, decimals) - value) < 1e-6:
            return fmt.number(value, decimals)
    return fmt.number(value, 2)


@dataclass(frozen=True)
class ClassScale:
    """Fixed class breaks and one colour per class.

    ``breaks`` has one more element than ``colours``; class ``i`` is ``breaks[i] <= v < breaks[i+1]``
    (the last class includes its upper edge). ``-inf``/``inf`` make open-ended classes.
    """

    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    kind: str = "sequential"  # "sequential" | "diverging"

    def __post_init__(self) -> None:
        if len(self.breaks) != len(self.colours) + 1:
            raise ValueError("breaks must have exactly one more element than colours")
        if list(self.breaks) != sorted(self.breaks):
            raise ValueError("breaks must increase")

    @property
    def n(self) -> int:
        return len(self.colours)

    def classify(self, value: float | None) -> int | None:
        """Class index of ``value``, None for missing. Values outside the range go to the end classes."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        for i in range(self.n):
            if value < self.breaks[i + 1]:
                return i
        return self.n - 1

    def labels(self, unit: str = "") -> list[str]:
        """Legend text per class, e.g. ``"< 2,5 %"``, ``"2,5 – 10 %"``, ``"≥ 30 %"``."""
        suffix = f" {unit}" if unit else ""
        out = []
        for lo, hi in zip(self.breaks[:-1], self.breaks[1:], strict=True):
            if math.isinf(lo):
                out.append(f"< {_fmt_break(hi)}{suffix}")
            elif math.isinf(hi):
                out.append(f"≥ {_fmt_break(lo)}{suffix}")
            else:
                out.append(f"{_fmt_break(lo)} – {_fmt_break(hi)}{suffix}")
        return out

    def colorscale(self) -> list[list[Any]]:
        """Stepped plotly colour scale over class indices ``0 .. n-1`` (zmin -0.5, zmax n-0.5)."""
        scale: list[list[Any]] = []
        for i, colour in enumerate(self.colours):
            scale.append([i / self.n, colour])
            scale.append([(i + 1) / self.n, colour])
        return scale


@dataclass(frozen=True)
class Target:
    """A published target: value (%) per year, with its source."""

    label: str
    values: Mapping[int, float]
    source: str
    url: str


#: The stunting target series (domain.md §6.3), oldest period first.
STUNTING_TARGETS: tuple[Target, ...] = (
    Target(
        "Target RPJMN 2020–2024 (14%)",
        {2024: 14.0},
        "Perpres 72/2021; kompas.com 2024-05-13",
        "https://lestari.kompas.com/read/2024/05/13/150000786/10-provinsi-dengan-prevalensi-stunting-terendah",
    ),
    Target(
        "Target RPJMN 2025–2029 (18,8% → 14,2%)",
        {2025: 18.8, 2029: 14.2},
        "Bappenas; harianjogja.com 2025-01-18",
        "https://news.harianjogja.com/read/2025/01/18/500/1201350/"
        "bappenas-targetkan-penurunan-prevalensi-stunting-142-persen-di-akhir-2029",
    ),
)


@dataclass(frozen=True)
class Measure:
    """One measure, everything the dashboard knows about it.

    key:
        stable code (rulebook crosswalk rules name it; the map and the pages use it).
    unit:
        ``"%"``, ``"anak"`` (children) or ``"poin"``.
    lower_is_better:
        direction; a map colours "worse" darker.
    numerator, denominator:
        columns of ``nutrition_agg`` (routine counts); the rate is ``numerator / denominator``.
    rate:
        prefix of the rate columns ``<rate>_pct``, ``_lo``, ``_hi`` written by
        :func:`kla.core.rates.add_rates` (None for measures that are not a routine rate).
    published:
        published indicator name (``published_figure.indicator``) → series (:data:`SURVEY` /
        :data:`ROUTINE`).
    crosswalk:
        whether a rulebook crosswalk rule may read it.
    scale, decimals, description:
        how the map colours and prints it (None: never mapped).
    """

    key: str
    label: str
    label_en: str
    unit: str
    lower_is_better: bool = True
    numerator: str | None = None
    denominator: str | None = None
    rate: str | None = None
    rate_label: str = ""
    published: Mapping[str, str] = field(default_factory=dict)
    crosswalk: bool = False
    targets: tuple[Target, ...] = ()
    map_label: str = ""
    scale: ClassScale | None = None
    decimals: int = 0
    description: str = ""

    @property
    def better(self) -> str:
        """``"lower"`` or ``"higher"``."""
        return "lower" if self.lower_is_better else "higher"

    @property
    def higher_is_worse(self) -> bool:
        return self.lower_is_better

    @property
    def nutrition(self) -> tuple[str, str] | None:
        """``(numerator, denominator)`` in ``nutrition_agg`` when the measure is a routine rate."""
        return (self.numerator, self.denominator) if self.rate and self.numerator and self.denominator else None

    def fmt(self, value: float) -> str:
        """The value as text for people (:mod:`kla.core.fmt`): ``"22,3%"``, ``"12 anak"``."""
        return fmt.percent(value, 1) if self.unit == "%" else f"{fmt.number(value)} {self.unit}"


_WHO_2018 = "Batas kelas memuat ambang WHO/UNICEF 2018"

#: Every measure, in display order.
CATALOG: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "stunting_prevalence",
            "Prevalensi stunting balita",
            "Stunting prevalence, children under five",
            "%",
            numerator="stunted",
            denominator="n_haz",
            rate="stunting",
            rate_label="Stunting (TB/U < −2 SD)",
            published={"stunting_prevalence_survey": SURVEY, "stunting_prevalence_routine": ROUTINE},
            crosswalk=True,
            targets=STUNTING_TARGETS,
            map_label="Prevalensi stunting (balita diukur)",
            # Edges include the WHO/UNICEF 2018 thresholds (2.5 / 10 / 20 / 30 %); the "low" band is
            # split at 5 and 7.5 % because routine (e-PPGBM) prevalence sits there and would otherwise
            # paint every area the same colour.
            scale=ClassScale((0, 2.5, 5, 7.5, 10, 20, 30, INF), YLORRD),
            decimals=1,
            description=f"Balita TB/U < −2 SD dibagi balita yang diukur. {_WHO_2018} "
            "(2,5 / 10 / 20 / 30 %); kelas 2,5–10 % dibagi lagi agar beda antarwilayah pada data rutin "
            "terlihat. Batas kelas sama untuk semua bulan.",
        ),
        Measure(
            "severe_stunting_prevalence",
            "Prevalensi balita sangat pendek",
            "Severe stunting prevalence, children under five",
            "%",
            numerator="severe_stunted",
            denominator="n_haz",
            rate="severe_stunting",
            rate_label="Sangat pendek (TB/U < −3 SD)",
        ),
        Measure(
            "wasting_prevalence",
            "Prevalensi wasting balita (gizi kurang dan buruk)",
            "Wasting prevalence (moderate and severe), children under five",
            "%",
            numerator="wasted",
            denominator="n_whz",
            rate="wasting",
            rate_label="Wasting: gizi kurang + gizi buruk (BB/TB < −2 SD)",
            published={"wasting_prevalence_survey": SURVEY, "wasting_prevalence_routine": ROUTINE},
            crosswalk=True,
            map_label="Prevalensi wasting (gizi kurang + gizi buruk)",
            # WHO/UNICEF 2018 prevalence thresholds for wasting.
            scale=ClassScale((0, 2.5, 5, 10, 15, INF), YLORRD[:5]),
            decimals=1,
            description="Balita BB/TB < −2 SD dibagi balita yang diukur. Ambang kelas WHO/UNICEF 2018.",
        ),
        Measure(
            "severe_wasting_prevalence",
            "Prevalensi gizi buruk balita",
            "Severe wasting prevalence, children under five",
            "%",
            numerator="severe_wasted",
            denominator="n_whz",
            rate="severe_wasting",
            rate_label="Gizi buruk (BB/TB < −3 SD)",
        ),
        Measure(
            "underweight_prevalence",
            "Prevalensi berat badan kurang (underweight) balita",
            "Underweight prevalence, children under five",
            "%",
            numerator="underweight",
            denominator="n_waz",
            rate="underweight",
            rate_label="Underweight (BB/U < −2 SD)",
            published={"underweight_prevalence_survey": SURVEY, "underweight_prevalence_routine": ROUTINE},
            crosswalk=True,
            map_label="Prevalensi berat badan kurang (underweight)",
            scale=ClassScale((0, 5, 10, 20, 30, INF), YLORRD[:5]),
            decimals=1,
            description="Balita BB/U < −2 SD dibagi balita yang diukur.",
        ),
        Measure(
            "exclusive_breastfeeding",
            "Cakupan ASI eksklusif bayi < 6 bulan",
            "Exclusive breastfeeding, infants under six months",
            "%",
            lower_is_better=False,
            published={"exclusive_breastfeeding_routine": ROUTINE, "exclusive_breastfeeding_survey": SURVEY},
            crosswalk=True,
        ),
        Measure(
            "facility_births",
            "Persalinan di fasilitas kesehatan",
            "Births in a health facility",
            "%",
            lower_is_better=False,
            published={"facility_births_routine": ROUTINE, "facility_births_survey": SURVEY},
            crosswalk=True,
        ),
        Measure(
            "stunting_cases_routine",
            "Balita stunting tercatat (rutin)",
            "Stunted children recorded (routine)",
            "anak",
            published={"stunting_cases_routine": ROUTINE},
            map_label="Balita stunting (jumlah, data rutin)",
            scale=ClassScale((0, 50, 100, 200, 400, 800, INF), YLORRD[:6]),
            description="Jumlah balita pendek + sangat pendek (TB/U < −2 SD) yang tercatat di data rutin "
            "(e-PPGBM/Dinkes). Jumlah, bukan prevalensi: bergantung pada banyaknya balita dan cakupan pengukuran.",
        ),
        Measure(
            "stunting_rate_routine",
            "Balita stunting per 100 balita (rutin)",
            "Stunted children per 100 children (routine)",
            "%",
            map_label="Balita stunting per 100 balita (data rutin)",
            scale=ClassScale((0, 2, 4, 6, 8, 10, INF), YLORRD[:6]),
            decimals=1,
            description="Kasus stunting data rutin dibagi jumlah balita yang dilaporkan bersama angka itu. "
            "Bukan prevalensi survei (SSGI/SKI) dan tidak boleh dibandingkan dengannya.",
        ),
        Measure(
            "measured",
            "Balita diukur",
            "Children measured",
            "anak",
            lower_is_better=False,
            map_label="Balita diukur",
            scale=ClassScale((0, 500, 1000, 2000, 5000, 10000, INF), BLUES),
            description="Jumlah balita yang diukur pada bulan itu (satu kali per anak per bulan).",
        ),
        Measure(
            "severe_wasting_cases",
            "Kasus gizi buruk",
            "Severe wasting cases",
            "anak",
            numerator="severe_wasted",
            denominator="n_whz",
            rate_label="Gizi buruk (BB/TB < −3 SD)",
            published={"severe_wasting_cases": ROUTINE},
            map_label="Gizi buruk (jumlah kasus)",
            scale=ClassScale((0, 5, 10, 20, 40, INF), YLORRD[:5]),
            description="Jumlah kasus gizi buruk (BB/TB < −3 SD) yang dilaporkan Dinkes.",
        ),
        Measure(
            "coverage",
            "Cakupan pengukuran balita",
            "Measurement coverage, children under five",
            "%",
            lower_is_better=False,
            map_label="Cakupan pengukuran balita",
            scale=ClassScale((0, 50, 70, 80, 90, 100), tuple(reversed(YLORRD[:5]))),
            decimals=1,
            description="Balita diukur dibagi balita sasaran. Cakupan rendah membuat angka stunting tidak mewakili.",
        ),
        Measure(
            "kla_achievement",
            "Capaian indikator KLA",
            "KLA indicator achievement",
            "%",
            lower_is_better=False,
            map_label="Capaian indikator KLA",
            scale=ClassScale((0, 20, 40, 60, 80, 100), tuple(reversed(YLORRD[:5]))),
            decimals=0,
            description="Poin diperoleh dibagi poin maksimum indikator menurut rulebook aktif.",
        ),
    )
}

#: Measures a rulebook crosswalk rule may read (the rulebook is rejected for any other code).
CROSSWALK: dict[str, Measure] = {k: m for k, m in CATALOG.items() if m.crosswalk}
#: Routine rates by their column prefix (``"stunting"`` → stunting prevalence), as the Gizi Anak
#: page and :func:`kla.core.rates.add_rates` name them.
RATES: dict[str, Measure] = {m.rate: m for m in CATALOG.values() if m.rate}


def measure(key: str) -> Measure:
    return CATALOG[key]


def rate(name: str) -> Measure:
    """The measure whose routine rate columns are ``<name>_pct`` (``"stunting"``, ``"wasting"`` …)."""
    return RATES[name]


def latest_target(key: str) -> float | None:
    """The last published target value of a measure (the end of the newest target period)."""
    targets = CATALOG[key].targets
    if not targets:
        return None
    last = targets[-1].values
    return float(last[max(last)])


# --------------------------------------------------------------------------- map views
@dataclass(frozen=True)
class MapChoice:
    """One entry of the map's measure selector: a catalogue measure read from one kind of data.

    source:
        ``"nutrition"`` (routine counts in ``nutrition_agg``), ``"published"`` (angka terbitan)
        or ``"kla"`` (self-assessment scores).
    field:
        nutrition: rate prefix or column; published: indicator (or derived key).
    kind:
        ``"rate"``, ``"count"`` or ``"share"``.
    """

    key: str
    measure: Measure
    source: str
    field: str
    kind: str
    source_label: str


NUTRITION_LABEL = "data rutin Dinkes (e-PPGBM / rekap)"
PUBLISHED_LABEL = "angka terbitan (berita / Dinkes)"


def _rate(key: str, measure_key: str) -> MapChoice:
    m = CATALOG[measure_key]
    return MapChoice(key, m, "nutrition", str(m.rate), "rate", NUTRITION_LABEL)


#: The map's selector, in display order.
MAP_CHOICES: dict[str, MapChoice] = {
    c.key: c
    for c in (
        _rate("gizi_stunting", "stunting_prevalence"),
        _rate("gizi_wasting", "wasting_prevalence"),
        _rate("gizi_underweight", "underweight_prevalence"),
        MapChoice(
            "gizi_buruk", CATALOG["severe_wasting_cases"], "nutrition", "severe_wasted", "count", NUTRITION_LABEL
        ),
        MapChoice("cakupan", CATALOG["coverage"], "nutrition", "coverage_pct", "share", NUTRITION_LABEL),
        MapChoice("diukur", CATALOG["measured"], "nutrition", "measured", "count", NUTRITION_LABEL),
        MapChoice(
            "terbitan_stunting",
            CATALOG["stunting_cases_routine"],
            "published",
            "stunting_cases_routine",
            "count",
            PUBLISHED_LABEL,
        ),
        MapChoice(
            "terbitan_stunting_per100",
            CATALOG["stunting_rate_routine"],
            "published",
            "stunting_rate_routine",
            "rate",
            PUBLISHED_LABEL,
        ),
        MapChoice(
            "terbitan_gizi_buruk",
            CATALOG["severe_wasting_cases"],
            "published",
            "severe_wasting_cases",
            "count",
            PUBLISHED_LABEL,
        ),
        MapChoice("kla", CATALOG["kla_achievement"], "kla", "kla", "share", "penilaian mandiri KLA"),
    )
}
