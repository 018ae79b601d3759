"""Rolling-origin backtest by release year: each test year is predicted by a model fitted
only on films released before it. Shared by the evaluate stage and ``bench/``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boxoffice.core.dollars import Dollars
from boxoffice.core.regression_metrics import regression_metrics

FloatArray = npt.NDArray[np.float64]
# (prediction, low, high) on the log scale; low/high are None for models without intervals.
Fitted = tuple[FloatArray, FloatArray | None, FloatArray | None]
# fit on (train frame, its log target), predict a test frame.
Runner = Callable[[pd.DataFrame, FloatArray, pd.DataFrame], Fitted]
# Budget bands in constant dollars (the issue's: under $10M, $10-100M, $100M and more).
BANDS = (("lt_10m", 0.0, 1e7), ("10m_100m", 1e7, 1e8), ("ge_100m", 1e8, np.inf))
METRICS = ("r2", "r2_log", "mae_log", "mdape", "coverage", "interval_width_log")


def test_years(years: FloatArray, n_years: int) -> list[int]:
    return [int(y) for y in np.unique(years[~np.isnan(years)])[-n_years:]]


def summarise(scores: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and sample sd over test years of each metric present."""
    out = {}
    for key in METRICS:
        values = [s[key] for s in scores if key in s]
        if values:
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            out[key] = {"mean": round(float(np.mean(values)), 4), "sd": round(sd, 4)}
    return out


def coverage_by_band(
    y: FloatArray, low: FloatArray, high: FloatArray, budget_real: FloatArray
) -> dict[str, float | None]:
    covered = (y >= low) & (y <= high)
    out: dict[str, float | None] = {}
    for name, lo, hi in BANDS:
        chosen = (budget_real >= lo) & (budget_real < hi)
        out[name] = round(float(covered[chosen].mean()), 4) if chosen.any() else None
    return out


def run_backtest(
    frame: pd.DataFrame,
    y_log: FloatArray,
    years: FloatArray,
    runner: Runner,
    n_years: int,
    *,
    label: str = "model",
    optional: list[str] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Fit ``runner`` once per test year on earlier films; per-year metrics + pooled rows.

    With ``optional``, each test film is also predicted with those fields blanked (what a
    caller who sends only the required fields gets): pooled as ``required_only``.
    """
    scores, pooled, blanked = [], [], []
    for year in test_years(years, n_years):
        before, during = years < year, years == year
        test = frame[during]
        if optional:
            bare = test.assign(**{name: None for name in optional})
            test = pd.concat([test, bare], ignore_index=True)
        pred, low, high = runner(frame[before], y_log[before], test)
        if optional:
            n = int(during.sum())
            blanked.append(_cut(pred, low, high, slice(n, None)))
            pred, low, high = _cut(pred, low, high, slice(0, n))
        scores.append(regression_metrics(y_log[during], pred, low, high) | {"year": year})
        pooled.append((np.flatnonzero(during), pred, low, high))
        if progress:
            print(
                f"[backtest] {label} {year}: mae_log={scores[-1]['mae_log']:.4f}"
                f" ({int(before.sum())} films before, {int(during.sum())} tested)",
                file=sys.stderr,
                flush=True,
            )
    return {
        "years": [int(s["year"]) for s in scores],
        "per_year": scores,
        "summary": summarise(scores),
        "index": np.concatenate([p[0] for p in pooled]),
        "pooled": _stack([p[1:] for p in pooled]),
        "required_only": _stack(blanked) if blanked else None,
    }


def _cut(pred: FloatArray, low: FloatArray | None, high: FloatArray | None, part: slice) -> Fitted:
    return pred[part], None if low is None else low[part], None if high is None else high[part]


def _stack(parts: list[Any]) -> Fitted:
    def join(i: int) -> Any:
        return None if parts[0][i] is None else np.concatenate([p[i] for p in parts])

    return join(0), join(1), join(2)


def constant_budget(
    frame: pd.DataFrame, budget_field: str, years: FloatArray, dollars: Dollars
) -> FloatArray:
    """Budgets in the base year's dollars (bands are drawn in constant dollars)."""
    nominal = frame[budget_field].to_numpy(dtype=np.float64)
    return np.asarray(nominal * np.exp(dollars.log_factor(years)), dtype=np.float64)
