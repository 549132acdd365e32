"""One session-state key registry (:mod:`kla.ui.keys`): pages and ui modules never spell a key out.

A key written as a string literal in a page can silently differ from the one another page or a
test uses; two registry entries with one value would make two widgets share their state.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from kla.ui import keys

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(p for p in (ROOT / "kla" / "ui").glob("*.py") if p.name != "keys.py"),
    ]
)
#: functions whose argument at this position (or keyword) is a session-state or element key
KEY_ARGUMENTS = {"ensure_default": 0, "plot": 1, "plot_selectable": 1}
SESSION_METHODS = {"get", "pop", "setdefault"}


def _has_literal(node: ast.AST | None) -> bool:
    """True when ``node`` is, or builds a string from, a string literal (``"a"``, ``f"a_{x}"``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _has_literal(node.left) or _has_literal(node.right)
    return False


def _is_session_state(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "session_state") or (
        isinstance(node, ast.Name) and node.id == "session_state"
    )


def _call_has_literal_key(node: ast.Call) -> bool:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if any(kw.arg == "key" and _has_literal(kw.value) for kw in node.keywords):
        return True
    position = KEY_ARGUMENTS.get(name)
    if position is not None and len(node.args) > position and _has_literal(node.args[position]):
        return True
    return (
        isinstance(func, ast.Attribute)
        and func.attr in SESSION_METHODS
        and _is_session_state(func.value)
        and bool(node.args)
        and _has_literal(node.args[0])
    )


def _is_literal_key(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return _call_has_literal_key(node)
    if isinstance(node, ast.Subscript):  # st.session_state["..."]
        return _is_session_state(node.value) and _has_literal(node.slice)
    if isinstance(node, ast.Compare):  # "..." in st.session_state
        return (
            any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(_is_session_state(c) for c in node.comparators)
            and _has_literal(node.left)
        )
    return False


def _literal_keys(tree: ast.AST) -> Iterator[int]:
    """Line numbers where a key is written as a literal."""
    return (node.lineno for node in ast.walk(tree) if _is_literal_key(node))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_key_is_written_as_a_literal(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert sorted(set(_literal_keys(tree))) == []
    values = {value for _, value in keys.every_key()}
    spelled = [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values
    ]
    assert spelled == [], "a registered key written out instead of named"


def test_the_literal_check_sees_each_way_of_writing_a_key() -> None:
    code = """
st.session_state["a"] = 1
st.session_state.get(f"b_{x}")
if "c" in st.session_state: pass
st.selectbox("label", [], key="d")
ensure_default("e", None, 0)
plot(fig, "f")
st.session_state[Keys.OK] = st.session_state.get(whatif_points(code))
plot(fig, key=Keys.OK)
"""
    assert sorted(set(_literal_keys(ast.parse(code)))) == [2, 3, 4, 5, 6, 7]


def test_every_key_is_unique_and_no_key_extends_a_prefix() -> None:
    entries = list(keys.every_key())
    values = [value for _, value in entries]
    assert len(values) == len(set(values)), sorted(v for v in values if values.count(v) > 1)
    prefixes = [value for value in values if value.endswith("_")]
    clashes = [(p, v) for p in prefixes for v in values if v != p and v.startswith(p)]
    assert clashes == []
