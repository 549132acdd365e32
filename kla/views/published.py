"""The published child-nutrition figures as the Gizi Anak page lists them, with their sources.

Stored source data (indicator codes, English notes and statuses of the published figures) are
kept as they are and translated at display time through :mod:`kla.core.labels`; a value the
tables do not know is shown as stored. Counts of children go through the one suppression rule
(:mod:`kla.core.suppression`). The frame itself is :func:`kla.read.nutrition.published_frame`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kla.core.fmt import month_label
from kla.core.labels import NOTE_LABELS, indicator_label, note_label, source_kind_label, status_label, unit_label
from kla.core.suppression import SMALL_TEXT, fmt_num, is_small
from kla.core.suppression import is_missing as _missing


def _period_label(period: object) -> str:
    text = "" if _missing(period) else str(period)
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return month_label(f"{text}-01")
    return text


def _value_label(value: object, value_num: object, unit: object) -> str:
    """The stored value the Indonesian way, with as many decimals as the source gave."""
    if _missing(value_num):
        return "" if _missing(value) else str(value)
    text = str(value)
    decimals = len(text.split(".", 1)[1]) if re.fullmatch(r"-?\d+\.\d+", text) else 0
    shown = fmt_num(value_num, decimals)
    if str(unit) == "children" and is_small(value_num):
        return SMALL_TEXT
    return f"{shown}%" if str(unit) == "percent" else shown


def published_table(pub: pd.DataFrame) -> pd.DataFrame:
    """Published figures for display in Indonesian, survey and routine labelled apart.

    Codes, units, statuses, source kinds and known notes go through :mod:`kla.core.labels`
    (unknown values are shown as stored); notes the tables do not know stay in their source
    language in "Catatan (bahasa sumber)". Numbers use decimal comma and thousands dot.
    """
    kind = np.where(pub["indicator"].str.contains("survey"), "survei", "data rutin")
    notes = pub["note"] if "note" in pub.columns else pd.Series([None] * len(pub))
    known = [note_label(n) for n in notes]
    raw = ["" if (_missing(n) or str(n).strip() in NOTE_LABELS) else str(n) for n in notes]
    out = pd.DataFrame(
        {
            "Jenis": kind,
            "Indikator": [indicator_label(c) for c in pub["indicator"]],
            "Wilayah": pub["area_name"],
            "Periode": [_period_label(p) for p in pub["period"]],
            "Nilai": [
                _value_label(v, n, u) for v, n, u in zip(pub["value"], pub["value_num"], pub["unit"], strict=True)
            ],
            "Satuan": [unit_label(u) for u in pub["unit"]],
            "Penyebut": [fmt_num(v) if not _missing(v) else "" for v in pub.get("denominator", [None] * len(pub))],
            "Sumber": [source_kind_label(k) for k in pub["source_kind"]],
            "Status": [status_label(s) for s in pub["status"]],
            "Tautan": [None if _missing(u) or not str(u).strip() else str(u) for u in pub["source_url"]],
            "Catatan": known,
        }
    ).reset_index(drop=True)
    if any(raw):
        out["Catatan (bahasa sumber)"] = raw
    return out


def published_has_url(table: pd.DataFrame) -> list[bool]:
    """Which rows of :func:`published_table` carry a source link."""
    return [isinstance(u, str) and u.startswith(("http://", "https://")) for u in table["Tautan"]]
