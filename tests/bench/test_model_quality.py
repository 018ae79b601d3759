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
    models = {"seed_recipe", "budget_loglinear", "automl", "quantile_gbm", "mapie_cqr", "boxoffice"}
    assert set(result["profiles"]) == {"pre_release"}
    for profile in ("pre_release",):
        block = result["profiles"][profile]
        assert set(block["models"]) == models
        for name, metrics in block["models"].items():
            for key in ("r2", "r2_log", "mae_log", "mdape"):
                assert set(metrics[key]) == {"mean", "sd"}, (profile, name, key)
        assert "coverage" in block["models"]["boxoffice"]
        assert "coverage" not in block["models"]["seed_recipe"]
        for name in ("boxoffice", "quantile_gbm", "mapie_cqr"):  # ranges, side by side
            assert set(block["models"][name]["interval_score"]) == {"mean", "sd"}
            assert f"{name}_detail" in block  # each one's ranges, cell by cell too
        detail = block["boxoffice_detail"]
        assert set(detail["coverage_by_budget"]) == {"lt_10m", "10m_100m", "ge_100m"}
        assert set(detail["required_only"]) == {"mae_log", "coverage", "interval_score"}
        assert list(detail["coverage_by_horizon"]) == ["1-3 years", "4-6 years", "7-10 years"]
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


def test_a_merge_lists_a_new_model_before_boxoffice() -> None:
    bench = _load_bench()
    old = {
        "test_years": [2018],
        "rows": 9,
        "profiles": {"pre_release": {"models": {"quantile_gbm": {}, "boxoffice": {}}}},
        "random_kfold": {},
    }
    new = {
        "test_years": [2018],
        "rows": 9,
        "profiles": {"pre_release": {"models": {"mapie_cqr": {}}}},
        "random_kfold": {},
    }
    args = bench.argparse.Namespace(
        models="mapie_cqr", profiles="pre_release", kfold=0, ablation=False, merge="new model"
    )
    out = bench.merged(old, new, args)
    assert list(out["profiles"]["pre_release"]["models"]) == [
        "quantile_gbm",
        "mapie_cqr",
        "boxoffice",
    ]


def _films(years: list[int], shift_last: float = 0.0) -> tuple[Any, Any]:
    """Films of the tiny schema's fields, a target that follows the budget, the last year's
    shifted by ``shift_last`` (a change the films before it cannot show)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [(year, i) for year in years for i in range(120)]
    budget = rng.uniform(1e6, 1e8, len(rows))
    frame = pd.DataFrame(
        {
            "production_budget": budget,
            "release_date": [f"{year}-06-{1 + i % 28:02d}" for year, i in rows],
            "mpaa_rating": rng.choice(["G", "PG", "R"], len(rows)),
        }
    )
    y = np.log(budget) + rng.normal(0, 0.5, len(rows))
    y[[year == years[-1] for year, _ in rows]] += shift_last
    return frame, y


def _tiny_features() -> Any:
    from boxoffice.core.params import FeatureSpec

    return [
        FeatureSpec(column="b", field="production_budget", kind="numeric", required=True),
        FeatureSpec(
            column="d", field="release_date", kind="date", required=True, parts=["year", "month"]
        ),
        FeatureSpec(column="r", field="mpaa_rating", kind="categorical", required=False),
    ]


def test_mapie_cqr_conformalizes_on_the_last_training_year() -> None:
    """Its offsets are measured on the training data's last year, out of time: when that
    year's films gross more than the models learned (a shift), the ranges widen to reach them;
    the uncalibrated quantile baseline's do not."""
    bench = _load_bench()
    features = _tiny_features()
    train, y = _films([2001, 2002, 2003, 2004], shift_last=2.0)
    test, _ = _films([2005])
    cqr = bench.mapie_cqr(features, 0.8, 0)(train, y, test)
    plain = bench.quantile_gbm(features, 0.8, 0)(train, y, test)
    assert (cqr[2] - cqr[0]).mean() > (plain[2] - plain[0]).mean() + 1.0
    steady, y_steady = _films([2001, 2002, 2003, 2004])
    calm = bench.mapie_cqr(features, 0.8, 0)(steady, y_steady, test)
    assert (cqr[2] - cqr[1]).mean() > (calm[2] - calm[1]).mean() + 1.0


def test_mapie_cqr_needs_two_release_years() -> None:
    bench = _load_bench()
    train, y = _films([2004])
    test, _ = _films([2005])
    with pytest.raises(ValueError, match="one release year"):
        bench.mapie_cqr(_tiny_features(), 0.8, 0)(train, y, test)


def test_mapie_cqr_without_mapie_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imported when it runs, as FLAML is: a benchmark run of other models needs neither."""
    import sys

    bench = _load_bench()
    runner = bench.mapie_cqr(_tiny_features(), 0.8, 0)  # built without MAPIE
    monkeypatch.setitem(sys.modules, "mapie.regression", None)
    train, y = _films([2003, 2004])
    test, _ = _films([2005])
    with pytest.raises(SystemExit, match=r"pip install -e '\.\[bench\]'"):
        runner(train, y, test)
