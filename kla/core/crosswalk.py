"""Health ↔ KLA crosswalk: which measured value earns which indicator points.

The rules live in the rulebook file (``[[crosswalk]]``) and are ILLUSTRATIVE until KemenPPPA's
official scoring guide is available; every rule carries that flag. These pure functions are the
only place a measure turns into points, so the planner (step requirements), the what-if page
(points from a typed-in measure) and the crosswalk page always agree.

Rule semantics
--------------
``steps = [[threshold, points], ...]`` is ordered best first. For a measure where lower is better
(prevalence) a value *at or below* ``threshold`` earns ``points``; where higher is better
(coverage) a value *at or above* it does. The first matching step wins; a value matching none
earns ``otherwise``. When several rules feed one indicator, the indicator gets the **lowest** of
their points (the weakest measure decides), counting only measures that have a value. A
:class:`Scenario` carries every input, so the page's chart and sentence come from one computation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kla.core import fmt
from kla.core.catalog import CROSSWALK, Measure
from kla.core.exact import exact

EPS = 1e-9


@dataclass(frozen=True)
class CrosswalkRule:
    indicator: str
    measure: str
    steps: tuple[tuple[float, float], ...]  # (threshold, points), best first
    otherwise: float
    illustrative: bool
    source: str

    @property
    def measure_info(self) -> Measure:
        return CROSSWALK[self.measure]

    def qualifies(self, value: float, threshold: float) -> bool:
        if self.measure_info.lower_is_better:
            return value <= threshold + EPS
        return value >= threshold - EPS


def parse_crosswalk(
    specs: Iterable[dict],
    indicators: Mapping[str, object],
    bad: Callable[..., None],
) -> tuple[CrosswalkRule, ...]:
    """Validate ``[[crosswalk]]`` tables against the rulebook's indicators and the measure catalogue.

    ``indicators`` maps code → :class:`kla.core.rulebook.Indicator`; ``bad(message, row, column)``
    collects problems (the rulebook raises them together as one ValidationError).
    """
    rules: list[CrosswalkRule] = []
    for pos, spec in enumerate(specs, start=1):
        where = f"aturan crosswalk ke-{pos}"
        try:
            code = str(spec["indicator"])
            measure = str(spec["measure"])
            steps = tuple((float(t), float(p)) for t, p in spec["steps"])
            otherwise = float(spec.get("otherwise", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            bad(f"{where} tidak lengkap atau salah tipe ({exc}); perlu indicator, measure, steps", pos, "crosswalk")
            continue
        ind = indicators.get(code)
        if ind is None:
            bad(f"{where} menunjuk indikator '{code}' yang tidak ada di rulebook", pos, "indicator")
            continue
        if measure not in CROSSWALK:
            bad(
                f"{where} (indikator {code}) menunjuk ukuran '{measure}' yang tidak dikenal; "
                f"ukuran yang dikenal: {', '.join(sorted(CROSSWALK))}",
                pos,
                "measure",
            )
            continue
        if not steps:
            bad(f"{where} (indikator {code}): daftar steps kosong", pos, "steps")
            continue
        max_points = float(ind.max_points)  # type: ignore[attr-defined]
        levels = tuple(float(x) for x in ind.levels)  # type: ignore[attr-defined]
        for _, pts in (*steps, (None, otherwise)):
            if pts > max_points + EPS:
                bad(
                    f"{where} (indikator {code}) memberi {fmt.number(pts)} poin, melebihi poin maksimum "
                    f"indikator itu ({fmt.number(max_points)})",
                    pos,
                    "steps",
                )
            elif pts < -EPS:
                bad(f"{where} (indikator {code}) memberi poin negatif ({fmt.number(pts)})", pos, "steps")
            elif not any(abs(pts - lv) < 1e-6 for lv in levels):
                bad(
                    f"{where} (indikator {code}): {fmt.number(pts)} poin bukan salah satu tingkat poin indikator "
                    f"({fmt.number_list(levels)})",
                    pos,
                    "steps",
                )
        lower = CROSSWALK[measure].lower_is_better
        thresholds = [t for t, _ in steps]
        points = [p for _, p in steps] + [otherwise]
        ordered = all((b > a) if lower else (b < a) for a, b in zip(thresholds, thresholds[1:], strict=False))
        if not ordered:
            bad(
                f"{where} (indikator {code}): ambang harus urut dari yang terbaik "
                f"({'naik' if lower else 'turun'}), bukan ({fmt.number_list(thresholds)})",
                pos,
                "steps",
            )
        if any(b >= a for a, b in zip(points, points[1:], strict=False)):
            bad(f"{where} (indikator {code}): poin harus menurun dari ambang terbaik ke 'otherwise'", pos, "steps")
        rules.append(
            CrosswalkRule(
                indicator=code,
                measure=measure,
                steps=steps,
                otherwise=otherwise,
                illustrative=bool(spec.get("illustrative", True)),
                source=str(spec.get("source", "")),
            )
        )
    return tuple(rules)


def points_for(rule: CrosswalkRule, value: float) -> float:
    """Points the rule gives a measured ``value``."""
    for threshold, points in rule.steps:
        if rule.qualifies(value, threshold):
            return points
    return rule.otherwise


def indicator_points(rules: Iterable[CrosswalkRule], values: Mapping[str, float | None]) -> float | None:
    """Points of one indicator from its rules and the measure values (``None``: no value at all)."""
    got = [points_for(r, values[r.measure]) for r in rules if values.get(r.measure) is not None]
    return min(got) if got else None


def requirement(rule: CrosswalkRule, points: float) -> float | None:
    """The loosest measure value that still earns at least ``points`` (None: even the best step is short)."""
    if rule.otherwise >= points - EPS:
        return None if not rule.steps else (float("inf") if rule.measure_info.lower_is_better else float("-inf"))
    best = None
    for threshold, pts in rule.steps:
        if pts >= points - EPS:
            best = threshold
    return best


def requirement_text(rule: CrosswalkRule, points: float) -> str:
    """E.g. "Prevalensi stunting balita ≤ 14,0% (aturan ilustratif)"."""
    m = rule.measure_info
    need = requirement(rule, points)
    flag = " (aturan ilustratif)" if rule.illustrative else ""
    if need is None:
        return f"{m.label}: tidak ada nilai yang memberi {fmt.number(points)} poin{flag}"
    if need in (float("inf"), float("-inf")):
        return f"{m.label}: berapa pun nilainya{flag}"
    op = "≤" if m.lower_is_better else "≥"
    return f"{m.label} {op} {m.fmt(need)}{flag}"


def rules_for(rules: Iterable[CrosswalkRule], indicator: str) -> tuple[CrosswalkRule, ...]:
    return tuple(r for r in rules if r.indicator == indicator)


def linked_indicators(rules: Iterable[CrosswalkRule]) -> list[str]:
    seen: list[str] = []
    for r in rules:
        if r.indicator not in seen:
            seen.append(r.indicator)
    return seen


@dataclass(frozen=True)
class Reading:
    """One measured value a rule reads, with where it comes from (survey and routine are different measures)."""

    value: float
    series: str  # "survei" | "rutin" (kla.core.catalog.SURVEY / ROUTINE)
    source: str  # e.g. "SSGI", "e-PPGBM"
    period: str

    def describe(self) -> str:
        """E.g. "survei SSGI 2022" or "rutin e-PPGBM 2025-06"."""
        period = "" if self.period in self.source else self.period
        return " ".join(x for x in (self.series, self.source, period) if x)


@dataclass(frozen=True)
class RuleInput:
    """One rule feeding the indicator: the measure's value (now or in the scenario) and the points it gives."""

    measure: str
    value: float | None
    reading: Reading | None  # None for the value typed into the scenario
    points: float | None  # None: no value, so the rule does not count

    def describe(self) -> str:
        m = CROSSWALK[self.measure]
        if self.value is None:
            return f"{m.label}: belum ada data (tidak dihitung)"
        where = f" ({self.reading.describe()})" if self.reading else " (skenario)"
        return f"{m.label} {m.fmt(self.value)}{where} → {fmt.number(self.points)} poin"


@dataclass(frozen=True)
class Scenario:
    """What happens to one indicator and the total if ``measure`` reached ``new_value``.

    One object feeds both the crosswalk chart and the sentence, so they cannot disagree: the
    indicator's points are the lowest of its rules' points (the weakest measure decides), and
    every input is listed.
    """

    indicator: str
    indicator_number: int
    measure: str
    new_value: float
    reading: Reading | None  # the measure's current value and where it comes from
    inputs_now: tuple[RuleInput, ...]
    inputs_new: tuple[RuleInput, ...]
    current_points: float  # the points in the self-assessment
    rule_points_now: float | None  # what the rules give the current values (None: no data at all)
    new_points: float
    current_total: float

    @property
    def new_total(self) -> float:
        return float(exact(self.current_total) - exact(self.current_points) + exact(self.new_points))

    @property
    def limited_by(self) -> tuple[str, ...]:
        """Other measures whose rule gives fewer points than the varied one in the scenario (they cap it)."""
        own = next((i.points for i in self.inputs_new if i.measure == self.measure), None)
        if own is None:
            return ()
        return tuple(
            i.measure for i in self.inputs_new if i.measure != self.measure and i.points is not None and i.points < own
        )

    def combination_note(self) -> str | None:
        """How several rules combine, with every input; None when the indicator has one rule."""
        if len(self.inputs_new) < 2:
            return None
        parts = "; ".join(i.describe() for i in self.inputs_new)
        return (
            f"Indikator {self.indicator_number} diberi poin terendah dari {len(self.inputs_new)} ukuran "
            f"(ukuran terlemah menentukan): {parts}."
        )

    def sentence(self) -> str:
        m = CROSSWALK[self.measure]
        label = m.label[0].lower() + m.label[1:]
        if self.reading is None:
            change = f"Jika {label} menjadi {m.fmt(self.new_value)} (belum ada data sekarang)"
        else:
            now = f"{label} ({self.reading.describe()}: {m.fmt(self.reading.value)})"
            shown_new, shown_now = round(self.new_value, 1), round(self.reading.value, 1)
            if shown_new < shown_now:
                change = f"Jika {now} turun ke {m.fmt(self.new_value)}"
            elif shown_new > shown_now:
                change = f"Jika {now} naik ke {m.fmt(self.new_value)}"
            else:
                change = f"Jika {now} tetap {m.fmt(self.new_value)}"
        if self.new_points > self.current_points + EPS:
            move = f"naik dari {fmt.number(self.current_points)} ke {fmt.number(self.new_points)} poin"
        elif self.new_points < self.current_points - EPS:
            move = f"turun dari {fmt.number(self.current_points)} ke {fmt.number(self.new_points)} poin"
        else:
            move = f"tetap {fmt.number(self.current_points)} poin"
        cap = ""
        if self.limited_by:
            names = ", ".join(CROSSWALK[c].label.lower() for c in self.limited_by)
            cap = f" (dibatasi oleh {names})"
        return f"{change}, indikator {self.indicator_number} {move}{cap}, total menjadi {fmt.number(self.new_total)}."


def _inputs(rules: Iterable[CrosswalkRule], values: Mapping[str, float | None], readings: Mapping[str, Reading]):
    out = []
    for r in rules:
        v = values.get(r.measure)
        out.append(RuleInput(r.measure, v, readings.get(r.measure), None if v is None else points_for(r, v)))
    return tuple(out)


def scenario(
    rules: Iterable[CrosswalkRule],
    *,
    indicator: str,
    indicator_number: int,
    measure: str,
    new_value: float,
    readings: Mapping[str, Reading],
    current_points: float,
    current_total: float,
) -> Scenario:
    """Points of ``indicator`` when ``measure`` is ``new_value`` and the other measures stay as read."""
    own = rules_for(rules, indicator)
    now_values: dict[str, float | None] = {k: r.value for k, r in readings.items()}
    new_values = dict(now_values)
    new_values[measure] = new_value
    scenario_readings = {k: r for k, r in readings.items() if k != measure}
    new_points = indicator_points(own, new_values)
    return Scenario(
        indicator=indicator,
        indicator_number=indicator_number,
        measure=measure,
        new_value=new_value,
        reading=readings.get(measure),
        inputs_now=_inputs(own, now_values, readings),
        inputs_new=_inputs(own, new_values, scenario_readings),
        current_points=current_points,
        rule_points_now=indicator_points(own, now_values),
        new_points=current_points if new_points is None else new_points,
        current_total=current_total,
    )
