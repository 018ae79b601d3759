"""`dvc repro` on a fresh copy of the project, offline: runs, then has nothing to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, tiny_profile

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path) -> str:
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("repo")
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / ".dvc", dest / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data" / "reference", dest / "data" / "reference")
    for folder, name in (("sample", "movies.json"), ("movie_profit", "movie_profit.csv")):
        (dest / "data" / folder).mkdir(parents=True)
        shutil.copy(ROOT / "data" / folder / name, dest / "data" / folder)
    (dest / "data" / "feedback").mkdir()  # as a clone has it: the labels file is git-ignored
    shutil.copy(ROOT / "data" / "feedback" / "README.md", dest / "data" / "feedback")
    raw = tiny_profile(yaml.safe_load((ROOT / "params.yaml").read_text()))
    (dest / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    _run(["git", "init", "-q"], dest)
    return dest


def test_dvc_repro_runs_then_is_a_no_op(repo: Path) -> None:
    first = _run(["dvc", "repro"], repo)
    assert "[search]" in first  # progress is shown during the search
    assert (repo / "models" / "pre_release" / "export" / "model.onnx").exists()
    assert (repo / "dvc.lock").exists()
    second = _run(["dvc", "repro"], repo)
    assert "Data and pipelines are up to date" in second


def test_dvc_dag_lists_every_stage(repo: Path) -> None:
    dag = _run(["dvc", "dag", "--md"], repo)
    for stage in ("ingest", "validate", "featurize", "train", "evaluate", "export"):
        assert stage in dag


def test_dvc_push_then_pull_restores_outputs_from_local_remote(repo: Path) -> None:
    _run(["dvc", "repro"], repo)
    _run(["dvc", "push"], repo)
    assert any((repo / "dvcstore").rglob("*")), "the default remote is the repo's dvcstore/"
    (repo / "models" / "pre_release" / "model.joblib").unlink()
    shutil.rmtree(repo / ".dvc" / "cache")
    _run(["dvc", "pull"], repo)
    assert (repo / "models" / "pre_release" / "model.joblib").exists()


def test_dvc_metrics_show_holds_model_metrics_only(repo: Path) -> None:
    _run(["dvc", "repro"], repo)
    shown = _run(["dvc", "metrics", "show", "--json"], repo)
    text = shown[shown.index("{") :]
    files = next(iter(json.loads(text).values()))["data"]
    assert set(files) == {"reports/pre_release/metrics.json", "reports/retrospective/metrics.json"}
    for shown_file in files.values():
        metrics = shown_file["data"]
        assert {"backtest", "holdout"} <= set(metrics)
        assert not {"rules", "missing_share", "sha256", "files"} & set(metrics)


def _git(args: list[str], cwd: Path) -> str:
    who = ["-c", "user.name=test", "-c", "user.email=test@localhost"]
    return _run(["git", *who, *args], cwd)


def test_a_fresh_clone_reproduces_the_committed_tree(repo: Path, tmp_path: Path) -> None:
    """The served model ships in git (make run serves it at once) and a clone's own `dvc
    repro`, with an empty cache so that every stage runs, leaves `git status` clean: no
    timings, clock times or hash-seed orders in a tracked file."""
    _run(["dvc", "repro"], repo)
    _git(["add", "-A"], repo)
    _git(["commit", "-q", "-m", "pipeline outputs"], repo)
    tracked = _git(["ls-files", "models/pre_release/export"], repo)
    assert "models/pre_release/export/model.onnx" in tracked
    clone = tmp_path / "clone"
    _git(["clone", "-q", str(repo), str(clone)], tmp_path)
    _run(["dvc", "repro", "--force"], clone)
    assert _git(["status", "--porcelain"], clone) == ""
