"""Every module a DVC stage imports (directly or not) is one of its deps in ``dvc.yaml``.

A change to an imported module must re-run the stages that use it, or ``dvc repro`` could
call a stale model up to date. Package ``__init__`` files are left out: they hold only the
version string, and a release must not retrain the model.
"""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT
from tests.support.imports import closure


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
