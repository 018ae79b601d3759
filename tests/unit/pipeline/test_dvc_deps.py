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


def test_the_committed_lock_records_the_code_as_committed() -> None:
    """dvc.lock holds the hash of every source file a stage ran with, and only the stages
    dvc.yaml declares: a stale hash makes a clone's `dvc repro` (and `make ct`) re-run every
    stage after it, 20 to 30 minutes, for a change that changed no output."""
    import hashlib

    declared = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    locked = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    assert {name.split("@")[0] for name in locked} == set(declared)
    stale = sorted(
        f"{name}: {dep['path']}"
        for name, stage in locked.items()
        for dep in stage["deps"]
        if dep["path"].startswith("src/")
        and hashlib.md5((ROOT / dep["path"]).read_bytes(), usedforsecurity=False).hexdigest()
        != dep["md5"]
    )
    assert not stale, (
        f"dvc.lock is stale (run `dvc repro`, or `dvc commit` if no output changes): {stale}"
    )
