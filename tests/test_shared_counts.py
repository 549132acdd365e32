"""Counts under 5 in the Gizi Anak CSV downloads cannot be worked out by subtraction (issue 11).

The attacker downloads, for one month, the kelurahan ranking CSV and the kecamatan ranking CSV
(what the page offers), and for each kecamatan takes its total minus its shown kelurahan. With
primary suppression alone this gave hidden 1–4 counts back; with the month's complementary
suppression (kla.views.nutrition_privacy) it must give none.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from kla.core import catalog, fmt
from kla.read import nutrition as nutrition_read
from kla.read import repository
from kla.read.db import connect_readonly
from kla.views import nutrition as nu
from kla.views.nutrition_privacy import WITHHELD_TEXT

COUNT_COLUMNS = {  # CSV column → agg column (None: the measure's own)
    "Kasus": None,
    "Anak dengan z-score sah": None,
    "Diukur": "measured",
    "Sasaran": "sasaran",
}


@pytest.fixture(scope="module")
def data(built_db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = connect_readonly(built_db)
    try:
        return nutrition_read.agg_frame(con), repository.area_names(con)
    finally:
        con.close()


def downloaded(ranked: pd.DataFrame, measure: str, period: pd.Timestamp) -> pd.DataFrame:
    """The CSV the page's download button gives, read back as text cells."""
    raw = nu.ranking_csv(nu.ranking_table(ranked, measure=measure), month=fmt.month_label(period), source_label="uji")
    return pd.read_csv(io.BytesIO(raw), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def shown(cell: str) -> int | None:
    """A shown count, or None when hidden ("< 5", "disamarkan") or missing."""
    if cell in ("< 5", WITHHELD_TEXT, "–", ""):
        return None
    return int(cell.replace(".", ""))


def months(agg: pd.DataFrame) -> Iterator[tuple[str, pd.Timestamp, str]]:
    for source in sorted(agg["source_type"].unique()):
        for period in sorted(agg.loc[agg["source_type"] == source, "period"].unique()):
            for measure in catalog.RATES:
                yield source, period, measure


def attack(
    kel_rows: pd.DataFrame, kel_csv: pd.DataFrame, kec_rows: pd.DataFrame, kec_csv: pd.DataFrame, measure: str
) -> list[str]:
    """Hidden kelurahan counts of 1–4 that kecamatan total minus shown kelurahan gives back exactly."""
    found = []
    num, den = catalog.rate(measure).nutrition
    for column, raw in COUNT_COLUMNS.items():
        raw = raw or (num if column == "Kasus" else den)
        if column not in kel_csv.columns or column not in kec_csv.columns:
            continue
        for code, total_cell in zip(kec_rows["area_code"], kec_csv[column], strict=True):
            total = shown(total_cell)
            mine = (kel_rows["parent_code"] == code).to_numpy()
            parts = [shown(c) for c in kel_csv.loc[mine, column]]
            hidden = [i for i, p in enumerate(parts) if p is None]
            if total is None or len(hidden) != 1:
                continue
            value = total - sum(p for p in parts if p is not None)
            truth = kel_rows.loc[mine, raw].iloc[hidden[0]]
            assert value == truth, "the CSV's kecamatan total is the sum of its kelurahan"
            if 1 <= value <= 4:
                found.append(f"{column} {code}: {value}")
    return found


@pytest.fixture(scope="module")
def recovered(data: tuple) -> dict[str, list[str]]:
    """Every month, source and measure: what the attack recovers from the CSVs as downloaded now,
    and from the same tables with the primary rule alone (each cell on its own, as before)."""
    agg, areas = data
    found: dict[str, list[str]] = {"now": [], "primary": []}
    for source, period, measure in months(agg):
        ranked = {
            level: nu.rank_areas(agg, source_type=source, period=period, measure=measure, level=level, areas=areas)
            for level in ("kelurahan", "kecamatan")
        }
        primary = {
            level: rows.drop(columns=[c for c in rows.columns if c.startswith(("hide_", "small_"))])
            for level, rows in ranked.items()
        }
        where = f"{source} {period:%Y-%m} {measure}"
        for name, tables in (("now", ranked), ("primary", primary)):
            kel, kec = tables["kelurahan"], tables["kecamatan"]
            hits = attack(kel, downloaded(kel, measure, period), kec, downloaded(kec, measure, period), measure)
            found[name] += [f"{where} {hit}" for hit in hits]
    return found


def test_subtraction_gave_counts_back_with_primary_suppression_alone(recovered: dict) -> None:
    """The attack is real: without the month's masks it recovers hidden counts (18 in the sample)."""
    assert recovered["primary"], "the sample data should hold cells primary suppression alone leaves recoverable"


def test_no_hidden_count_is_recovered_from_the_downloads(recovered: dict) -> None:
    assert recovered["now"] == []


def test_small_counts_show_as_under_five_and_zero_stays_zero(data: tuple) -> None:
    agg, areas = data
    source = sorted(agg["source_type"].unique())[0]
    seen_small = seen_zero = seen_withheld = 0
    for period in sorted(agg.loc[agg["source_type"] == source, "period"].unique())[-6:]:
        for measure in catalog.RATES:
            num, _ = catalog.rate(measure).nutrition
            ranked = nu.rank_areas(
                agg, source_type=source, period=period, measure=measure, level="kelurahan", areas=areas
            )
            csv = downloaded(ranked, measure, period)
            for value, cell, small in zip(ranked[num], csv["Kasus"], ranked["small_cases"], strict=True):
                if pd.isna(value):
                    continue
                if 1 <= value <= 4:
                    assert cell == "< 5"
                    seen_small += 1
                elif value == 0 and not small:
                    assert cell == "0"  # a zero is not sensitive: shown as 0
                    seen_zero += 1
                elif cell == WITHHELD_TEXT:
                    assert value >= 5  # hidden to protect a small one, never shown as "< 5"
                    seen_withheld += 1
                elif not small:
                    assert shown(cell) == value
    assert seen_small and seen_zero and seen_withheld


def small_city(stunted: dict[str, int]) -> pd.DataFrame:
    """One month of agg rows: kecamatan K1 (kelurahan A, B), K2 (C, D) and the kota, 100 children each."""
    parents = {"A": "K1", "B": "K1", "C": "K2", "D": "K2"}
    rows = [dict(level="kelurahan", area_code=k, parent_code=p, stunted=stunted[k], n=100) for k, p in parents.items()]
    for kec in ("K1", "K2"):
        kids = [k for k, p in parents.items() if p == kec]
        rows.append(
            dict(
                level="kecamatan",
                area_code=kec,
                parent_code="KOTA",
                stunted=sum(stunted[k] for k in kids),
                n=100 * len(kids),
            )
        )
    rows.append(dict(level="kota", area_code="KOTA", parent_code=None, stunted=sum(stunted.values()), n=400))
    d = pd.DataFrame(rows)
    return d.assign(
        source_type="eppgbm",
        period=pd.Timestamp("2025-01-01"),
        area_name=d["area_code"],
        source_kind="sample",
        measured=d["n"],
        n_haz=d["n"],
        sasaran=float("nan"),
        implausible_haz=0,
        implausible_whz=0,
        implausible_waz=0,
        stunting_pct=100 * d["stunted"] / d["n"],
        stunting_lo=0.0,
        stunting_hi=50.0,
        coverage_pct=float("nan"),
    )


def test_a_kecamatan_total_hidden_in_the_tables_is_hidden_in_the_headline() -> None:
    # A and B hold 4 each: with K1's total of 8 shown, both would be pinned to 4, so K1's total is hidden
    agg = small_city({"A": 4, "B": 4, "C": 20, "D": 30})
    period = pd.Timestamp("2025-01-01")
    ranked = nu.rank_areas(agg, source_type="eppgbm", period=period, measure="stunting", level="kecamatan")
    k1 = ranked.set_index("area_code").loc["K1"]
    assert k1["hide_cases"] and not k1["small_cases"]
    csv = downloaded(ranked, "stunting", period).set_index("Wilayah")
    assert csv.loc["K1", "Kasus"] == WITHHELD_TEXT and csv.loc["K1", "Prevalensi"] == nu.HIDDEN_RATE_TEXT
    row = agg.set_index("area_code").loc["K1"]
    masks = nu.area_masks(agg, source_type="eppgbm", period=period, measure="stunting", area="K1")
    rate = nu.headline(row, measure="stunting", period=period, masks=masks)[0]
    assert rate.value == nu.HIDDEN_RATE_TEXT
    assert "8 kasus" not in (rate.help or "")
    # without the month's masks the headline would show the total that gives both 4s away
    assert nu.headline(row, measure="stunting", period=period)[0].value != nu.HIDDEN_RATE_TEXT
