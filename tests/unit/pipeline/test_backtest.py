"""The rolling-origin backtest gives the same result with its fits in other processes."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from boxoffice.pipeline.backtest import Fitted, cores, run_backtest


class MeanPlusSlope:
    """A picklable runner (a class at module level, as the recipe's is): fit y on x by least
    squares; the range is the fit's residual spread around it."""

    def __call__(self, train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        slope, intercept = np.polyfit(train["x"].to_numpy(float), y_log, 1)
        pred = intercept + slope * test["x"].to_numpy(float)
        spread = float(np.std(y_log - (intercept + slope * train["x"].to_numpy(float))))
        return pred, pred - spread, pred + spread


def _films(n: int = 600) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    years = rng.integers(2000, 2019, n).astype(float)
    x = rng.uniform(0, 5, n)
    y = 1.0 + 0.8 * x + 0.05 * (years - 2000) + rng.normal(0, 0.3, n)
    return pd.DataFrame({"x": x, "extra": rng.uniform(0, 1, n)}), y, years


def test_fits_in_processes_give_the_sequential_result_in_its_order() -> None:
    frame, y, years = _films()
    kwargs = {"optional": ["extra"], "progress": False, "horizon_starts": [2010, 2012]}
    alone = run_backtest(frame, y, years, MeanPlusSlope(), 3, max_horizon=6, **kwargs)
    shared = run_backtest(frame, y, years, MeanPlusSlope(), 3, max_horizon=6, workers=2, **kwargs)
    assert alone["years"] == shared["years"] == [2016, 2017, 2018]
    assert alone["per_year"] == shared["per_year"]
    assert np.array_equal(alone["index"], shared["index"])
    for part in ("pooled", "required_only"):
        for a, b in zip(alone[part], shared[part], strict=True):
            assert np.array_equal(a, b)
    assert np.array_equal(alone["horizon"]["years"], shared["horizon"]["years"])
    for a, b in zip(alone["horizon"]["fitted"], shared["horizon"]["fitted"], strict=True):
        assert np.array_equal(a, b)


def test_cores_counts_what_this_process_may_use() -> None:
    assert 1 <= cores() <= (os.cpu_count() or 1)
