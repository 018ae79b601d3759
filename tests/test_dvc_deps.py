"""Every module a DVC stage imports (directly or not) is one of its deps in ``dvc.yaml``.

A change to an imported module must re-run the stages that use it, or ``dvc repro`` could
call a stale model up to date. Package ``__init__`` files are left out: they hold only the
version string, and a release must not retrain the model.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

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


def _stages() -> list[tuple[str, str, list[str]]]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    out = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        module = body["cmd"].split("python -m ")[1].split()[0]
        deps = [next(iter(d)) if isinstance(d, dict) else d for d in body.get("deps", [])]
        out.append((name, module, deps))
    return out


@pytest.mark.parametrize(("stage", "module", "deps"), _stages(), ids=[s[0] for s in _stages()])
def test_stage_lists_every_module_it_imports(stage: str, module: str, deps: list[str]) -> None:
    needed = {p.relative_to(ROOT).as_posix() for p in closure(module)}
    missing = sorted(needed - set(deps))
    assert not missing, f"dvc.yaml stage {stage!r} misses deps: {missing}"
    stale = sorted(d for d in deps if d.startswith("src/") and d not in needed)
    assert not stale, f"dvc.yaml stage {stage!r} lists modules it does not import: {stale}"
