"""The card's and report's text: names for the budget bands, smallest first, and one
precision for every figure (the card mixed raw keys and 4- and 5-digit numbers)."""

from __future__ import annotations

from typing import Any

from boxoffice.core.params import load_params
from boxoffice.pipeline.card import _profile_section, calibration
from boxoffice.pipeline.coverage import coverage_table, figure


def _cell(n: int, coverage: float) -> dict[str, Any]:
    return {
        "n": n,
        "coverage": coverage,
        "wilson90": [coverage - 0.05, coverage + 0.05],
        "meets": True,
    }


CELLS = {
    "goal": [0.75, 0.85],
    # As JSON stores them: keys sorted, so $10M-$100M comes before < $10M.
    "budget": {
        "10m_100m": _cell(299, 0.76234),
        "ge_100m": _cell(47, 0.851),
        "lt_10m": _cell(144, 0.79861),
    },
}


def test_the_budget_rows_run_smallest_first_under_their_names() -> None:
    table = coverage_table(CELLS)
    rows = [line for line in table.splitlines() if line.startswith("| constant-dollar budget")]
    assert [r.split(" | ")[1] for r in rows] == ["< $10M", "$10M-$100M", "≥ $100M"]
    assert "lt_10m" not in table and "0.799" in table and "0.79861" not in table


def test_the_card_writes_every_figure_with_three_decimals() -> None:
    meta = {
        "version": "sha-1",
        "backtest": {
            "required_only": {"mae_log": 1.2115, "coverage": 0.77755},
            "coverage_cells": CELLS,
        },
    }
    signature = {"inputs": [{"field": "production_budget", "required": True}]}
    text = _profile_section("pre_release", "/v1/prediction", signature, meta)
    assert "MAE (log) 1.212, coverage 0.778." in text  # was 1.2115 and 0.77755
    assert figure(None) == "—"


def test_the_card_says_how_the_intervals_are_calibrated_as_params_declare() -> None:
    train = load_params().train
    pooled = train.model_copy(
        update={"interval_buckets": [0], "interval_bands": [0], "width_trees": 0}
    )
    assert "in one pooled cell" in calibration(pooled)
    assert "predicted width" not in calibration(pooled)
    cells = train.model_copy(
        update={"interval_buckets": [0, 1, 4], "interval_bands": [0, 1e7], "width_trees": 50}
    )
    text = calibration(cells)
    assert "the number of optional fields sent x constant-dollar budget band" in text
    assert "two quantile models of 50 trees" in text
    flat = train.model_copy(update={"horizon_bands": [1]})
    assert "horizon" not in calibration(flat)
