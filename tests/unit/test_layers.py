"""Imports point one way: the layout in docs/architecture.md, held by an AST check.

core is the model (schema, features, estimator, artifact, predictor) and imports nothing
else of the package; lake is storage and the prediction log; pipeline stages, the lifecycle
and the server build on those two; only the CLI sees everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "boxoffice"
ALLOWED = {
    "core": {"core"},
    "lake": {"lake"},
    "pipeline": {"core", "lake", "pipeline"},
    "lifecycle": {"core", "lake", "lifecycle"},
    "serving": {"core", "lake", "lifecycle", "serving"},
    "cli": {"core", "lake", "pipeline", "lifecycle", "serving", "cli"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {m for m in found if m.startswith("boxoffice.")}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layered() -> list[Path]:
    return [p for p in _modules() if len(p.relative_to(PACKAGE).parts) > 1]


def test_every_module_sits_in_a_layer() -> None:
    loose = [
        p.relative_to(PACKAGE).as_posix()
        for p in _modules()
        if len(p.relative_to(PACKAGE).parts) == 1 and p.name != "__init__.py"
    ]
    assert loose == [], f"modules outside core/lake/pipeline/lifecycle/serving/cli: {loose}"


@pytest.mark.parametrize("path", _layered(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_imports_point_one_way(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    layer = rel.parts[0]
    wrong = sorted(m for m in _imported(path) if _layer(m) not in ALLOWED[layer])
    assert wrong == [], f"{rel} ({layer}) imports {wrong}"


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from boxoffice.serving.main import create_app\n")
    assert _layer(next(iter(_imported(bad)))) not in ALLOWED["core"]
