"""bench/selection.py chooses each setting on years before the headline's test years."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT, small_profile, write_project
from tests.support.scripts import load_script


def _load() -> ModuleType:
    return load_script(ROOT / "bench/selection.py", "selection")


def _scores(**by_name: dict[str, Any]) -> dict[str, dict[str, Any]]:
    base = {"mae_log": 1.0, "required_only_mae_log": 1.2, "coverage": 0.8, "interval_score": 5.0}
    bands = {"lt_10m": 0.8, "10m_100m": 0.8, "ge_100m": None}
    return {name: base | {"coverage_by_budget": bands} | s for name, s in by_name.items()}


def test_each_rule_picks_what_it_declares() -> None:
    choose = _load().choose
    scores = _scores(a={"mae_log": 0.9, "required_only_mae_log": 1.5}, b={"mae_log": 0.95})
    assert choose("mae", scores) == "a"
    assert choose("mae_both", scores) == "b"  # the mask is for callers who leave fields out
    narrow = {"interval_score": 4.0, "coverage_by_budget": {"lt_10m": 0.6, "10m_100m": 0.8}}
    scores = _scores(narrow=narrow, held={"interval_score": 4.5})
    assert choose("intervals", scores) == "held"  # a narrower range that misses a band loses
    assert choose("intervals", _scores(x={"coverage": 0.7}, y={"coverage": 0.72})) == "y"


def test_a_small_band_meets_the_goal_as_the_benchmark_judges_it() -> None:
    """A band of fewer than 150 films meets the goal when 0.80 lies inside its 90% Wilson
    interval (the issue's rule, and the benchmark's): 0.714 of 35 films is no miss."""
    choose = _load().choose
    small = {"coverage": 0.714, "meets": True, "n": 35}
    held = {"coverage": 0.8, "meets": True, "n": 300}
    cells = {"lt_10m": held, "10m_100m": held, "ge_100m": small}
    by_band = {name: c["coverage"] for name, c in cells.items()}
    scores = _scores(
        wilson={"interval_score": 4.5, "budget_cells": cells, "coverage_by_budget": by_band},
        strict={"interval_score": 4.6},
    )
    assert choose("intervals", scores) == "wilson"
    missed = cells | {"ge_100m": {"coverage": 0.6, "meets": False, "n": 300}}
    scores["wilson"]["budget_cells"] = missed
    assert choose("intervals", scores) == "strict"


def test_a_candidate_over_the_pipelines_budget_is_never_chosen() -> None:
    module = _load()
    axis = next(iter(module.OVER_BUDGET))
    costly = sorted(module.OVER_BUDGET[axis])[0]
    scores = _scores(**{costly: {"mae_log": 0.5}, "cheap": {"mae_log": 0.9}})
    assert module.choose("mae", scores, axis) == "cheap"
    assert module.choose("mae", scores) == costly  # on another axis it would be


def test_a_merged_run_keeps_the_other_blocks_and_marks_what_ships_now() -> None:
    from boxoffice.core.params import load_params

    module = _load()
    params = load_params(ROOT / "params.yaml")
    kept = {"rule": "mae", "scores": _scores(**{n: {} for n in module.AXES["reduced_years"][1]})}
    joint = {
        "rule": "mae",
        "scores": _scores(**{n: {} for n in module.joint_candidates(module.JOINT)}),
    }
    result = {"axes": {"reduced_years": dict(kept), "joint": dict(joint)}}
    module.mark_shipped(result, params)
    # Chosen again by today's rules: never a candidate over the pipeline's budget.
    assert result["axes"]["reduced_years"]["chosen"] not in module.OVER_BUDGET["reduced_years"]
    shipped = result["axes"]["reduced_years"]["shipped"]
    assert module.edited(params, module.AXES["reduced_years"][1][shipped]) == params
    assert result["axes"]["joint"]["shipped"] in module.joint_candidates(module.JOINT)
    around = module.settings(params, skip="reduced_years")
    assert "reduced_years" not in around and around["joint"] is not None


def test_the_shipped_candidate_is_found_from_params() -> None:
    from boxoffice.core.params import load_params

    module = _load()
    params = load_params(ROOT / "params.yaml")
    for axis, (_, candidates) in module.AXES.items():
        assert module.shipped_name(params, candidates) in candidates, axis


def test_the_joint_candidates_are_every_combination_with_the_edits_merged() -> None:
    from boxoffice.core.params import load_params

    module = _load()
    candidates = module.joint_candidates(("ensemble_size", "mask_rate"))
    assert len(candidates) == len(module.AXES["ensemble_size"][1]) * len(
        module.AXES["mask_rate"][1]
    )
    params = module.edited(
        load_params(ROOT / "params.yaml"), candidates["ensemble_size=3, mask_rate=0.5"]
    )
    assert (params.train.ensemble_size, params.train.mask_rate) == (3, 0.5)


# Repeats code other tests cover; tracing its many iterations only costs time (pytest-cov no_cover).
@pytest.mark.slow
@pytest.mark.no_cover
def test_selection_never_sees_the_test_years(tmp_path: Path, project_raw: dict[str, Any]) -> None:
    params = write_project(tmp_path, small_profile(project_raw))
    out = tmp_path / "results"
    args = ["--params", str(params), "--years", "2", "--axes", "ensemble_size"]
    code = _load().main([*args, "--out", str(out), "--workers", "1"])
    assert code == 0
    result = json.loads((out / "selection.json").read_text())
    # The small profile backtests 2017-2018: validation is the two years before.
    assert result["test_years"] == [2017, 2018]
    assert result["validation_years"] == [2015, 2016]
    block = result["axes"]["ensemble_size"]
    assert set(block["scores"]) == {"1", "2", "3"}
    assert block["shipped"] == "2" and block["chosen"] in block["scores"]
    assert block["chosen"] == min(block["scores"], key=lambda n: block["scores"][n]["mae_log"])
    assert "| ensemble_size | mae |" in (out / "selection.md").read_text()
    # The benchmark's other models, on the same validation years, merged beside the axes.
    more = [*args[:4], "--axes", "baselines", "--automl-budget", "1"]  # a merge: implied
    assert _load().main([*more, "--out", str(out), "--workers", "1"]) == 0
    merged = json.loads((out / "selection.json").read_text())
    assert merged["axes"] == result["axes"] and merged["validation_years"] == [2015, 2016]
    from bench.selection_baselines import BASELINES

    assert set(merged["baselines"]["scores"]) == set(BASELINES)
    assert "interval_score" in merged["baselines"]["scores"]["mapie_cqr"]
    assert "interval_score" not in merged["baselines"]["scores"]["budget_loglinear"]
    assert "| mapie_cqr |" in (out / "selection.md").read_text()


def test_the_baselines_table_gives_the_ratio_to_the_best_other_model() -> None:
    module = _load()
    joint = {"rule": "mae_both", "shipped": "b", "scores": _scores(a={"mae_log": 0.8}, b={})}
    point = {"mae_log": 1.25, "required_only_mae_log": 1.3, "r2_log": 0.4}
    ranged = point | {"mae_log": 1.1, "coverage": 0.7, "interval_score": 4.7}
    result = {
        "validation_years": [2011],
        "test_years": [2014],
        "axes": {"joint": joint | {"chosen": "b"}},
        "baselines": {"measured": "today", "scores": {"loglinear": point, "cqr": ranged}},
    }
    for s in joint["scores"].values():
        s["r2_log"] = 0.5
    table = module.markdown(result)
    assert "| loglinear | 1.250 | 1.300 | 0.400 | — | — |" in table
    assert "| cqr | 1.100 | 1.300 | 0.400 | 0.700 | 4.700 |" in table
    # Shipped b (1.0) and the lowest candidate a (0.8), each over the best other model (1.1).
    assert "shipped settings (joint: b: 1.000" in table and "(cqr: 1.100): 0.909." in table
    assert "lowest of any candidate (joint: a: 0.800" in table and "(cqr: 1.100): 0.727." in table
    # ... and the lowest of those sending fields no worse than the best other model (1.3).
    assert "required-only MAE is at most 1.300 (joint: a: 0.800" in table
    joint["scores"]["a"]["required_only_mae_log"] = 1.9  # a forgets what "unknown" means
    assert "required-only MAE is at most 1.300 (joint: b: 1.000" in module.markdown(result)
    del result["baselines"]
    assert "other models" not in module.markdown(result)


def test_an_axis_that_does_not_exist_is_refused_before_any_fit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _load().main(["--axes", "baseline", "--out", "/nonexistent"])
    assert exit_.value.code == 2
    assert "no axis baseline: choose from ensemble_size" in capsys.readouterr().err
