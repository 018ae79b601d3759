"""Normal use leaves the git tree clean: what it writes is ignored or DVC's to track."""

from __future__ import annotations

import configparser
import subprocess

import pytest

from tests.conftest import ROOT

OUTPUTS = [
    "registry/versions/sha-0/model.onnx",  # boxoffice models register
    "dvc_plots/index.html",  # dvc plots show
    "reports/drift/drift.md",  # boxoffice monitor drift
    "reports/retrain.md",  # boxoffice retrain
    "reports/ui/forecast.png",
    "lake/predictions/x.parquet",
    "spool/w-1/seg-00000001.jsonl",
]


@pytest.mark.parametrize("path", OUTPUTS)
def test_outputs_of_normal_use_are_ignored(path: str) -> None:
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
    assert result.returncode == 0, f"{path} would dirty the git tree"


def test_the_labelled_feedback_is_committable() -> None:
    # Retrain writes it and dvc.lock hashes it: continuous training commits both, so that a
    # fresh clone reproduces the lock (an ignored file made its `git add` fail).
    result = subprocess.run(
        ["git", "check-ignore", "-q", "data/feedback/feedback.jsonl"], cwd=ROOT, check=False
    )
    assert result.returncode == 1


def test_dvc_does_not_stage_files_behind_the_users_back() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".dvc" / "config")
    assert config["core"].get("autostage", "false").strip() == "false"
