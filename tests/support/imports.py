"""The package modules a module reaches through its imports (AST only, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

SRC = ROOT / "src"


def _module_file(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Package modules ``path`` imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("boxoffice")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("boxoffice"):
            module = node.module or ""
            found.add(module)
            # `from boxoffice.pipeline import layout` imports a module, not a name.
            found |= {
                f"{module}.{a.name}" for a in node.names if _module_file(f"{module}.{a.name}")
            }
    return found


def closure(module: str) -> set[Path]:
    """Files of ``module`` and of every package module it reaches."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is not None:
            todo += sorted(_imports(path))
    files = {_module_file(n) for n in seen}
    return {f for f in files if f is not None and f.name != "__init__.py"}
