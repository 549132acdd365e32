"""Prevalences from counts: the Wilson 95 % interval, rate columns, small-count suppression.

Pure arithmetic on numbers and frames, shared by the Gizi Anak page, the map and the exports (they
used to live with the nutrition importers in :mod:`kla.ingest.nutrition`). Definitions of the
rates themselves (numerator, denominator) are in :data:`kla.core.catalog.RATES`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kla.core import catalog
from kla.core.privacy import SUPPRESS_BELOW

#: z of the 95 % Wilson interval: 1.96, the value reports and textbook tables print. (The exact 97.5 %
#: normal quantile differs from it in the sixth significant digit; on our rates that moves an interval
#: end by about 0.0001 percentage point.) The one z of the dashboard: the Gizi Anak page, the map and
#: the exports all get their intervals from :func:`wilson`.
Z95 = 1.96
#: Below this many children in the denominator a rate is flagged as resting on a small number.
SMALL_N = 30
#: Share of the target children (sasaran) that should be measured each month.
COVERAGE_TARGET = 0.95


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion and Wilson score interval, vectorised; NaN where ``n == 0``.

    p̂ = k/n; centre = (p̂ + z²/2n) / (1 + z²/n);
    half-width = z·sqrt(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.clip(centre - half, 0, 1)
    hi = np.clip(centre + half, 0, 1)
    return p, np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def wilson_interval(cases: float, n: float) -> tuple[float, float]:
    """:func:`wilson` for one rate, in percent: ``(low, high)``; ``(nan, nan)`` when ``n <= 0`` or missing."""
    if cases is None or n is None or np.isnan(cases) or np.isnan(n) or n <= 0:
        return (np.nan, np.nan)
    _p, lo, hi = wilson(np.array([cases]), np.array([n]))
    return (float(lo[0]) * 100, float(hi[0]) * 100)


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``<rate>_pct``, ``_lo``, ``_hi`` (percent, Wilson 95% CI) for every routine rate of
    :data:`kla.core.catalog.RATES`, and ``coverage_pct``."""
    out = frame.copy()
    for name, m in catalog.RATES.items():
        p, lo, hi = wilson(out[m.numerator].to_numpy(dtype=float), out[m.denominator].to_numpy(dtype=float))
        out[f"{name}_pct"] = p * 100
        out[f"{name}_lo"] = lo * 100
        out[f"{name}_hi"] = hi * 100
    sas = out["sasaran"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["coverage_pct"] = np.where(sas > 0, out["measured"].to_numpy(dtype=float) / sas * 100, np.nan)
    return out


def suppress_small(frame: pd.DataFrame, columns: list[str], *, below: int = SUPPRESS_BELOW) -> pd.DataFrame:
    """Copy for sharing: counts 1..below-1 become missing (shown as "<5"), zero stays zero."""
    out = frame.copy()
    for c in columns:
        v = pd.to_numeric(out[c], errors="coerce")
        out[c] = v.astype("Float64").mask((v > 0) & (v < below))
    return out
