"""Which counts of one month's routine nutrition tables may be shared, totals beside their parts.

The Gizi Anak page offers the kelurahan ranking and the kecamatan ranking of the same month as
tables and CSV downloads, and the kota in its headline. Primary suppression alone ("< 5" for 1–4)
let a reader work a hidden kelurahan count out as its kecamatan's total minus the shown kelurahan
(issue 11). :func:`month_suppression` applies complementary suppression
(:mod:`kla.core.complementary`) to the whole month at once (kelurahan → kecamatan → kota), one
mask per count column, so every output of the month uses the same cells:

* ``small_<col>``: shown as "< 5" (1–4, and every part below a "< 5" total, zeros included);
* ``hide_<col>``: not shown at all; a hidden cell that is not small is shown as
  :data:`WITHHELD_TEXT` (hidden only to protect a small one).

A rate is hidden with its count or its denominator, the coverage with "diukur" or "sasaran"
(:func:`rate_hidden`, :func:`coverage_hidden`): rate and denominator would give the count back.
Puskesmas rows are another hierarchy and keep the primary rule only (see README).
"""

from __future__ import annotations

import pandas as pd

from kla.core import catalog
from kla.core.complementary import primary_mask, suppress_hierarchy
from kla.core.suppression import SMALL_TEXT, fmt_count

#: What a count hidden only to protect a small one shows (never "< 5": it is at least 5).
WITHHELD_TEXT = "disamarkan"
_IMPLAUSIBLE = ("implausible_haz", "implausible_whz", "implausible_waz")
#: Count columns of a table row, by the name the masks use.
COUNTS = ("cases", "valid", "measured", "sasaran", "excluded")


def count_values(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The shared count columns of ``rows`` (agg rows) for ``measure``, as numbers (NaN = missing)."""
    num, den = catalog.rate(measure).nutrition

    def col(name: str) -> pd.Series:
        if name not in rows.columns:
            return pd.Series(float("nan"), index=rows.index)
        return pd.to_numeric(rows[name], errors="coerce")

    present = [c for c in _IMPLAUSIBLE if c in rows.columns]
    excluded = (
        rows[present].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
        if present
        else pd.Series(float("nan"), index=rows.index)
    )
    return pd.DataFrame(
        {
            "cases": col(num),
            "valid": col(den),
            "measured": col("measured"),
            "sasaran": col("sasaran"),
            "excluded": excluded,
        },
        index=rows.index,
    )


def month_suppression(agg: pd.DataFrame, *, source_type: str, period: pd.Timestamp, measure: str) -> pd.DataFrame:
    """Masks for every area of one month and source: index ``area_code``, columns ``hide_<c>`` and
    ``small_<c>`` for each ``c`` of :data:`COUNTS`.

    Kelurahan are the parts, kecamatan (their ``parent_code``) the totals and the kota the overall
    total, computed together. Areas outside that tree (puskesmas, a kecamatan without kelurahan
    rows) get the primary rule alone.
    """
    d = agg[(agg["source_type"] == source_type) & (agg["period"] == period)]
    d = d[~d["area_code"].duplicated(keep="first")]
    values = count_values(d, measure)
    primary = primary_mask(values)
    codes = d["area_code"].to_numpy()
    hide = {c: primary[c].to_numpy(dtype=bool).copy() for c in COUNTS}
    small = {c: primary[c].to_numpy(dtype=bool).copy() for c in COUNTS}
    kel = (d["level"] == "kelurahan").to_numpy()
    if kel.any():
        parts = values[kel].assign(kecamatan=d.loc[kel, "parent_code"].fillna("").astype(str).to_numpy())
        sup = suppress_hierarchy(parts, groups=["kecamatan"], value_cols=list(COUNTS), grand_total=True)
        position = {code: i for i, code in enumerate(codes)}
        rows = [position[code] for code in codes[kel]]  # parts are in the order of d's kelurahan rows
        kec = [(position[k], k) for k in sup.totals["kecamatan"].index if k in position]
        kota = [i for i, lvl in enumerate(d["level"]) if lvl == "kota"]
        for c in COUNTS:
            hide[c][rows] = sup.parts[c].to_numpy()
            small[c][rows] = sup.small_parts[c].to_numpy()
            for i, k in kec:
                hide[c][i] = sup.totals["kecamatan"].at[k, c]
                small[c][i] = sup.small_totals["kecamatan"].at[k, c]
            if sup.grand is not None and sup.small_grand is not None:
                hide[c][kota] = bool(sup.grand[c])
                small[c][kota] = bool(sup.small_grand[c])
    columns = {f"hide_{c}": hide[c] for c in COUNTS} | {f"small_{c}": small[c] for c in COUNTS}
    return pd.DataFrame(columns, index=pd.Index(codes, name="area_code")).astype(bool)


def count_text(value: object, *, hide: bool, small: bool) -> str:
    """A count as shared: "< 5" when small, :data:`WITHHELD_TEXT` when hidden otherwise, else the count."""
    if small:
        return SMALL_TEXT
    if hide:
        return WITHHELD_TEXT
    return fmt_count(value)


def rate_hidden(masks: pd.DataFrame) -> pd.Series:
    """A rate (and its interval) is hidden with its count or its denominator."""
    return masks["hide_cases"] | masks["hide_valid"]


def coverage_hidden(masks: pd.DataFrame) -> pd.Series:
    """Coverage (measured / sasaran) is hidden with either count."""
    return masks["hide_measured"] | masks["hide_sasaran"]


def row_masks(rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The masks carried by ranked rows (:func:`kla.views.nutrition.rank_areas` adds them), or the
    primary rule alone for rows that carry none. Same index as ``rows``."""
    cols = [f"{k}_{c}" for c in COUNTS for k in ("hide", "small")]
    if all(c in rows.columns for c in cols):
        return rows[cols].fillna(False).astype(bool)
    primary = primary_mask(count_values(rows, measure))
    return pd.DataFrame(
        {f"{k}_{c}": primary[c].to_numpy() for c in COUNTS for k in ("hide", "small")}, index=rows.index
    ).astype(bool)


def area_masks(agg: pd.DataFrame, *, source_type: str, period: pd.Timestamp, measure: str, area: str) -> pd.Series:
    """The masks of one area for one month (e.g. the kecamatan in the page's headline): the same
    cells the month's ranking tables hide. An area outside the month gets the primary rule of its row."""
    masks = month_suppression(agg, source_type=source_type, period=period, measure=measure)
    if area in masks.index:
        return masks.loc[area]
    return pd.Series(False, index=masks.columns, dtype=bool)
