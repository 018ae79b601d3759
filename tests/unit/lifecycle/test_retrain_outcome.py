"""Retrain's outcome counts every profile: a refused retrospective gate is a refusal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from boxoffice.core.exit_codes import ExitCode
from boxoffice.core.params import load_params
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.gate import Decision, Promotion
from boxoffice.lifecycle.registry import Registry
from boxoffice.lifecycle.retrain import RetrainError, RetrainResult, exit_code, report_markdown
from tests.conftest import ROOT

PROMOTED = Promotion("v2", "v1", Decision(True, ["mae_log better"]), promoted=True)
REFUSED = Promotion("r2", "r1", Decision(False, ["coverage 0.70 outside"]), promoted=False)
UNCHANGED = Promotion("r1", "r1", None, promoted=False)


def test_a_refused_second_profile_makes_the_run_not_promoted() -> None:
    assert exit_code([PROMOTED, REFUSED]) == ExitCode.NOT_PROMOTED
    assert exit_code([PROMOTED, UNCHANGED]) == ExitCode.OK  # nothing changed is no refusal
    assert exit_code([UNCHANGED]) == ExitCode.OK


def test_report_names_each_other_profiles_outcome() -> None:
    result = RetrainResult(
        code=ExitCode.NOT_PROMOTED,
        version="v2",
        decision=PROMOTED.decision,
        train_rows_before=10,
        train_rows_after=12,
        feedback_rows=2,
        production_version="v1",
        others={"retrospective": REFUSED},
    )
    text = report_markdown(result)
    assert "v2 promoted to production" in text
    assert "`retrospective`: r2 **not promoted**: coverage 0.70 outside" in text


def test_a_failed_dvc_repro_stops_retrain_before_anything_is_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boxoffice.lifecycle import retrain as module

    calls: list[list[str]] = []

    def failing(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        return subprocess.CompletedProcess(args, 1, "", "ERROR: failed to reproduce 'train'")

    monkeypatch.setattr(module, "run_dvc", failing)
    registry = Registry(str(tmp_path / "registry"))
    params = load_params(ROOT / "params.yaml")
    lake = Lake(str(tmp_path / "lake"))
    with pytest.raises(RetrainError, match=r"dvc repro failed \(1\).*failed to reproduce 'train'"):
        module.retrain(params, tmp_path, lake, registry)
    assert calls == [["repro"]]
    assert registry.versions() == []  # nothing published, production untouched
