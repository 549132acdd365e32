"""Complementary (secondary) cell suppression for tables that show totals beside their parts.

Primary suppression alone (a count from 1 to ``threshold - 1`` shown as "< 5") is not enough
where a total is shown beside its parts: with one hidden kelurahan in a kecamatan, the
kecamatan total minus the shown kelurahan gives the hidden count back. This module decides which
further cells to hide so that no small count can be worked out. It is pure: counts in, boolean
masks out; the caller formats.

**What each cell shows** (the caller's display must follow this, or the guarantee is void):

* ``small``: shown as "< 5". Every count from 1 to ``threshold - 1`` (the primary rule), parts
  and totals alike; and *every* part below a total that is itself shown as "< 5", zeros
  included ("< 5" is true of 0). Without that second clause, four "< 5" kelurahan under a
  "< 5" kecamatan would give away that each holds exactly 1 and the kecamatan 4.
* ``secondary``: hidden to protect a small cell, shown with its own mark (e.g. "disamarkan"),
  never as "< 5". Always a count of at least ``threshold``; zeros are never secondary.
* everything else is shown as it is, zeros as 0 (a zero is not sensitive here).
* Any number that, with shown numbers, gives a hidden count back must be hidden with it: a rate
  or interval of a hidden count beside its shown denominator, a chart bar, a map colour, the
  same cell in a CSV. Use one mask for every output of one table, computed on the whole table
  (all groups), also when a view shows only some of the groups; a total hidden here must be
  hidden wherever else it appears (a kecamatan on the map, the kota in the headline).

**The attacker** reads every shown value and knows the rule, hence that a total is the sum of its
parts, that a "< 5" cell lies in 1..4 (0..4 below a "< 5" total), that a secondary cell is at
least 5 and that every count is a whole number ≥ 0. From this he works out the tightest range of
each hidden cell through the whole hierarchy (parts → kecamatan → kota): plain subtraction (a
total minus its shown parts when one part is hidden, chained over levels) is the simplest case.

**The guarantee**: for every small cell that range holds at least two values, so no count of
1..``threshold - 1`` can be derived exactly. (The range may be narrower than 1..4: two "< 5"
cells under a total of 3 must be 1 and 2 in some order.)

**The rule** (per value column, independently; deterministic: same input, same masks):

1. Mark the small cells as above.
2. Work out every hidden cell's range as the attacker would (bounds propagation over the sums;
   exact for a hierarchy, which is a tree). If no small cell is pinned to one value, stop.
3. Take the first pinned small cell (parts before kecamatan totals before the kota total, in
   row order). Its candidates: the shown non-zero cells in any sum that holds it or a hidden cell
   linked to it through sums, of the lowest level that has any (parts before kecamatan totals
   before the kota total), smallest first. Hide the first candidate that on its own frees the
   pinned cell; when none does, hide the smallest one (which links more sums). Go to 2.

Each round hides one more cell, so it ends. It prefers the smallest parts (least information
lost) and hides a total only when no part can do; a hidden kecamatan total is then protected at
the kota level by the same rule: another kecamatan total (with one of its parts, where that total
would follow from them) comes before the kota total, which is hidden only when nothing else
protects. A threshold below 3 is refused: "< 2" would mean "exactly 1".

**Not covered**: inference from *why* these particular cells were chosen (e.g. "the secondary
cell is not the shown 5, so a 5 could not have protected it, so every small cell here is 1").
No deterministic rule that loses little avoids that; the published-statistics practice (cell
suppression with protection ranges, as in tau-ARGUS) makes the same assumption. Relations
between columns (cases ≤ children measured) are not used either: give each column that is shown
as a count its own mask, and hide a rate whenever its count is hidden.

The threshold defaults to :data:`DEFAULT_THRESHOLD`, which equals ``kla.core.privacy.SUPPRESS_BELOW``
(a test keeps them equal; this module imports nothing from kla).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kla.core.privacy import SUPPRESS_BELOW

#: Counts from 1 to DEFAULT_THRESHOLD - 1 are small (the same number as kla.core.privacy.SUPPRESS_BELOW).
DEFAULT_THRESHOLD = SUPPRESS_BELOW

_INF = math.inf


@dataclass(frozen=True)
class Suppression:
    """Boolean masks of one table (``True`` = do not show the number).

    ``parts``: one row per input row, one column per value column. ``totals``: one frame per
    grouping column, indexed by that column's keys (in order of first appearance). ``grand``: the
    overall total per value column, or ``None`` when the table shows no overall total.
    The ``small_*`` masks are the hidden cells to show as "< 5"; a hidden cell that is not small
    is secondary (its own mark, e.g. "disamarkan").
    """

    parts: pd.DataFrame
    totals: dict[str, pd.DataFrame]
    grand: pd.Series | None
    small_parts: pd.DataFrame
    small_totals: dict[str, pd.DataFrame]
    small_grand: pd.Series | None
    threshold: int

    @property
    def n_hidden(self) -> int:
        """Cells hidden in all (parts, totals and the overall total)."""
        return _count(self.parts, self.totals, self.grand)

    @property
    def n_small(self) -> int:
        """Cells shown as "< 5"."""
        return _count(self.small_parts, self.small_totals, self.small_grand)

    @property
    def n_secondary(self) -> int:
        """Cells hidden only to protect small ones."""
        return self.n_hidden - self.n_small


def _count(parts: pd.DataFrame, totals: dict[str, pd.DataFrame], grand: pd.Series | None) -> int:
    n = int(parts.to_numpy().sum()) + sum(int(t.to_numpy().sum()) for t in totals.values())
    return n + (int(grand.sum()) if grand is not None else 0)


def primary_mask(values: pd.DataFrame | pd.Series, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame | pd.Series:
    """The primary rule alone: ``1 <= value < threshold`` (missing values are not small)."""
    if isinstance(values, pd.DataFrame):
        v = values.apply(pd.to_numeric, errors="coerce")
    else:
        v = pd.to_numeric(values, errors="coerce")
    return ((v >= 1) & (v < threshold)).fillna(False).astype(bool)


def suppress_with_totals(
    parts: pd.DataFrame,
    *,
    group: str,
    value_cols: Sequence[str],
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One level: each group's total shown beside its parts, no overall total.

    Returns ``(parts_mask, totals_mask)``: ``parts_mask`` has ``parts.index`` and one column per
    value column; ``totals_mask`` is indexed by the keys of ``group``. Which hidden cells are "< 5"
    and which secondary: :func:`suppress_hierarchy` (``.small_parts``, ``.small_totals``).
    """
    s = suppress_hierarchy(parts, groups=[group], value_cols=value_cols, grand_total=False, threshold=threshold)
    return s.parts, s.totals[group]


def suppress_hierarchy(
    parts: pd.DataFrame,
    *,
    groups: Sequence[str],
    value_cols: Sequence[str],
    grand_total: bool = True,
    threshold: int = DEFAULT_THRESHOLD,
) -> Suppression:
    """Masks for a hierarchical table: the parts (rows of ``parts``), a total per key of each
    column of ``groups`` (outermost first, e.g. ``["kecamatan_code"]`` for kelurahan rows, or
    ``["kecamatan_code", "kelurahan_code"]`` for posyandu rows) and, if ``grand_total``, the overall
    total (the kota). Every total is taken to be the sum of the parts below it.

    Values must be whole numbers ≥ 0; a missing value (NaN) is shown as missing, counts as 0 in
    the totals and is never hidden. Each key of an inner grouping column must lie in one key of
    the column outside it (a kelurahan in one kecamatan). The rule: module docstring.
    """
    if threshold < 3:  # "< 2" would say "exactly 1"
        raise ValueError(f"threshold must be at least 3, got {threshold}")
    groups = list(groups)
    value_cols = list(value_cols)
    missing_cols = [c for c in [*groups, *value_cols] if c not in parts.columns]
    if missing_cols:
        raise ValueError(f"columns not in the frame: {missing_cols}")
    if set(groups) & set(value_cols):
        raise ValueError("a column cannot be both a group and a value column")
    tree = _Tree.build(parts, groups, grand_total)

    n_parts = len(parts)
    hidden_cols: dict[str, np.ndarray] = {}
    small_cols: dict[str, np.ndarray] = {}
    for col in value_cols:
        values, missing = _part_values(parts[col], col)
        node_values = tree.node_values(values)
        small, hidden = _suppress_column(tree, node_values, missing, threshold)
        hidden_cols[col] = hidden
        small_cols[col] = small

    def frames(masks: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.Series | None]:
        part_frame = pd.DataFrame({c: m[:n_parts] for c, m in masks.items()}, index=parts.index, columns=value_cols)
        totals = {}
        for name, keys, nodes in tree.levels:
            idx = pd.Index(keys, name=name)
            totals[name] = pd.DataFrame({c: m[nodes] for c, m in masks.items()}, index=idx, columns=value_cols)
        grand = None
        if tree.root is not None:
            grand = pd.Series({c: bool(m[tree.root]) for c, m in masks.items()}, index=value_cols, dtype=bool)
        return part_frame.astype(bool), {k: v.astype(bool) for k, v in totals.items()}, grand

    parts_mask, totals_mask, grand_mask = frames(hidden_cols)
    small_parts, small_totals, small_grand = frames(small_cols)
    return Suppression(
        parts=parts_mask,
        totals=totals_mask,
        grand=grand_mask,
        small_parts=small_parts,
        small_totals=small_totals,
        small_grand=small_grand,
        threshold=threshold,
    )


# ----------------------------------------------------------------------------- internals
def _part_values(series: pd.Series, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole-number counts (missing → 0) and the missing flags of one value column."""
    v = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    raw_missing = pd.isna(series).to_numpy()
    if (np.isnan(v) & ~raw_missing).any():
        raise ValueError(f"column {col!r} holds values that are not numbers")
    missing = np.isnan(v)
    v = np.where(missing, 0.0, v)
    if (v < 0).any() or (v != np.floor(v)).any() or np.isinf(v).any():
        raise ValueError(f"column {col!r} must hold whole numbers >= 0 (or be missing)")
    return v.astype(np.int64), missing


@dataclass
class _Tree:
    """Nodes: the parts (0..n_parts-1, row order), then the totals of the innermost grouping
    column, ..., the outermost, then the overall total. A node's number is its rank in the order
    in which pinned cells are fixed."""

    n_parts: int
    parent: list[int]
    children: list[list[int]]
    levels: list[tuple[str, list, list[int]]]  # (column, keys, node numbers), outermost first
    root: int | None
    tier: list[int]  # 0 for parts, 1 for the innermost totals, ..., highest for the overall total

    @classmethod
    def build(cls, parts: pd.DataFrame, groups: list[str], grand_total: bool) -> _Tree:
        n_parts = len(parts)
        for g in groups:
            if parts[g].isna().any():
                raise ValueError(f"group column {g!r} has missing keys")
        parent: list[int] = [-1] * n_parts
        levels: list[tuple[str, list, list[int]]] = []
        next_node = n_parts
        below = list(range(n_parts))  # nodes of the level below, and their rows' keys at this level
        below_rows: list[np.ndarray] = [np.array([i]) for i in range(n_parts)]
        for depth in reversed(range(len(groups))):
            name = groups[depth]
            col = parts[name].to_numpy()
            keys = list(pd.unique(parts[name]))
            node_of = {k: next_node + j for j, k in enumerate(keys)}
            rows_of: dict[object, list[int]] = {k: [] for k in keys}
            for i, k in enumerate(col):
                rows_of[k].append(i)
            for node, rows in zip(below, below_rows, strict=True):
                owners = pd.unique(col[rows])
                if len(owners) != 1:
                    inner = groups[depth + 1]
                    raise ValueError(f"{inner!r} key {parts[inner].iloc[rows[0]]!r} lies in several {name!r} keys")
                parent[node] = node_of[owners[0]]
            nodes = [node_of[k] for k in keys]
            parent.extend([-1] * len(keys))
            levels.insert(0, (name, keys, nodes))
            below = nodes
            below_rows = [np.array(rows_of[k]) for k in keys]
            next_node += len(keys)
        root = None
        if grand_total:
            root = next_node
            parent.append(-1)
            for node in below:
                parent[node] = root
        children: list[list[int]] = [[] for _ in parent]
        for node, p in enumerate(parent):
            if p >= 0:
                children[p].append(node)
        tier = [0] * len(parent)
        for depth, (_, _, nodes) in enumerate(levels):
            for node in nodes:
                tier[node] = len(levels) - depth
        if root is not None:
            tier[root] = len(levels) + 1
        return cls(n_parts=n_parts, parent=parent, children=children, levels=levels, root=root, tier=tier)

    def node_values(self, part_values: np.ndarray) -> np.ndarray:
        """Every node's count: the parts', and each total as the sum of its children (children
        always have lower numbers than their parent)."""
        out = np.zeros(len(self.parent), dtype=np.int64)
        out[: self.n_parts] = part_values
        for node in range(self.n_parts, len(self.parent)):
            out[node] = sum(int(out[c]) for c in self.children[node])
        return out

    @property
    def sums(self) -> list[int]:
        """Nodes that are totals of children (the equations), innermost first."""
        return [n for n in range(self.n_parts, len(self.parent)) if self.children[n]]


def _suppress_column(tree: _Tree, values: np.ndarray, missing: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(values)
    missing_all = np.zeros(n, dtype=bool)
    missing_all[: tree.n_parts] = missing
    small = (values >= 1) & (values < t)
    # Every part below a "< 5" total is "< 5" too (zeros included); totals are numbered after
    # their children, so walk down from the top.
    small_floor = np.ones(n, dtype=np.int64)  # the attacker's least value of a "< 5" cell
    for node in reversed(range(n)):
        p = tree.parent[node]
        if p >= 0 and small[p] and not missing_all[node]:
            small[node] = True
            small_floor[node] = 0
    hidden = small.copy()
    order = [int(i) for i in np.flatnonzero(small)]
    while True:
        lo, hi = _bounds(tree, values, hidden, small, small_floor, t)
        pinned = [x for x in order if lo[x] == hi[x]]
        if not pinned:
            return small, hidden
        x = pinned[0]
        candidates = _candidates(tree, values, hidden, x)
        if not candidates:  # not seen in the tests' random tables; fail loudly rather than leak
            raise RuntimeError(f"cannot protect cell {x} (value {values[x]}) by hiding more cells")
        choice = candidates[0]
        for c in candidates:
            hidden[c] = True
            lo2, hi2 = _bounds(tree, values, hidden, small, small_floor, t)
            hidden[c] = False
            if lo2[x] < hi2[x]:
                choice = c
                break
        hidden[choice] = True


def _candidates(tree: _Tree, values: np.ndarray, hidden: np.ndarray, x: int) -> list[int]:
    """Shown non-zero cells whose hiding may free ``x``, cheapest first: those in a sum that holds
    ``x`` or a hidden cell linked to it through sums, of the lowest level that has any (parts
    before kecamatan totals before the kota total), smallest value first."""
    linked = {x}
    todo = [x]
    sums: set[int] = set()
    while todo:
        cell = todo.pop()
        for eq in (tree.parent[cell], cell if tree.children[cell] else -1):
            if eq < 0 or eq in sums:
                continue
            sums.add(eq)
            for member in (eq, *tree.children[eq]):
                if hidden[member] and member not in linked:
                    linked.add(member)
                    todo.append(member)
    shown = {m for eq in sums for m in (eq, *tree.children[eq]) if not hidden[m] and values[m] > 0}
    if not shown:
        return []
    level = min(tree.tier[m] for m in shown)
    return sorted((m for m in shown if tree.tier[m] == level), key=lambda m: (int(values[m]), m))


def _bounds(
    tree: _Tree, values: np.ndarray, hidden: np.ndarray, small: np.ndarray, small_floor: np.ndarray, t: int
) -> tuple[list[float], list[float]]:
    """The attacker's tightest range of every cell, by propagating bounds through every sum until
    nothing changes (exact on a tree: each sum's own projection is exact and the sums share at
    most one cell pairwise, without cycles)."""
    lo: list[float] = []
    hi: list[float] = []
    for v, h, s, f in zip(values.tolist(), hidden.tolist(), small.tolist(), small_floor.tolist(), strict=True):
        if not h:
            lo.append(float(v))
            hi.append(float(v))
        elif s:
            lo.append(float(f))
            hi.append(float(t - 1))
        else:
            lo.append(float(t))
            hi.append(_INF)
    sums = tree.sums
    sweep = sums + sums[::-1]
    changed = True
    while changed:
        changed = False
        for node in sweep:
            kids = tree.children[node]
            sum_lo = sum(lo[c] for c in kids)
            finite_hi = sum(hi[c] for c in kids if hi[c] != _INF)
            n_inf = sum(1 for c in kids if hi[c] == _INF)
            sum_hi = _INF if n_inf else finite_hi
            if sum_lo > lo[node]:
                lo[node], changed = sum_lo, True
            if sum_hi < hi[node]:
                hi[node], changed = sum_hi, True
            for c in kids:
                others_lo = sum_lo - lo[c]
                if hi[c] == _INF:
                    others_hi = _INF if n_inf > 1 else finite_hi
                else:
                    others_hi = _INF if n_inf else finite_hi - hi[c]
                new_lo = lo[node] - others_hi
                new_hi = hi[node] - others_lo
                if new_lo > lo[c]:
                    lo[c], changed = new_lo, True
                if new_hi < hi[c]:
                    hi[c], changed = new_hi, True
    # (sums read before a child moved are looser, never wrong; the next pass uses the new bounds)
    return lo, hi
