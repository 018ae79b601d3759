"""The benchmark script runs end to end (tiny settings) and writes the agreed JSON shape."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, small_profile, write_project

pytestmark = pytest.mark.slow


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("model_quality", ROOT / "bench/model_quality.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["model_quality"] = module
    spec.loader.exec_module(module)
    return module


def test_model_quality_quick_run_writes_json_and_table(
    tmp_path: Path, project_raw: dict[str, Any]
) -> None:
    params = write_project(tmp_path, small_profile(project_raw))
    out = tmp_path / "results"
    bench = _load_bench()
    code = bench.main(
        [
            "--params",
            str(params),
            "--folds",
            "2",
            "--repeats",
            "1",
            "--automl-budget",
            "2",
            "--quick",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads((out / "model_quality.json").read_text())
    assert (result["folds"], result["repeats"]) == (2, 1)
    assert set(result["models"]) == {"seed_recipe", "budget_loglinear", "automl", "boxoffice"}
    for name, metrics in result["models"].items():
        for key in ("r2", "r2_log", "mae_log", "mdape"):
            assert set(metrics[key]) == {"mean", "sd"}, (name, key)
    assert "coverage" in result["models"]["boxoffice"]
    assert "coverage" not in result["models"]["seed_recipe"]
    table = (out / "model_quality.md").read_text()
    assert "| boxoffice |" in table
    assert yaml.safe_load(params.read_text())["train"]["search"]["max_candidates"] == 2
