"""The benchmark script runs end to end (tiny settings) and writes the agreed JSON shape."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT, tiny_profile, write_project
from tests.support.scripts import load_script

# Repeats code other tests cover; tracing its many iterations only costs time (pytest-cov no_cover).
pytestmark = [pytest.mark.slow, pytest.mark.no_cover]


def _load_bench() -> ModuleType:
    return load_script(ROOT / "bench/model_quality.py", "model_quality")


def test_model_quality_quick_run_writes_json_and_table(
    tmp_path: Path, project_raw: dict[str, Any]
) -> None:
    # The tiny search: this test checks the bench's plumbing and shape, not the model (46 s -> 36).
    params = write_project(tmp_path, tiny_profile(project_raw))
    out = tmp_path / "results"
    bench = _load_bench()
    code = bench.main(
        [
            "--params",
            str(params),
            # One test year: every code path of two, at half the suite's time.
            "--years",
            "1",
            "--kfold",
            "2",
            "--automl-budget",
            "2",
            "--quick",
            # One profile: the retrospective runs the same code, at twice the suite's time.
            "--profiles",
            "pre_release",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads((out / "model_quality.json").read_text())
    assert result["backtest"] == "rolling_origin" and result["test_years"] == [2018]
    models = {"seed_recipe", "budget_loglinear", "automl", "quantile_gbm", "boxoffice"}
    assert set(result["profiles"]) == {"pre_release"}
    for profile in ("pre_release",):
        block = result["profiles"][profile]
        assert set(block["models"]) == models
        for name, metrics in block["models"].items():
            for key in ("r2", "r2_log", "mae_log", "mdape"):
                assert set(metrics[key]) == {"mean", "sd"}, (profile, name, key)
        assert "coverage" in block["models"]["boxoffice"]
        assert "coverage" not in block["models"]["seed_recipe"]
        for name in ("boxoffice", "quantile_gbm"):  # the two with ranges, scored side by side
            assert set(block["models"][name]["interval_score"]) == {"mean", "sd"}
        detail = block["boxoffice_detail"]
        assert set(detail["coverage_by_budget"]) == {"lt_10m", "10m_100m", "ge_100m"}
        assert set(detail["required_only"]) == {"mae_log", "coverage", "interval_score"}
        assert list(detail["coverage_by_horizon"]) == ["1-3 years", "4-6 years", "7-10 years"]
        assert "quantile_gbm_detail" in block  # the baseline's ranges, cell by cell too
        assert set(result["random_kfold"][profile]["models"]) == models
    assert set(result["ablation"]) == {
        "no_history",
        "director_history",
        "distributor_history",
        "both (shipped)",
    }
    table = (out / "model_quality.md").read_text()
    assert "| boxoffice |" in table and "Ablation" in table
    # --merge re-measures only the named models and keeps every other row as it was.
    before = json.loads((out / "model_quality.json").read_text())
    before["profiles"]["pre_release"]["models"]["boxoffice"]["marker"] = "old"
    before["profiles"]["pre_release"]["models"]["automl"]["marker"] = "kept"
    before["random_kfold"]["pre_release"]["models"]["boxoffice"]["marker"] = "not re-run"
    (out / "model_quality.json").write_text(json.dumps(before))
    quick = ["--params", str(params), "--years", "1", "--kfold", "0", "--quick", "--out", str(out)]
    quick += ["--profiles", "pre_release"]
    assert bench.main([*quick, "--models", "boxoffice", "--merge", "intervals changed"]) == 0
    after = json.loads((out / "model_quality.json").read_text())
    assert "marker" not in after["profiles"]["pre_release"]["models"]["boxoffice"]
    assert after["profiles"]["pre_release"]["models"]["automl"]["marker"] == "kept"
    assert after["ablation"] == before["ablation"]
    assert after["random_kfold"]["pre_release"]["models"]["boxoffice"]["marker"] == "not re-run"
    assert after["remeasured"][0]["models"] == ["boxoffice"]
    assert after["remeasured"][0]["parts"] == ["rolling_origin"]
    assert "re-measured" in (out / "model_quality.md").read_text()
    # --ablation re-runs the ablation too (a changed recipe moves every row of it).
    after["ablation"]["no_history"] = 99.0
    (out / "model_quality.json").write_text(json.dumps(after))
    merge = ["--merge", "recipe changed", "--ablation"]
    assert bench.main([*quick, "--models", "boxoffice", *merge]) == 0
    again = json.loads((out / "model_quality.json").read_text())
    assert again["ablation"]["no_history"] != 99.0
    shipped = again["profiles"]["pre_release"]["models"]["boxoffice"]["mae_log"]["mean"]
    assert again["ablation"]["both (shipped)"] == shipped
    assert again["remeasured"][1]["parts"] == ["rolling_origin", "ablation"]


def test_a_merge_adds_a_profile_the_old_run_did_not_measure() -> None:
    bench = _load_bench()
    rows = {"models": {"boxoffice": {"mae_log": {"mean": 1.0}}}}
    old = {"test_years": [2018], "rows": 9, "profiles": {"pre_release": rows}, "random_kfold": {}}
    new = {
        "test_years": [2018],
        "rows": 9,
        "profiles": {"retrospective": {"models": {"boxoffice": {"mae_log": {"mean": 1.1}}}}},
        "random_kfold": {},
    }
    args = bench.argparse.Namespace(
        models="boxoffice", profiles="retrospective", kfold=0, ablation=False, merge="why"
    )
    out = bench.merged(old, new, args)
    assert out["profiles"]["pre_release"] == rows
    assert out["profiles"]["retrospective"]["models"]["boxoffice"]["mae_log"]["mean"] == 1.1
    assert out["remeasured"][-1]["profiles"] == ["retrospective"]
