"""Seeded random search over the estimator's hyperparameters, scored out of time.

Each candidate is scored by MAE (log) on a rolling origin inside the training data: each of
the last ``folds`` release years predicted from the films released before it, which is how
the model is used. The candidate count bounds the search, never the clock."""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from boxoffice.core.model import BoxOfficeRegressor, release_years
from boxoffice.core.params import SearchParams

Split = tuple[np.ndarray, np.ndarray]


class SearchTimeoutError(RuntimeError):
    """The search ran past ``max_seconds``: fail loudly rather than ship a smaller search."""


@dataclass
class SearchResult:
    best_params: dict[str, Any]
    best_score: float
    history: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0
    stopped_by: str = "max_candidates"
    folds: list[int] = field(default_factory=list)

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


def rolling_origin(years: np.ndarray, n_years: int) -> list[Split]:
    """(fit rows, test rows) for each of the last ``n_years`` years: fit on earlier films."""
    known = np.unique(years[~np.isnan(years)])
    splits = []
    for year in known[-n_years:]:
        fit_idx = np.flatnonzero(years < year)
        if len(fit_idx):
            splits.append((fit_idx, np.flatnonzero(years == year)))
    return splits


def cv_mae(
    estimator: BoxOfficeRegressor, X: pd.DataFrame, y: np.ndarray, splits: list[Split]
) -> float:
    errors = []
    for fit_idx, val_idx in splits:
        member = clone(estimator).fit(X.iloc[fit_idx], y[fit_idx])
        errors.append(np.abs(y[val_idx] - member.predict(X.iloc[val_idx])))
    return float(np.concatenate(errors).mean())


def _within_budget(params: SearchParams, done: int, total: int, elapsed: float) -> None:
    if params.max_seconds is not None and elapsed > params.max_seconds:
        raise SearchTimeoutError(
            f"rule 'search.max_seconds': {done}/{total} candidates after"
            f" {elapsed:.0f}s > {params.max_seconds:.0f}s; raise the limit or lower"
            " search.max_candidates"
        )


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
    """Score ``max_candidates`` candidates on the same rolling-origin folds."""
    years = release_years(X, next(f.field for f in base.features if f.kind == "date"))
    splits = rolling_origin(years, folds)
    if not splits:
        raise ValueError("rolling-origin search needs films from at least two release years")
    # Candidates are scored on their forecasts alone: no intervals, so no width models; and
    # by the masked trees, which every request can reach (the reduced trees take the chosen
    # settings).
    base = clone(base).set_params(calibration_years=0, width_trees=0, reduced_years=0)
    todo = candidates(params.space, params.max_candidates, seed)
    start = time.monotonic()
    result = SearchResult(best_params={}, best_score=float("inf"))
    result.folds = [int(years[test[0]]) for _, test in splits]
    for i, cand in enumerate(todo, start=1):
        _within_budget(params, i - 1, len(todo), time.monotonic() - start)
        score = cv_mae(clone(base).set_params(**cand), X, y, splits)
        result.history.append({"params": cand, "mae_log": round(score, 5)})
        if score < result.best_score:
            result.best_params, result.best_score = cand, score
        if progress:
            print(
                f"[search] {i}/{len(todo)} mae_log={score:.4f} best={result.best_score:.4f}"
                f" elapsed={time.monotonic() - start:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    result.elapsed_s = round(time.monotonic() - start, 2)
    return result
