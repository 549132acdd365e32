"""The architecture, enforced: layers import only downwards, no cycles, small modules, SQL in ``kla/read``.

Layers (README "Tata letak"): ``kla.core`` (pure domain) ← ``kla.read`` (queries) and ``geo``
(boundary acquisition) ← ``kla.ingest`` (every writer) ; ``kla.views`` (frames per page) ←
``kla.figures`` (plotly) ; ``kla.ui`` (streamlit) and ``kla.cli`` (commands) on top; the pages use
``kla.ui``, ``kla.views``, ``kla.figures`` and ``kla.core`` only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500

#: what each layer may import (besides itself and third-party packages)
ALLOWED: dict[str, set[str]] = {
    "kla.core": set(),
    "geo": {"kla.core"},
    "kla.read": {"kla.core"},
    "kla.ingest": {"kla.core", "kla.read", "geo"},
    "kla.views": {"kla.core"},
    "kla.figures": {"kla.core", "kla.views"},
    "kla.ui": {"kla.core", "kla.read", "kla.ingest", "kla.views", "kla.figures", "geo"},
    "kla.cli": {"kla.core", "kla.read", "kla.ingest", "kla.views", "kla.figures", "geo"},
    "pages": {"kla.ui", "kla.views", "kla.figures", "kla.core"},
}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for path in [*(ROOT / "kla").rglob("*.py"), *(ROOT / "geo").rglob("*.py")]:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        mods["pages." + path.stem] = path
    return mods


MODULES = _modules()


def _layer(module: str) -> str:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return module  # kla itself, kla.__main__


def _imported(path: Path) -> Iterator[str]:
    """Every project module ``path`` imports, at any depth (lazy imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in MODULES else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


def _edges() -> dict[str, set[str]]:
    return {
        name: {d for d in _imported(path) if d in MODULES and d != name and not name.startswith(d + ".")}
        for name, path in MODULES.items()
    }


def test_layers_import_only_downwards() -> None:
    upward = []
    for name, deps in _edges().items():
        layer = _layer(name)
        if layer not in ALLOWED:
            continue
        upward += [f"{name} -> {d}" for d in deps if _layer(d) != layer and _layer(d) not in ALLOWED[layer]]
    assert upward == []


def test_the_import_graph_has_no_cycle() -> None:
    edges = _edges()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_under_the_size_limit(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines < MAX_LINES, f"{name}: {lines} lines"


_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW)|DELETE\s+FROM|"
    r"UPDATE\s+\w+\s+SET|DROP\s+(TABLE|VIEW)|ATTACH\s|DETACH\s|COPY\s)",
    re.IGNORECASE | re.DOTALL,
)


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_sql_lives_in_named_files_under_kla_read() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for name, path in MODULES.items()
        if not name.startswith("kla.read")
        for line, text in _string_literals(path)
        if _SQL.search(text)
    ]
    assert found == []


def test_no_module_both_queries_the_database_and_draws() -> None:
    both = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        queries = ".execute(" in text or ".sql(" in text or "repository.query(" in text
        draws = "plotly" in text and ("go.Figure(" in text or "px." in text)
        if queries and draws:
            both.append(name)
    assert both == []


def test_only_ui_and_pages_import_streamlit() -> None:
    offenders = [
        name
        for name, path in MODULES.items()
        if "streamlit" in {m.split(".")[0] for m in _imported(path)} and _layer(name) not in {"kla.ui", "pages"}
    ]
    assert offenders == []
