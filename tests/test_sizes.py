"""The house stays readable: no function over 40 lines outside the tests, the benchmarks and the
Alembic revisions (generated, never edited after a release), and no module over 600 lines.

A function runs from its ``def`` line to its last line, nested functions included in their parent;
a module counts every line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("matcher", "api", "training", "data")
MAX_FUNCTION_LINES = 40
MAX_MODULE_LINES = 600


def _sources(root: Path) -> list[Path]:
    return [p for package in PACKAGES for p in sorted((root / package).rglob("*.py")) if "migrations" not in p.parts]


def long_functions(root: Path) -> list[str]:
    """``path:line name (lines)`` of every function over the limit, benchmarks left out."""
    out = []
    for path in _sources(root):
        if "bench" in path.parts:
            continue
        top = [
            n
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for node in top:
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                out.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines})")
    return out


def long_modules(root: Path) -> list[str]:
    out = []
    for path in _sources(root):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            out.append(f"{path.relative_to(root)} ({lines})")
    return out


def test_no_function_is_over_40_lines() -> None:
    assert long_functions(ROOT) == []


def test_no_module_is_over_600_lines() -> None:
    assert long_modules(ROOT) == []


def test_the_size_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    (tmp_path / "matcher").mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(40))
    (tmp_path / "matcher" / "big.py").write_text(f"def f():\n{body}\n" + "\n" * 600)
    assert long_functions(tmp_path) == ["matcher/big.py:1 f (41)"]
    assert long_modules(tmp_path) == ["matcher/big.py (641)"]
