"""The one suppression rule for counts of children, and the Indonesian number texts it goes with.

A count from 1 to ``SUPPRESS_BELOW - 1`` (:mod:`kla.core.privacy`) is shown as "< 5", and a rate
resting on such a count is not shown at all (rate, its interval and the denominator together
would give the count away): :func:`is_small`, :func:`fmt_count`, :func:`fmt_rate`. The Gizi Anak
page's metrics, tables, CSV download and charts, and the data-quality notes, all use them.

Numbers are Indonesian (decimal comma, thousands dot: ``4,2%``, ``58.623``, ``IK 95%: 4,0–4,4%``)
by the dashboard's one rule in :mod:`kla.core.fmt`.
"""

from __future__ import annotations

import pandas as pd

from kla.core import fmt
from kla.core.privacy import SUPPRESS_BELOW

SMALL_TEXT = f"< {SUPPRESS_BELOW}"
HIDDEN_RATE_TEXT = f"< {SUPPRESS_BELOW} kasus (disamarkan)"


def is_missing(value: object) -> bool:
    """True for None, NA, NaT and NaN; False for anything else (strings included)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value: object, decimals: int = 0) -> str:
    """Indonesian number (:func:`kla.core.fmt.number`): ``58.623``, ``4,2``, ``2543``; ``–`` when missing."""
    return fmt.number(value, decimals)


def fmt_pct(value: object, decimals: int = 1) -> str:
    """``4,2%``; ``–`` when missing (:func:`kla.core.fmt.percent`)."""
    return fmt.percent(value, decimals)


def fmt_ci(lo: object, hi: object) -> str:
    """``IK 95%: 4,0–4,4%``; empty when either end is missing."""
    if is_missing(lo) or is_missing(hi):
        return ""
    return f"IK 95%: {fmt_num(lo, 1)}–{fmt_num(hi, 1)}%"


def is_small(count: object) -> bool:
    """The one suppression rule: a count from 1 to ``SUPPRESS_BELOW - 1`` is not shown."""
    return not is_missing(count) and 0 < float(count) < SUPPRESS_BELOW


def fmt_count(count: object) -> str:
    """A count for display: ``< 5`` for 1–4, Indonesian digits otherwise, ``–`` when missing."""
    return SMALL_TEXT if is_small(count) else fmt_num(count)


def fmt_rate(cases: object, pct: object, decimals: int = 1) -> str:
    """A prevalence for display; hidden when it rests on 1–4 cases."""
    return HIDDEN_RATE_TEXT if is_small(cases) else fmt_pct(pct, decimals)


def small_mask(counts: pd.Series) -> pd.Series:
    """Vector form of :func:`is_small`."""
    v = pd.to_numeric(counts, errors="coerce")
    return (v > 0) & (v < SUPPRESS_BELOW)
