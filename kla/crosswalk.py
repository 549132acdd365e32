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
their points (the weakest measure decides), counting only measures that have a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kla import fmt
from kla.measures import MEASURES, Measure

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
        return MEASURES[self.measure]

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

    ``indicators`` maps code → :class:`kla.rulebook.Indicator`; ``bad(message, row, column)``
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
        if measure not in MEASURES:
            bad(
                f"{where} (indikator {code}) menunjuk ukuran '{measure}' yang tidak dikenal; "
                f"ukuran yang dikenal: {', '.join(sorted(MEASURES))}",
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
        lower = MEASURES[measure].lower_is_better
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
class Effect:
    """What happens to one indicator and the total if a measure reached ``new_value``."""

    indicator: str
    indicator_number: int
    measure: str
    new_value: float
    current_points: float
    rule_points_now: float | None  # what the rule gives the current measured values (None: no data)
    new_points: float
    current_total: float

    @property
    def new_total(self) -> float:
        return self.current_total - self.current_points + self.new_points

    def sentence(self) -> str:
        m = MEASURES[self.measure]
        verb = "turun" if m.lower_is_better else "naik"
        if self.new_points > self.current_points + EPS:
            move = f"naik dari {fmt.number(self.current_points)} ke {fmt.number(self.new_points)} poin"
        elif self.new_points < self.current_points - EPS:
            move = f"turun dari {fmt.number(self.current_points)} ke {fmt.number(self.new_points)} poin"
        else:
            move = f"tetap {fmt.number(self.current_points)} poin"
        return (
            f"Jika {m.label[0].lower() + m.label[1:]} {verb} ke {m.fmt(self.new_value)}, "
            f"indikator {self.indicator_number} {move}, total menjadi {fmt.number(self.new_total)}."
        )


def effect(
    rules: Iterable[CrosswalkRule],
    *,
    indicator: str,
    indicator_number: int,
    measure: str,
    new_value: float,
    current_values: Mapping[str, float | None],
    current_points: float,
    current_total: float,
) -> Effect:
    """Points of ``indicator`` when ``measure`` is ``new_value`` and the other measures stay as they are."""
    own = rules_for(rules, indicator)
    values = dict(current_values)
    values[measure] = new_value
    new_points = indicator_points(own, values)
    return Effect(
        indicator=indicator,
        indicator_number=indicator_number,
        measure=measure,
        new_value=new_value,
        current_points=current_points,
        rule_points_now=indicator_points(own, current_values),
        new_points=current_points if new_points is None else new_points,
        current_total=current_total,
    )
