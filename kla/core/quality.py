"""Data-quality flags of the monthly nutrition figures, and the words every page uses for them.

The flags themselves are computed when the store aggregates (``flag_*`` columns of
``nutrition_agg``); this module names them: the Gizi Anak page's notes and ranking table, the map's
hover and the analysis pages' measure values (:mod:`kla.read.analysis`) all say the same thing.
"""

from __future__ import annotations

import pandas as pd

from kla.core import catalog
from kla.core.rates import SMALL_N
from kla.core.suppression import fmt_num, is_missing

#: Data-quality flags in the order they are named (most important first).
FLAG_LABELS = {
    "flag_incomplete": "wilayah belum lengkap",
    "flag_low_coverage": "cakupan < 95%",
    "flag_small_n": f"n < {SMALL_N}",
    "flag_conflict": "angka antarsumber berbeda",
    "flag_zero": "terisi nol (tidak ada anak diukur)",
    "flag_zero_cases": "semua kasus 0 padahal ≥ 100 anak (periksa isian)",
}


def measure_flags(d: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """Boolean flag columns of ``d`` (missing ones are False).

    With ``measure`` the small-denominator flag uses that measure's own denominator (``n_whz``
    for wasting, ``n_waz`` for underweight); the stored ``flag_small_n`` is stunting's (``n_haz``).
    """
    out = pd.DataFrame(index=d.index)
    for col in FLAG_LABELS:
        out[col] = d[col].fillna(False).astype(bool) if col in d.columns else False
    if measure is not None:
        den = (catalog.RATES.get(measure) or catalog.CATALOG[measure]).denominator
        if den in d.columns:
            n = pd.to_numeric(d[den], errors="coerce")
            measured = pd.to_numeric(d["measured"], errors="coerce") if "measured" in d.columns else n
            # n = 0 while children were measured: the source did not report this measure (a recap
            # without its columns), which is "not reported", not a small denominator
            out["flag_small_n"] = ((n < SMALL_N) & ~((n == 0) & (measured > 0))).fillna(False).astype(bool)
    return out


def _int(value: object) -> int | None:
    return None if is_missing(value) else int(value)


def incomplete_text(row: object) -> str:
    """``"wilayah belum lengkap: 5 dari 6 kecamatan melapor"`` from one agg row's counts."""
    get = row.get if hasattr(row, "get") else (lambda k, default=None: getattr(row, k, default))
    parts = []
    kr, ke = _int(get("kec_reporting")), _int(get("kec_expected"))
    if kr is not None and ke is not None and kr < ke:
        parts.append(f"{kr} dari {ke} kecamatan")
    ur, ue, ul = _int(get("units_reporting")), _int(get("units_expected")), get("units_level")
    if ur is not None and ue is not None and ur < ue and isinstance(ul, str):
        parts.append(f"{fmt_num(ur)} dari {fmt_num(ue)} {ul}")
    if not parts:
        return FLAG_LABELS["flag_incomplete"]
    return f"{FLAG_LABELS['flag_incomplete']}: {', '.join(parts)} melapor"


def flag_text(d: pd.DataFrame, measure: str | None = None) -> list[str]:
    """One readable note per row naming its data-quality flags (empty when none).

    Tolerates frames that carry only some flag columns (the analysis pages pass four).
    """
    flags = measure_flags(d, measure)
    labels = list(FLAG_LABELS.values())
    incomplete = list(FLAG_LABELS).index("flag_incomplete")
    out = []
    for i, rec in enumerate(flags.to_numpy()):
        names = [(incomplete_text(d.iloc[i]) if j == incomplete else labels[j]) for j, on in enumerate(rec) if on]
        out.append(", ".join(names))
    return out
