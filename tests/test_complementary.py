"""Secondary suppression: attackers that read only what a table shows must not get any count of
1–4 back, by subtraction or by any other arithmetic on the sums.

Three attackers, written here without the module's code:

* :func:`subtraction_attack`: the one of issue 11: a sum with one unknown cell gives it away
  (total minus the shown parts, or a total from its parts); chained until nothing new comes.
* :func:`feasible_values`: exact: every value a hidden "< 5" cell can take such that some whole
  numbers fill the other hidden cells consistently with every shown number, every sum and what the
  marks say ("< 5" = 1..4, or 0..4 below a "< 5" total; secondary = at least 5). Checked by a
  bottom-up interval pass over the tree, which is exact for sums over a tree.
* :func:`brute_force_values`: the same by plain enumeration, for small one-level tables (it checks
  :func:`feasible_values`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kla.core.complementary import (
    DEFAULT_THRESHOLD,
    Suppression,
    primary_mask,
    suppress_hierarchy,
    suppress_with_totals,
)

T = DEFAULT_THRESHOLD
BIG = 10**9  # "no upper bound" for a secondary cell


# ----------------------------------------------------------------------------- the published table, as cells
@dataclass
class Cell:
    value: int
    hidden: bool
    small: bool  # shown as "< 5"
    children: list[str]
    parent: str | None = None


def table_cells(
    parts: pd.DataFrame, groups: list[str], col: str, sup: Suppression, *, grand_total: bool
) -> dict[str, Cell]:
    """Every number of one value column as the table shows it, keyed ``part:<row>``,
    ``<group>:<key>`` or ``grand``; totals summed here from the parts."""
    cells: dict[str, Cell] = {}
    values = pd.to_numeric(parts[col]).fillna(0).astype(int)
    for pos, (idx, v) in enumerate(values.items()):
        cells[f"part:{pos}"] = Cell(int(v), bool(sup.parts.at[idx, col]), bool(sup.small_parts.at[idx, col]), [])
    for depth, g in enumerate(groups):
        for key in pd.unique(parts[g]):
            rows = np.flatnonzero((parts[g] == key).to_numpy())
            if depth + 1 < len(groups):
                inner = groups[depth + 1]
                kids = [f"{inner}:{k}" for k in pd.unique(parts[inner].iloc[rows])]
            else:
                kids = [f"part:{r}" for r in rows]
            total = int(values.iloc[rows].sum())
            cells[f"{g}:{key}"] = Cell(
                total, bool(sup.totals[g].at[key, col]), bool(sup.small_totals[g].at[key, col]), kids
            )
    if grand_total:
        top = groups[0]
        cells["grand"] = Cell(
            int(values.sum()),
            bool(sup.grand[col]),
            bool(sup.small_grand[col]),
            [f"{top}:{k}" for k in pd.unique(parts[top])],
        )
    for name, cell in cells.items():
        for kid in cell.children:
            cells[kid].parent = name
    return cells


def domain(cells: dict[str, Cell], name: str, t: int = T) -> tuple[int, int]:
    """What the reader knows of one cell from the table alone (threshold ``t``)."""
    c = cells[name]
    if not c.hidden:
        return c.value, c.value
    if c.small:
        under_small = c.parent is not None and cells[c.parent].hidden and cells[c.parent].small
        return (0 if under_small else 1), t - 1
    return t, BIG


def subtraction_attack(cells: dict[str, Cell]) -> dict[str, int]:
    """Hidden cells worked out by subtraction (or addition), chained over levels."""
    known = {n: c.value for n, c in cells.items() if not c.hidden}
    derived: dict[str, int] = {}
    sums = [(n, c.children) for n, c in cells.items() if c.children]
    progress = True
    while progress:
        progress = False
        for total, kids in sums:
            unknown = [m for m in [total, *kids] if m not in known]
            if len(unknown) != 1:
                continue
            (u,) = unknown
            value = known[total] - sum(known[k] for k in kids if k != u) if u != total else sum(known[k] for k in kids)
            known[u] = derived[u] = value
            progress = True
    return derived


def _feasible(cells: dict[str, Cell], fixed: dict[str, int], t: int = T) -> bool:
    """Whether whole numbers exist for every hidden cell, within its domain, with every sum holding."""

    def span(name: str) -> tuple[int, int] | None:
        lo, hi = (fixed[name], fixed[name]) if name in fixed else domain(cells, name, t)
        kids = cells[name].children
        if kids:
            spans = [span(k) for k in kids]
            if any(s is None for s in spans):
                return None
            lo = max(lo, sum(s[0] for s in spans))
            hi = min(hi, sum(s[1] for s in spans))
        return (lo, hi) if lo <= hi else None

    roots = [n for n, c in cells.items() if c.parent is None]
    return all(span(r) is not None for r in roots)


def feasible_values(cells: dict[str, Cell], name: str, t: int = T) -> list[int]:
    lo, hi = domain(cells, name, t)
    return [v for v in range(lo, hi + 1) if _feasible(cells, {name: v}, t)]


def brute_force_values(cells: dict[str, Cell]) -> dict[str, list[int]]:
    """Plain enumeration for a table of one group without an overall total: every value each
    hidden cell takes in some assignment that fits the marks and the sum."""
    (total,) = [n for n, c in cells.items() if c.children]
    kids = cells[total].children
    hidden = [k for k in kids if cells[k].hidden]
    # A hidden part is at most a shown total; below a hidden total nothing bounds the secondary
    # parts from above, and none ever needs to exceed T + 2 to make another value possible.
    cap = cells[total].value if not cells[total].hidden else T + 2
    ranges = [range(domain(cells, k)[0], min(domain(cells, k)[1], cap) + 1) for k in hidden]
    seen: dict[str, set[int]] = {n: set() for n in [*hidden, total] if cells[n].hidden}
    lo, hi = domain(cells, total)
    shown_sum = sum(cells[k].value for k in kids if not cells[k].hidden)
    for combo in itertools.product(*ranges):
        s = shown_sum + sum(combo)
        if lo <= s <= hi:
            for k, v in zip(hidden, combo, strict=True):
                seen[k].add(v)
            if total in seen:
                seen[total].add(s)
    return {n: sorted(v) for n, v in seen.items()}


def assert_safe(
    parts: pd.DataFrame, groups: list[str], cols: list[str], *, grand_total: bool = True, t: int = T
) -> Suppression:
    """Suppress, then attack: the marks tell the truth and no count of 1..t-1 comes back."""
    sup = suppress_hierarchy(parts, groups=groups, value_cols=cols, grand_total=grand_total, threshold=t)
    for col in cols:
        cells = table_cells(parts, groups, col, sup, grand_total=grand_total)
        for name, c in cells.items():
            # the marks tell the truth, and every count of 1-4 is hidden as "< 5"
            if 1 <= c.value < t:
                assert c.hidden and c.small, (col, name, c)
            if c.hidden and not c.small:
                assert c.value >= t, (col, name, c)
            if c.small:
                assert c.hidden and c.value < t, (col, name, c)
        for name, value in subtraction_attack(cells).items():
            assert value == cells[name].value  # the attacker is right ...
            assert not 1 <= value < t, f"{col}: {name} = {value} by subtraction"  # ... but learns no small count
        for name, c in cells.items():
            if c.small:
                options = feasible_values(cells, name, t)
                assert c.value in options
                assert len(options) >= 2, f"{col}: {name} = {c.value} is the only value possible"
    return sup


def frame(groups: dict[str, list[int]], col: str = "v") -> pd.DataFrame:
    rows = [(g, f"{g}{i}", v) for g, vals in groups.items() for i, v in enumerate(vals)]
    return pd.DataFrame(rows, columns=["kec", "kel", col])


def masks(sup: Suppression, col: str = "v") -> list[bool]:
    return sup.parts[col].tolist()


def random_table(rng: np.random.Generator, n_groups: int, max_parts: int = 15) -> pd.DataFrame:
    """Groups of 1..max_parts parts; counts 0-40, about a third 0 and a third 1-4."""
    sizes = rng.integers(1, max_parts + 1, n_groups)
    rows = []
    for g, size in enumerate(sizes):
        for i in range(size):
            kind = rng.random()
            v = 0 if kind < 0.3 else int(rng.integers(1, 5)) if kind < 0.65 else int(rng.integers(5, 41))
            w = int(rng.integers(0, 4)) if rng.random() < 0.6 else int(rng.integers(4, 25))
            rows.append((f"K{g}", f"K{g}.{i}", v, w))
    return pd.DataFrame(rows, columns=["kec", "kel", "v", "w"])


# ----------------------------------------------------------------------------- the attackers themselves
def test_the_attackers_catch_primary_suppression_alone() -> None:
    """Hiding only 1-4 (today's tables) leaks: both attackers find the count."""
    parts = frame({"A": [3, 7, 12], "B": [10, 20]})
    small = primary_mask(parts["v"])
    sup = suppress_hierarchy(parts, groups=["kec"], value_cols=["v"])
    naive = Suppression(
        parts=small.to_frame(),
        totals={"kec": sup.totals["kec"] & False},
        grand=sup.grand & False,
        small_parts=small.to_frame(),
        small_totals={"kec": sup.totals["kec"] & False},
        small_grand=sup.grand & False,
        threshold=T,
    )
    cells = table_cells(parts, ["kec"], "v", naive, grand_total=True)
    assert subtraction_attack(cells) == {"part:0": 3}
    assert feasible_values(cells, "part:0") == [3]


def test_the_exact_attacker_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(300):
        parts = random_table(rng, n_groups=1, max_parts=5)
        parts["v"] = parts["v"].clip(upper=12)
        sup = suppress_hierarchy(parts, groups=["kec"], value_cols=["v"], grand_total=False)
        cells = table_cells(parts, ["kec"], "v", sup, grand_total=False)
        brute = brute_force_values(cells)
        for name, c in cells.items():
            if c.small:
                assert feasible_values(cells, name) == brute[name], (cells, name)
                checked += 1
    assert checked > 100


def test_threshold_is_the_dashboards() -> None:
    from kla.core.privacy import SUPPRESS_BELOW

    assert DEFAULT_THRESHOLD == SUPPRESS_BELOW


# ----------------------------------------------------------------------------- hand-made tables
def test_nothing_small_nothing_hidden() -> None:
    parts = frame({"A": [0, 7, 12, 5], "B": [10, 20], "C": [0, 0, 6]})
    sup = assert_safe(parts, ["kec"], ["v"])
    assert not sup.parts.to_numpy().any()
    assert not sup.totals["kec"].to_numpy().any()
    assert not sup.grand.any()
    assert sup.n_hidden == 0


def test_zeros_only_nothing_hidden() -> None:
    sup = assert_safe(frame({"A": [0, 0], "B": [0]}), ["kec"], ["v"])
    assert sup.n_hidden == 0


def test_one_small_part_gets_the_smallest_partner() -> None:
    parts = frame({"A": [3, 12, 7, 20], "B": [10, 20]})
    sup = assert_safe(parts, ["kec"], ["v"])
    assert masks(sup) == [True, False, True, False, False, False]
    assert sup.small_parts["v"].tolist() == [True, False, False, False, False, False]
    assert not sup.totals["kec"]["v"].any() and not sup.grand["v"]
    assert (sup.n_small, sup.n_secondary) == (1, 1)


def test_a_partner_of_exactly_five_beside_ones_is_not_enough() -> None:
    """1 and a secondary 5 under a shown total 6: the 5 is at least 5, so the "< 5" is 1. The
    next cell (6) protects instead."""
    parts = frame({"A": [1, 5, 6, 30]})
    sup = assert_safe(parts, ["kec"], ["v"], grand_total=False)
    assert masks(sup) == [True, False, True, False]


def test_two_small_parts_protect_each_other_when_their_sum_allows() -> None:
    """2 + 3 = 5 shown as total minus the rest: either could be 1..4, nothing else is hidden."""
    parts = frame({"A": [2, 3, 10, 20]})
    sup = assert_safe(parts, ["kec"], ["v"], grand_total=False)
    assert masks(sup) == [True, True, False, False]


def test_two_small_parts_at_the_top_of_their_range_need_a_partner() -> None:
    """4 + 4 = 8 of two "< 5" cells: both must be 4. A third cell is hidden."""
    parts = frame({"A": [4, 4, 10, 20]})
    sup = assert_safe(parts, ["kec"], ["v"], grand_total=False)
    assert masks(sup) == [True, True, True, False]


def test_a_group_of_small_parts_only_hides_its_total_when_it_must() -> None:
    parts = frame({"A": [4, 4], "B": [10, 20]})
    parts_mask, totals_mask = suppress_with_totals(parts, group="kec", value_cols=["v"])
    assert parts_mask["v"].tolist() == [True, True, False, False]
    assert totals_mask["v"].to_dict() == {"A": True, "B": False}
    assert_safe(parts, ["kec"], ["v"], grand_total=False)
    # with the kota shown, kota minus B would give A: a second kecamatan is hidden, and a part of
    # it (else its total follows from its parts); the kota total stays shown
    sup = assert_safe(parts, ["kec"], ["v"])
    assert not sup.grand["v"]
    assert sup.totals["kec"]["v"].tolist() == [True, True]


def test_a_group_of_one_small_part_hides_its_total() -> None:
    parts = frame({"A": [3], "B": [10, 20, 7]})
    parts_mask, totals_mask = suppress_with_totals(parts, group="kec", value_cols=["v"])
    assert parts_mask["v"].tolist() == [True, False, False, False]
    assert totals_mask["v"].tolist() == [True, False]
    sup = assert_safe(parts, ["kec"], ["v"])
    assert sup.small_totals["kec"].at["A", "v"]
    # kota 40 minus B: B and one of its parts are hidden, the kota stays shown
    assert sup.totals["kec"].at["B", "v"] and not sup.grand["v"]
    assert masks(sup) == [True, False, False, True]


def test_parts_of_a_small_total_are_all_small_even_zeros() -> None:
    """Four "< 5" kelurahan under a "< 5" kecamatan would each be 1: the zeros beside them are
    shown as "< 5" too, so nobody can count the non-zero ones."""
    parts = frame({"A": [1, 1, 1, 1, 0, 0], "B": [10, 20]})
    sup = assert_safe(parts, ["kec"], ["v"])
    assert sup.small_parts["v"].tolist() == [True] * 6 + [False, False]
    assert sup.small_totals["kec"].at["A", "v"]


def test_small_city_total_hides_everything_as_small() -> None:
    parts = frame({"A": [1, 0], "B": [0, 2]})
    sup = assert_safe(parts, ["kec"], ["v"])
    assert sup.small_grand["v"] and sup.small_parts["v"].all() and sup.small_totals["kec"]["v"].all()
    assert sup.n_secondary == 0


def test_missing_values_are_shown_as_missing_and_count_as_zero() -> None:
    parts = frame({"A": [3, 12, 7], "B": [10, 20]})
    parts["v"] = parts["v"].astype("float64")
    parts.loc[1, "v"] = np.nan
    sup = assert_safe(parts, ["kec"], ["v"])
    assert not sup.parts.at[1, "v"]
    assert masks(sup)[0]


def test_two_levels_of_groups() -> None:
    rows = []
    for kec, kels in {"A": {"A1": [3, 9, 0], "A2": [15, 2]}, "B": {"B1": [1], "B2": [8, 8, 30]}}.items():
        for kel, vals in kels.items():
            rows += [(kec, kel, f"{kel}.{i}", v) for i, v in enumerate(vals)]
    parts = pd.DataFrame(rows, columns=["kec", "kel", "posyandu", "v"])
    sup = assert_safe(parts, ["kec", "kel"], ["v"])
    assert set(sup.totals) == {"kec", "kel"}
    assert sup.totals["kel"].index.tolist() == ["A1", "A2", "B1", "B2"]


def test_columns_are_independent() -> None:
    parts = frame({"A": [3, 12, 7], "B": [10, 20]})
    parts["w"] = [10, 12, 7, 10, 20]
    sup = assert_safe(parts, ["kec"], ["v", "w"])
    assert not sup.parts["w"].any()
    assert sup.parts["v"].any()


def test_same_input_same_masks() -> None:
    parts = random_table(np.random.default_rng(3), 6)
    a = suppress_hierarchy(parts, groups=["kec"], value_cols=["v", "w"])
    b = suppress_hierarchy(parts.copy(), groups=["kec"], value_cols=["v", "w"])
    pd.testing.assert_frame_equal(a.parts, b.parts)
    pd.testing.assert_frame_equal(a.totals["kec"], b.totals["kec"])
    pd.testing.assert_series_equal(a.grand, b.grand)


def test_index_is_kept() -> None:
    parts = frame({"A": [3, 12, 7], "B": [10, 20]}).set_index("kel")
    parts_mask, totals_mask = suppress_with_totals(parts, group="kec", value_cols=["v"])
    assert parts_mask.index.equals(parts.index)
    assert totals_mask.index.name == "kec"


@pytest.mark.parametrize(
    ("values", "message"),
    [([1, -2], "whole numbers"), ([1.5, 3], "whole numbers"), (["x", 3], "not numbers")],
)
def test_bad_values_are_refused(values: list, message: str) -> None:
    parts = pd.DataFrame({"kec": ["A", "A"], "v": values})
    with pytest.raises(ValueError, match=message):
        suppress_hierarchy(parts, groups=["kec"], value_cols=["v"])


def test_threshold_below_three_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        suppress_with_totals(frame({"A": [1, 7]}), group="kec", value_cols=["v"], threshold=2)


def test_bad_structure_is_refused() -> None:
    parts = pd.DataFrame({"kec": ["A", "B"], "kel": ["X", "X"], "v": [1, 2]})
    with pytest.raises(ValueError, match="lies in several"):
        suppress_hierarchy(parts, groups=["kec", "kel"], value_cols=["v"])
    with pytest.raises(ValueError, match="missing keys"):
        suppress_hierarchy(pd.DataFrame({"kec": ["A", None], "v": [1, 2]}), groups=["kec"], value_cols=["v"])
    with pytest.raises(ValueError, match="not in the frame"):
        suppress_hierarchy(parts, groups=["kec"], value_cols=["nope"])


# ----------------------------------------------------------------------------- random and city-shaped tables
CITY = {"36.73.01": 12, "36.73.02": 10, "36.73.03": 14, "36.73.04": 10, "36.73.05": 8, "36.73.06": 13}


def city_table(rng: np.random.Generator) -> pd.DataFrame:
    """Kota Serang's shape: 6 kecamatan, 67 kelurahan; stunting-like counts (many small, some
    zero, a few large) and a rarer measure (mostly 0-3)."""
    rows = []
    for kec, n in CITY.items():
        for i in range(n):
            rows.append((kec, f"{kec}.{1001 + i}", int(rng.negative_binomial(2, 0.12)), int(rng.poisson(1.2))))
    return pd.DataFrame(rows, columns=["kecamatan_code", "area_code", "stunted", "severe_wasted"])


def test_city_shaped_tables() -> None:
    for seed in range(40):
        parts = city_table(np.random.default_rng(seed))
        assert len(parts) == 67
        assert_safe(parts, ["kecamatan_code"], ["stunted", "severe_wasted"])


@pytest.mark.parametrize("grand_total", [True, False])
def test_random_one_level_tables(grand_total: bool) -> None:
    for seed in range(200):
        rng = np.random.default_rng(seed)
        parts = random_table(rng, n_groups=int(rng.integers(1, 8)))
        assert_safe(parts, ["kec"], ["v", "w"], grand_total=grand_total)


@pytest.mark.parametrize("t", [3, 10])
def test_random_tables_other_thresholds(t: int) -> None:
    for seed in range(60):
        rng = np.random.default_rng(2000 + seed)
        parts = random_table(rng, n_groups=int(rng.integers(1, 8)))
        assert_safe(parts, ["kec"], ["v", "w"], grand_total=bool(seed % 2), t=t)


def test_random_two_level_tables() -> None:
    for seed in range(100):
        rng = np.random.default_rng(1000 + seed)
        parts = random_table(rng, n_groups=int(rng.integers(2, 9)), max_parts=6)
        parts["kota_bagian"] = ["U" if int(k[1:]) % 2 else "S" for k in parts["kec"]]
        assert_safe(parts, ["kota_bagian", "kec"], ["v", "w"])


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "gizi_contoh_agregat.csv"


@pytest.mark.skipif(not SAMPLE.exists(), reason="no sample data")
def test_sample_data_of_the_city() -> None:
    """The dashboard's own sample: kelurahan of Kota Serang, every case column, a year of months."""
    d = pd.read_csv(SAMPLE, dtype={"kecamatan_code": str, "area_key": str})
    kel = d[d["level"] == "kelurahan"]
    cols = ["stunted", "severe_stunted", "wasted", "severe_wasted", "underweight"]
    periods = sorted(kel["period"].unique())[-12:]
    for period in periods:
        rows = kel[kel["period"] == period].reset_index(drop=True)
        assert len(rows) == 67 and rows["kecamatan_code"].nunique() == 6
        assert_safe(rows, ["kecamatan_code"], cols)


def test_cost_on_random_city_tables(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a requirement: how many cells secondary suppression costs (printed, see -s)."""
    small = secondary = totals = cells = 0
    for seed in range(100):
        parts = city_table(np.random.default_rng(500 + seed))
        sup = suppress_hierarchy(parts, groups=["kecamatan_code"], value_cols=["stunted", "severe_wasted"])
        small += sup.n_small
        secondary += sup.n_secondary
        totals += int((sup.totals["kecamatan_code"] & ~sup.small_totals["kecamatan_code"]).to_numpy().sum())
        totals += int((sup.grand & ~sup.small_grand).sum())
        cells += 2 * (67 + 6 + 1)
    with capsys.disabled():
        print(
            f"\n[suppression cost] 100 city tables x 2 columns: {cells} cells, {small} shown as '< 5', "
            f"{secondary} secondary ({secondary / cells:.1%}), of which {totals} totals"
        )
    assert secondary > 0
