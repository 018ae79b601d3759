"""The backtest's coverage cells are the report's grid, not the calibration's, and the export
finds each horizon band's measured coverage by its bounds, not by its position."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from boxoffice.core.params import EvaluateParams, load_params
from boxoffice.core.signature import HorizonBand, InputField, Interval, Signature
from boxoffice.pipeline.evaluate import coverage_cells
from boxoffice.pipeline.export import with_horizon_coverage


def _result(n: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
    y = rng.normal(size=n)
    pred = y + rng.normal(scale=0.5, size=n)
    fitted = (pred, pred - 0.6, pred + 0.6)
    index = np.arange(n)
    horizon = {"index": index, "fitted": fitted, "years": rng.integers(1, 11, size=n)}
    return y, {"index": index, "pooled": fitted, "required_only": fitted, "horizon": horizon}


@pytest.mark.parametrize(
    ("buckets", "bands"), [([0], [1]), ([0, 1, 4], [1, 4, 7]), ([0, 2], [1, 3])]
)
def test_the_cells_do_not_move_with_what_train_calibrates_on(
    buckets: list[int], bands: list[int]
) -> None:
    params = load_params()
    params = params.model_copy(
        update={
            "train": params.train.model_copy(
                update={"interval_buckets": buckets, "horizon_bands": bands}
            )
        }
    )
    rng = np.random.default_rng(7)
    y, result = _result(400, rng)
    sent = rng.integers(0, 7, size=400)
    cells = coverage_cells(
        y=y, result=result, budget=rng.uniform(1e6, 3e8, 400), sent=sent, params=params
    )
    assert list(cells["fields_sent"]) == ["0", "1-3", "4+", "required only"]
    assert list(cells["horizon"]) == ["1-3 years", "4-6 years", "7-10 years"]
    assert cells["fields_sent"]["4+"]["n"] == int((sent >= 4).sum())


def test_the_report_grid_is_checked_like_the_calibration_bands() -> None:
    with pytest.raises(ValueError, match=r"evaluate\.cells_horizon"):
        EvaluateParams(cells_horizon=[0, 4])
    with pytest.raises(ValueError, match=r"evaluate\.cells_sent"):
        EvaluateParams(cells_sent=[1, 4])


def _signature(bands: list[int]) -> Signature:
    return Signature(
        target="gross",
        inputs=[InputField(field="budget", kind="numeric", required=True)],
        interval=Interval(
            level=0.8,
            low=-1,
            high=1,
            horizons=[HorizonBand(min_years=b, scale=1.0) for b in bands],
        ),
        last_film="2018-04-20",
        latest_accepted="2028-12-31",
    )


def _cells(names: list[str]) -> dict[str, Any]:
    return {
        "coverage_cells": {
            "horizon": {
                name: {"n": 100 + i, "coverage": 0.7 + i / 100} for i, name in enumerate(names)
            }
        }
    }


def test_each_band_takes_the_cell_of_its_own_bounds() -> None:
    # The report's cells in another order than the bands: position would mislabel them.
    measured = _cells(["7-10 years", "1-3 years", "4-6 years"])
    bands = with_horizon_coverage(_signature([1, 4, 7]), measured).interval.horizons
    assert [(b.name, b.films) for b in bands] == [("1-3", 101), ("4-6", 102), ("7-10", 100)]


def test_a_band_the_report_does_not_hold_gets_no_measured_coverage() -> None:
    # Calibrated on 1-5 and 6-10; the report measured 1-3, 4-6, 7-10: three cells, two bands,
    # and none of them the same range.
    measured = _cells(["1-3 years", "4-6 years", "7-10 years"])
    bands = with_horizon_coverage(_signature([1, 6]), measured).interval.horizons
    assert [b.coverage for b in bands] == [None, None]
    same_count = with_horizon_coverage(_signature([1, 3, 7]), measured).interval.horizons
    assert [b.name for b in same_count] == [None, None, "7-10"]  # 1-2, 3-6: not measured


def test_every_fit_gives_the_fields_sent_cells_the_headline_years_lack() -> None:
    rng = np.random.default_rng(11)
    y, result = _result(300, rng)
    sent = np.full(300, 2)  # the headline years: every film sends 1-3 fields
    far_sent = rng.integers(0, 7, size=300)
    cells = coverage_cells(
        y=y,
        result=result,
        budget=rng.uniform(1e6, 3e8, 300),
        sent=sent,
        params=load_params(),
        far_sent=far_sent,
    )
    assert cells["fields_sent"]["4+"]["n"] == 0
    assert cells["fields_sent_far"]["4+"]["n"] == int((far_sent >= 4).sum()) > 0
    assert sum(c["n"] for c in cells["fields_sent_far"].values()) == 300
    assert "fields_sent_far" not in coverage_cells(
        y=y, result=result, budget=rng.uniform(1e6, 3e8, 300), sent=sent, params=load_params()
    )
