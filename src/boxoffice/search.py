"""Time-boxed random search over the estimator's hyperparameters, scored by MAE on log."""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from boxoffice.model import BoxOfficeRegressor
from boxoffice.params import SearchParams


@dataclass
class SearchResult:
    best_params: dict[str, Any]
    best_score: float
    history: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    stopped_by: str = "max_candidates"

    def top(self, n: int) -> list[dict[str, Any]]:
        """The ``n`` best candidates' params, best first."""
        ranked = sorted(self.history, key=lambda h: float(h["mae_log"]))
        return [dict(h["params"]) for h in ranked[:n]]


def candidates(space: dict[str, list[Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct points of the grid, in a seeded random order."""
    keys = sorted(space)
    grid = list(itertools.product(*(space[k] for k in keys)))
    order = np.random.default_rng(seed).permutation(len(grid))[:n]
    return [dict(zip(keys, grid[i], strict=True)) for i in order]


def cv_mae(estimator: BoxOfficeRegressor, X: pd.DataFrame, y: np.ndarray, folds: KFold) -> float:
    errors = np.empty_like(y)
    for fit_idx, val_idx in folds.split(X):
        member = clone(estimator).fit(X.iloc[fit_idx], y[fit_idx])
        errors[val_idx] = np.abs(y[val_idx] - member.predict(X.iloc[val_idx]))
    return float(errors.mean())


def search(
    base: BoxOfficeRegressor,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    params: SearchParams,
    folds: int,
    seed: int,
    progress: bool = True,
) -> SearchResult:
    """Score candidates on the same folds until ``max_candidates`` or the time budget."""
    splitter = KFold(folds, shuffle=True, random_state=seed)
    base = clone(base).set_params(calibration_folds=0)
    todo = candidates(params.space, params.max_candidates, seed)
    start = time.monotonic()
    result = SearchResult(best_params={}, best_score=float("inf"))
    for i, cand in enumerate(todo, start=1):
        if time.monotonic() - start > params.time_budget_s:
            result.stopped_by = "time_budget"
            break
        score = cv_mae(clone(base).set_params(**cand), X, y, splitter)
        result.history.append({"params": cand, "mae_log": round(score, 5)})
        if score < result.best_score:
            result.best_params, result.best_score = cand, score
        if progress:
            elapsed = time.monotonic() - start
            print(
                f"[search] {i}/{len(todo)} mae_log={score:.4f} best={result.best_score:.4f}"
                f" elapsed={elapsed:.1f}s/{params.time_budget_s:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    result.elapsed_s = round(time.monotonic() - start, 2)
    return result
