"""bench/pipeline.py runs a fresh clone's `dvc repro --force` and says whether it rewrote the
committed outputs byte for byte (here on a one-stage project, so that it takes seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.support.scripts import load_script

# The stage writes its output and its timing the way the pipeline's stages do.
STAGE = """\
import json, os, pathlib
pathlib.Path("reports").mkdir(exist_ok=True)
pathlib.Path("out.txt").write_text(os.environ.get("BOXOFFICE_FIT_MEMO", "on") + "\\n")
pathlib.Path("reports/timings.json").write_text(json.dumps({"make": 0.1}))
"""


def _load() -> ModuleType:
    return load_script(ROOT / "bench/pipeline.py", "pipeline_bench")


def _git(args: list[str], cwd: Path) -> None:
    who = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run(["git", *who, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A committed one-stage DVC project whose output is committed to git."""
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "stage.py").write_text(STAGE)
    stage = {"cmd": f"{sys.executable} stage.py", "deps": ["stage.py"]}
    stage["outs"] = [{"out.txt": {"cache": False}}]  # type: ignore[list-item]
    (repo / "dvc.yaml").write_text(json.dumps({"stages": {"make": stage}}))
    (repo / ".gitignore").write_text("reports/\n")
    _git(["init", "-q"], repo)
    dvc = str(Path(sys.executable).parent / "dvc")
    subprocess.run([dvc, "init", "-q"], cwd=repo, check=True, capture_output=True)
    subprocess.run([dvc, "repro", "-q"], cwd=repo, check=True, capture_output=True)
    _git(["add", "-A"], repo)
    _git(["commit", "-q", "-m", "outputs"], repo)
    return repo


def test_a_run_that_rewrites_the_committed_bytes_is_clean_and_one_that_differs_is_not(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _load()
    monkeypatch.setattr(module, "ROOT", project)
    monkeypatch.delenv("BOXOFFICE_FIT_MEMO", raising=False)
    shipped = module.measure("shipped", tmp_path)
    assert shipped["same_bytes"] and shipped["stages_s"] == {"make": 0.1}
    baseline = module.measure("baseline", tmp_path)  # its switch changes what the stage writes
    assert not baseline["same_bytes"] and baseline["changed"] == [" M dvc.lock", " M out.txt"]
    text = module.markdown({"commit": "abcdef0", "cores": 2, "runs": {"shipped": shipped}})
    assert "| make | 0.1 |" in text and "| same bytes | True |" in text
