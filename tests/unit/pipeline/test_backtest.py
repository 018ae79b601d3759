"""The rolling-origin backtest gives the same result with its fits in other processes."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from boxoffice.core.fit_memo import fit_once, remembered_fits
from boxoffice.core.processes import cores
from boxoffice.pipeline.backtest import Fitted, run_backtest, submission_order


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


def _fit(trees: Any, matrix: np.ndarray, y: np.ndarray) -> Any:
    return trees.fit(matrix, y)


class SmallTrees:
    """A picklable runner whose trees go through the fit memo, as the recipe's do."""

    def __call__(self, train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        trees = HistGradientBoostingRegressor(max_iter=5, random_state=0)
        fitted = fit_once(trees, train.to_numpy(np.float64), y_log, _fit)
        return fitted.predict(test.to_numpy(np.float64)), None, None


def test_processes_share_the_parents_directory_memo(tmp_path: Path) -> None:
    frame, y, years = _films()
    kwargs: dict[str, Any] = {"progress": False, "horizon_starts": [2010], "max_horizon": 6}
    with remembered_fits(tmp_path) as memo:
        shared = run_backtest(frame, y, years, SmallTrees(), 3, workers=2, **kwargs)
        assert len(list(tmp_path.glob("*.joblib"))) == 4  # the workers wrote their 4 fits
        again = run_backtest(frame, y, years, SmallTrees(), 3, **kwargs)
    assert (memo.fitted, memo.reused) == (0, 4)  # this process found every fit done
    assert np.array_equal(shared["pooled"][0], again["pooled"][0])


def test_fits_start_latest_first_spread_apart() -> None:
    order = submission_order(7)
    assert sorted(order) == list(range(7)) and order[0] == 6
    assert all(abs(a - b) >= 2 for a, b in itertools.pairwise(order))
