"""Imports point one way: the layout in docs/architecture.md, held by an AST check.

core is the model (schema, features, estimator, artifact, predictor) and imports nothing
else of the package; lake is storage and the prediction log; pipeline stages, the lifecycle
and the server build on those two; only the CLI sees everything. ``core.io`` (atomic writes)
is the bottom: every layer may use it, the lake included, and it imports nothing of the
package.
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
# Below every layer: what any module may import whatever its layer.
BOTTOM = {"boxoffice.core.io"}


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
    wrong = sorted(_wrong(path, layer))
    assert wrong == [], f"{rel} ({layer}) imports {wrong}"


def _wrong(path: Path, layer: str) -> set[str]:
    return {m for m in _imported(path) if m not in BOTTOM and _layer(m) not in ALLOWED[layer]}


def test_the_bottom_imports_nothing_of_the_package() -> None:
    for module in BOTTOM:
        path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
        assert _imported(path) == set(), module


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from boxoffice.serving.main import create_app\n")
    assert _wrong(bad, "core") == {"boxoffice.serving.main"}


def test_core_may_not_import_the_lake(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from boxoffice.lake.storage import read_bytes\nimport boxoffice.core.io\n")
    assert _wrong(bad, "core") == {"boxoffice.lake.storage"}


def test_the_lake_may_use_the_bottom_but_no_other_core_module(tmp_path: Path) -> None:
    used = tmp_path / "used.py"
    used.write_text("from boxoffice.core.io import put_atomic\nimport boxoffice.core.model\n")
    assert _wrong(used, "lake") == {"boxoffice.core.model"}
