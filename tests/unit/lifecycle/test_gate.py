"""The promotion gate: its rules, and that it scores what the API serves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boxoffice.core.layout import Layout
from boxoffice.core.params import GateParams, load_params
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.lifecycle.gate import decide, holdout_columns, score
from boxoffice.lifecycle.registry import Registry


def test_gate_rules() -> None:
    gate = GateParams(mae_log_tolerance=0.01, coverage_band=(0.75, 0.85), first_model_max_mae_log=1)
    good = {"mae_log": 0.80, "coverage": 0.80}
    assert decide(good, None, gate).promote
    assert not decide(good | {"mae_log": 1.2}, None, gate).promote
    assert not decide(good | {"coverage": 0.6}, None, gate).promote
    assert decide(good | {"mae_log": 0.805}, {"mae_log": 0.80}, gate).promote
    refused = decide(good | {"mae_log": 0.85}, {"mae_log": 0.80}, gate)
    assert not refused.promote and any("worse" in r for r in refused.reasons)


def test_gate_scores_the_intervals_the_api_gives(trained: Layout, tmp_path: Path) -> None:
    reg = Registry(str(tmp_path / "registry"))
    version = reg.register(trained.export_dir)
    columns, y_log = holdout_columns(trained.holdout, load_params(trained.root / "params.yaml"))
    out = OnnxPredictor.load(trained.export_dir).predict(columns, len(y_log))
    served = ((y_log >= np.log(out.low)) & (y_log <= np.log(out.high))).mean()
    # Offsets by fields sent and budget band, as served; not one pair for every film. The
    # gate's figures are rounded to 5 places (regression_metrics): equal to that rounding.
    assert score(reg, version, columns, y_log)["coverage"] == round(float(served), 5)


def test_gate_refuses_a_candidate_over_the_latency_budget() -> None:
    gate = GateParams(
        first_model_max_mae_log=1, max_single_row_p99_ms=5.0, min_batch_rows_per_s=10_000
    )
    fast = {"mae_log": 0.8, "coverage": 0.8, "single_row_p99_ms": 1.0, "batch_rows_per_s": 5e4}
    assert decide(fast, None, gate).promote
    slow_row = decide(fast | {"single_row_p99_ms": 9.0}, {"mae_log": 0.9}, gate)
    assert not slow_row.promote
    assert any("p99 9.00 ms > budget 5.0 ms" in r for r in slow_row.reasons)
    slow_batch = decide(fast | {"batch_rows_per_s": 2_000}, None, gate)
    assert not slow_batch.promote
    assert any("2,000 rows/s < 10,000" in r for r in slow_batch.reasons)


def test_gate_scores_record_the_latency_it_measured(trained: Layout, tmp_path: Path) -> None:
    reg = Registry(str(tmp_path / "registry"))
    version = reg.register(trained.export_dir)
    columns, y_log = holdout_columns(trained.holdout, load_params(trained.root / "params.yaml"))
    scored = score(reg, version, columns, y_log)
    assert scored["single_row_p99_ms"] > 0
    assert scored["batch_rows_per_s"] > 0
    # An impossible budget refuses the very model a loose one lets through.
    loose = GateParams(
        first_model_max_mae_log=9,
        coverage_band=(0, 1),
        max_single_row_p99_ms=1e3,
        min_batch_rows_per_s=1,
    )
    assert decide(scored, None, loose).promote
    assert not decide(
        scored, None, loose.model_copy(update={"max_single_row_p99_ms": 1e-6})
    ).promote
