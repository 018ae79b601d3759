"""Small units: no function in src/ over 40 lines, unless a comment right above it says why
it reads better whole (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "boxoffice"
LIMIT = 40


def long_functions(path: Path) -> list[str]:
    """``line name (n lines)`` of each function over the limit that no comment excuses."""
    lines = path.read_text().splitlines()
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        if length > LIMIT and not _says_whole(lines, top):
            found.append(f"{node.lineno} {node.name} ({length} lines)")
    return found


def _says_whole(lines: list[str], top: int) -> bool:
    """Whether the ``#`` lines right above line ``top`` (1-based) say why it is "whole"."""
    block, i = [], top - 2
    while i >= 0 and lines[i].strip().startswith("#"):
        block.append(lines[i])
        i -= 1
    return "whole" in " ".join(block).lower()


def test_no_function_is_over_the_limit_without_a_reason() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): long
        for path in sorted(PACKAGE.rglob("*.py"))
        if (long := long_functions(path))
    }
    assert found == {}


def test_the_check_sees_a_long_function_and_hears_a_reason(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT))
    source = tmp_path / "long.py"
    source.write_text(
        f"def f() -> None:\n{body}\n\n# Whole on purpose: one table.\n@cache\ndef g() -> None:\n"
        f"{body}\n\ndef h() -> None:\n    pass\n"
    )
    assert long_functions(source) == [f"1 f ({LIMIT + 1} lines)"]
