"""Jalan ke Madya: the least-effort set of indicator improvements that reaches a target band.

The problem
-----------
Each indicator can stay where it is or move up to one of the higher scoring levels the rulebook
defines for it (``Indicator.levels``, by default quarters of its maximum). Moving from ``a`` to
``b`` points costs ``(b − a) × difficulty`` effort, difficulty 1–5 per indicator (default 1, so
effort = points gained). Locked indicators cannot move. Find the choice with the least total
effort whose gained points reach ``target.min − current total``.

That is a multiple-choice knapsack (minimise cost subject to gain ≥ need). It is solved
**exactly** by dynamic programming over the gained points: all points are turned into exact
fractions and scaled by the least common denominator to integers (quarters of 41 → ×4), the gain
axis is capped at the need (any surplus counts as "enough"), and costs stay integers, so no
floating-point rounding can change the optimum. Ties in effort are broken by touching fewer
indicators. ``tests/test_planner.py`` checks the optimum against brute force.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from kla.core import crosswalk, fmt, scoring
from kla.core.errors import KlaError, Problem, ValidationError
from kla.core.exact import exact
from kla.core.rulebook import Band, Rulebook

DIFFICULTY_MIN, DIFFICULTY_MAX, DEFAULT_DIFFICULTY = 1, 5, 1
MAX_STATES = 5_000_000  # guard against absurdly fine scoring levels
_TIE = 64  # effort key = cost * _TIE + indicators touched (≤ 63 indicators)
_INF = np.int64(2**62)


class PlanError(KlaError):
    """The plan request itself is invalid (target band, locked codes)."""


# --------------------------------------------------------------------------- solver


def solve_mckp(groups: Sequence[Sequence[tuple[int, int]]], need: int) -> tuple[int, list[int]] | None:
    """Exact multiple-choice knapsack with integer gains and costs.

    ``groups[i]`` lists the options ``(gain > 0, cost ≥ 0)`` of item ``i``; "no change" (0, 0) is
    always allowed. Returns ``(min cost, chosen option index per item, -1 = no change)`` for total
    gain ≥ ``need``, ties broken by fewest items changed; ``None`` when unreachable.
    """
    if need <= 0:
        return 0, [-1] * len(groups)
    n = need
    if n + 1 > MAX_STATES:
        raise PlanError(
            f"Tingkat poin terlalu halus untuk dihitung tepat ({fmt.integer(n)} keadaan); sederhanakan levels."
        )
    dp = np.full(n + 1, _INF, dtype=np.int64)
    dp[0] = 0
    trail: list[tuple[np.ndarray, np.ndarray]] = []
    idx_all = np.arange(n + 1, dtype=np.int32)
    for opts in groups:
        best = dp.copy()
        choice = np.full(n + 1, -1, dtype=np.int16)
        pred = idx_all.copy()
        for j, (gain, cost) in enumerate(opts):
            key = np.int64(cost * _TIE + 1)
            cand = np.full(n + 1, _INF, dtype=np.int64)
            cpred = np.zeros(n + 1, dtype=np.int32)
            if gain < n:
                cand[gain:n] = dp[: n - gain] + key
                cpred[gain:n] = idx_all[: n - gain]
                lo = n - gain
            else:
                lo = 0
            tail = dp[lo:]
            a = int(np.argmin(tail))
            cand[n] = tail[a] + key
            cpred[n] = lo + a
            better = cand < best
            best[better] = cand[better]
            choice[better] = j
            pred[better] = cpred[better]
        np.minimum(best, _INF, out=best)
        dp = best
        trail.append((choice, pred))
    if dp[n] >= _INF:
        return None
    picks = [-1] * len(groups)
    state = n
    for i in range(len(groups) - 1, -1, -1):
        choice, pred = trail[i]
        picks[i] = int(choice[state])
        state = int(pred[state])
    assert state == 0
    return int(dp[n]) // _TIE, picks


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Step:
    code: str
    number: int
    name: str
    group: str
    opd: str
    from_points: float
    to_points: float
    difficulty: int
    effort: float
    requirements: tuple[str, ...] = ()  # crosswalk: what the health measures must reach

    @property
    def gained(self) -> float:
        return self.to_points - self.from_points


@dataclass(frozen=True)
class Plan:
    year: int | None
    area: str | None
    current_total: float
    current_category: str
    target: str
    target_min: float
    need: float
    reachable: bool
    steps: tuple[Step, ...]
    total_effort: float
    new_total: float
    locked: tuple[str, ...] = ()
    difficulty: Mapping[str, int] = field(default_factory=dict)

    @property
    def slack(self) -> float:
        """Points above the target's lower bound the plan leaves (negative: still short)."""
        return self.new_total - self.target_min

    @property
    def new_category_points(self) -> dict[str, float]:
        return {s.code: s.to_points for s in self.steps}

    def message(self) -> str:
        n = fmt.number
        if self.reachable:
            return (
                f"Untuk mencapai {self.target} (≥{n(self.target_min)}) dari {n(self.current_total)} perlu "
                f"{n(self.need)} poin: {len(self.steps)} indikator naik, upaya {n(self.total_effort)}, "
                f"total menjadi {n(self.new_total)} (sisa {n(self.slack)} poin di atas batas)."
            )
        return (
            f"Target {self.target} (≥{n(self.target_min)}) tidak bisa dicapai dengan indikator yang tidak "
            f"dikunci: paling jauh {n(self.new_total)} poin jika semuanya dinaikkan ke maksimum "
            f"(kurang {n(-self.slack)} poin). Buka kunci sebagian indikator atau pilih target lebih rendah."
        )

    def to_dict(self) -> dict:
        return {
            "year": self.year,
            "area": self.area,
            "current_total": _r(self.current_total),
            "current_category": self.current_category,
            "target": self.target,
            "target_min": _r(self.target_min),
            "need": _r(self.need),
            "reachable": self.reachable,
            "total_effort": _r(self.total_effort),
            "new_total": _r(self.new_total),
            "slack": _r(self.slack),
            "locked": list(self.locked),
            "message": self.message(),
            "steps": [
                {
                    "code": s.code,
                    "number": s.number,
                    "name": s.name,
                    "opd": s.opd,
                    "from": _r(s.from_points),
                    "to": _r(s.to_points),
                    "gained": _r(s.gained),
                    "difficulty": s.difficulty,
                    "effort": _r(s.effort),
                    "requirements": list(s.requirements),
                }
                for s in self.steps
            ],
        }


def _r(x: float) -> float:
    return round(float(x), 4)


def target_band(rulebook: Rulebook, current_total: float | Fraction, target: str | None) -> Band:
    """The band to aim for (default: the next one), or a clear PlanError."""
    current = scoring.band_for(current_total, rulebook)
    shown = fmt.number(float(current_total))
    names = [b.name for b in rulebook.bands]
    if target is None:
        nxt, _ = scoring.next_band(current_total, rulebook)
        if nxt is None:
            raise PlanError(
                f"Nilai {shown} sudah di kategori tertinggi ({current.name}); tidak ada target lebih tinggi."
            )
        return nxt
    match = [b for b in rulebook.bands if b.name.lower() == str(target).strip().lower()]
    if not match:
        raise PlanError(f"Kategori target '{target}' tidak ada di rulebook; pilihan: {', '.join(names)}.")
    band = match[0]
    if band.min <= current.min:
        if band.name == current.name:
            raise PlanError(f"Nilai {shown} sudah berada di kategori {current.name}; pilih target di atasnya.")
        raise PlanError(
            f"Target {band.name} ({fmt.number(band.min)}–{fmt.number(band.max)}) berada di bawah kategori sekarang "
            f"({current.name}, nilai {shown}); pilih kategori di atas {current.name}."
        )
    return band


def plan(
    points: Mapping[str, float],
    rulebook: Rulebook,
    *,
    target: str | None = None,
    difficulty: Mapping[str, int] | None = None,
    locked: Iterable[str] = (),
    year: int | None = None,
    area: str | None = None,
) -> Plan:
    """The exact least-effort plan from ``points`` to the lower bound of ``target`` (default: next band)."""
    difficulty = dict(difficulty or {})
    locked = tuple(sorted(set(locked)))
    unknown = sorted((set(difficulty) | set(locked) | set(points)) - set(rulebook.codes))
    if unknown:
        raise PlanError(f"Kode indikator tidak dikenal: {', '.join(unknown)}.")
    bad_diff = {
        c: d for c, d in difficulty.items() if not (isinstance(d, int) and DIFFICULTY_MIN <= d <= DIFFICULTY_MAX)
    }
    if bad_diff:
        raise PlanError(f"Tingkat kesulitan harus bilangan bulat 1–5: {bad_diff}.")

    current = {i.code: exact(float(points.get(i.code, 0.0))) for i in rulebook.indicators}
    total = sum(current.values(), Fraction(0))
    band = target_band(rulebook, total, target)
    need = Fraction(band.min) - total

    movable = [i for i in rulebook.indicators if i.code not in locked]
    options: list[list[tuple[Fraction, Fraction]]] = []  # (to level, gain)
    for ind in movable:
        options.append(
            [(exact(lv), exact(lv) - current[ind.code]) for lv in ind.levels if exact(lv) > current[ind.code]]
        )
    scale = math.lcm(need.denominator, *(g.denominator for opts in options for _, g in opts))
    int_groups = [
        [(int(g * scale), int(g * scale) * difficulty.get(ind.code, DEFAULT_DIFFICULTY)) for _, g in opts]
        for ind, opts in zip(movable, options, strict=True)
    ]
    need_int = math.ceil(need * scale)
    solved = solve_mckp(int_groups, need_int)
    reachable = solved is not None
    # unreachable: the best effort is every unlocked indicator at its maximum
    picks = [len(opts) - 1 for opts in options] if solved is None else solved[1]

    rules = getattr(rulebook, "crosswalk", ())
    steps = []
    effort = Fraction(0)
    for ind, opts, pick in zip(movable, options, picks, strict=True):
        if pick < 0:
            continue
        to, gain = opts[pick]
        d = difficulty.get(ind.code, DEFAULT_DIFFICULTY)
        reqs = tuple(crosswalk.requirement_text(r, float(to)) for r in crosswalk.rules_for(rules, ind.code))
        effort += gain * d
        steps.append(
            Step(
                ind.code,
                ind.number,
                ind.name,
                ind.group,
                ind.opd,
                float(current[ind.code]),
                float(to),
                d,
                float(gain * d),
                reqs,
            )
        )
    if solved is not None:
        assert effort * scale == solved[0], "plan effort disagrees with the solver"
    new_total = total + sum(exact(s.to_points) - exact(s.from_points) for s in steps)
    return Plan(
        year=year,
        area=area,
        current_total=float(total),
        current_category=scoring.category(total, rulebook),
        target=band.name,
        target_min=float(band.min),
        need=float(need),
        reachable=reachable,
        steps=tuple(sorted(steps, key=lambda s: (-s.gained, s.number))),
        total_effort=float(effort),
        new_total=float(new_total),
        locked=locked,
        difficulty=difficulty,
    )


def apply(points: Mapping[str, float], p: Plan) -> dict[str, float]:
    """Indicator points after carrying out the plan."""
    out = dict(points)
    out.update(p.new_category_points)
    return out


# --------------------------------------------------------------------------- difficulty files


def parse_difficulty_mapping(
    raw: Mapping[str, object], rulebook: Rulebook, *, source: str = "kesulitan", first_row: int = 1
) -> dict[str, int]:
    """Validate ``{code: 1–5}``; every problem is reported together (rows counted from ``first_row``)."""
    problems: list[Problem] = []
    out: dict[str, int] = {}
    for n, (code, value) in enumerate(raw.items(), start=first_row):
        code_u = str(code).strip().upper()
        if code_u not in rulebook.codes:
            problems.append(Problem(source, n, "kode_indikator", f"kode indikator '{code}' tidak dikenal"))
            continue
        try:
            as_float = float(str(value).strip().replace(",", "."))
        except ValueError:
            problems.append(Problem(source, n, "kesulitan", f"kesulitan '{value}' untuk {code_u} bukan angka"))
            continue
        if not as_float.is_integer() or not DIFFICULTY_MIN <= as_float <= DIFFICULTY_MAX:
            problems.append(
                Problem(
                    source,
                    n,
                    "kesulitan",
                    f"kesulitan {value} untuk {code_u} di luar 1–5 (bilangan bulat 1 = mudah, 5 = sangat sulit)",
                )
            )
            continue
        if code_u in out:
            problems.append(Problem(source, n, "kode_indikator", f"{code_u} ganda"))
        out[code_u] = int(as_float)
    if problems:
        raise ValidationError(
            f"Berkas kesulitan {source} ditolak ({len(problems)} masalah); tidak ada yang diubah.", problems
        )
    return out


def load_difficulty(path: Path, rulebook: Rulebook) -> dict[str, int]:
    """Read a difficulty file: JSON ``{"I11": 4, ...}`` or CSV with ``kode_indikator,kesulitan`` (1–5)."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"Berkas kesulitan {path} tidak ditemukan.")
    return parse_difficulty_bytes(path.read_bytes(), path.name, rulebook)


def parse_difficulty_bytes(data: bytes, name: str, rulebook: Rulebook) -> dict[str, int]:
    """Parse an uploaded or read difficulty file (JSON by ``.json`` suffix, CSV otherwise)."""
    path = Path(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path.name}: bukan teks UTF-8; tidak ada yang diubah.") from exc
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path.name}: JSON tidak sah ({exc}).") from exc
        if not isinstance(raw, dict):
            raise ValidationError(f'{path.name}: harus objek JSON {{"kode": kesulitan}}.')
        return parse_difficulty_mapping(raw, rulebook, source=path.name)
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip().lower() for c in (reader.fieldnames or [])]
    if "kode_indikator" not in cols or "kesulitan" not in cols:
        raise ValidationError(
            f"{path.name}: kolom wajib 'kode_indikator' dan 'kesulitan' (1–5) tidak ada; tidak ada yang diubah.",
            [Problem(path.name, 1, None, f"kolom yang ada: {', '.join(cols) or '(kosong)'}")],
        )
    problems: list[Problem] = []
    raw_map: dict[str, object] = {}
    for line, rec in enumerate(reader, start=2):
        rec = {str(k).strip().lower(): (v or "").strip() for k, v in rec.items() if k is not None}
        if not any(rec.values()):
            continue
        code = rec.get("kode_indikator", "").upper()
        if code in raw_map:
            problems.append(Problem(path.name, line, "kode_indikator", f"{code} ganda"))
            continue
        raw_map[code] = rec.get("kesulitan", "")
    if problems:
        raise ValidationError(f"Berkas kesulitan {path.name} ditolak; tidak ada yang diubah.", problems)
    return parse_difficulty_mapping(raw_map, rulebook, source=path.name, first_row=2)
