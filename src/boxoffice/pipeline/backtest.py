"""Rolling-origin backtest by release year: each test year is predicted by a model fitted
only on films released before it. Shared by the evaluate stage and ``bench/``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boxoffice.core.dollars import Dollars
from boxoffice.core.processes import in_processes
from boxoffice.core.regression_metrics import regression_metrics

FloatArray = npt.NDArray[np.float64]
# (prediction, low, high) on the log scale; low/high are None for models without intervals.
Fitted = tuple[FloatArray, FloatArray | None, FloatArray | None]
# fit on (train frame, its log target), predict a test frame.
Runner = Callable[[pd.DataFrame, FloatArray, pd.DataFrame], Fitted]
# Budget bands in constant dollars (the issue's: under $10M, $10-100M, $100M and more).
BANDS = (("lt_10m", 0.0, 1e7), ("10m_100m", 1e7, 1e8), ("ge_100m", 1e8, np.inf))
METRICS = ("r2", "r2_log", "mae_log", "mdape", "coverage", "interval_width_log", "interval_score")


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
    horizon_starts: list[int] | None = None,
    max_horizon: int = 1,
    workers: int = 1,
) -> dict[str, Any]:
    """Fit ``runner`` once per start year on the films released before it, and score it on
    every year up to ``max_horizon`` years after its last training film.

    The headline (per-year metrics, pooled rows) is each of the last ``n_years`` years
    predicted by the fit that starts there. ``horizon_starts`` add older fits; with the
    headline's, they give every horizon at once (``horizon`` rows: one per (fit, film)).
    With ``optional``, each test film is also predicted with those fields blanked (what a
    caller who sends only the required fields gets): pooled as ``required_only``. With
    ``workers`` > 1 the fits run in processes (``runner`` must pickle), with the same result.
    """
    heads = test_years(years, n_years)
    starts = [s for s in sorted(set(heads) | set(horizon_starts or [])) if (years < s).any()]
    lasts, reaches, tasks = _plan(frame, y_log, years, starts, max_horizon)
    gathered = _Gathered()
    fits = _fits(tasks, runner, optional, workers)
    for start, last, reach, (fitted, bare_fit) in zip(starts, lasts, reaches, fits, strict=True):
        before = years < start
        gathered.far.append((reach, years[reach] - last, *fitted))
        if start not in heads:
            continue
        head = years[reach] == start
        gathered.add_head(y_log, start, reach[head], head, fitted, bare_fit)
        if progress:
            scored = (int(before.sum()), int(head.sum()), len(reach))
            _print_progress(label, start, gathered.scores[-1]["mae_log"], scored, max_horizon)
    return gathered.result()


def _plan(
    frame: pd.DataFrame, y_log: FloatArray, years: FloatArray, starts: list[int], max_horizon: int
) -> tuple[list[float], list[npt.NDArray[np.intp]], list[Task]]:
    """Per start year: the last training film's year, the rows it is scored on (up to
    ``max_horizon`` years after it) and the fit's task (the films before, the rows to predict)."""
    lasts = [float(np.nanmax(years[years < start])) for start in starts]
    reaches = [
        np.flatnonzero((years >= start) & (years <= last + max_horizon))
        for start, last in zip(starts, lasts, strict=True)
    ]
    tasks = [
        (frame[years < start], y_log[years < start], frame.iloc[reach])
        for start, reach in zip(starts, reaches, strict=True)
    ]
    return lasts, reaches, tasks


Task = tuple[pd.DataFrame, FloatArray, pd.DataFrame]


def _fits(
    tasks: list[Task], runner: Runner, optional: list[str] | None, workers: int
) -> Iterator[tuple[Fitted, Fitted | None]]:
    """Each task's fit, in order, as each is ready (the caller prints progress)."""
    args = [(*t, runner, optional) for t in tasks]
    yield from in_processes(_fit, args, workers, submission_order(len(tasks)))


# Consecutive start years share most of their searches' folds (a recipe's search scores its
# candidates on the last few years before the start): fits that run side by side would fit
# the same folds at the same moment, so those started together lie this many starts apart.
SPREAD = 3


def submission_order(n: int) -> list[int]:
    """The order the fits start in: the latest (largest) first, spread by ``SPREAD``, so the
    processes rarely fit the same fold at once and a later fit finds its folds done."""
    latest_first = list(range(n - 1, -1, -1))
    return [i for offset in range(SPREAD) for i in latest_first[offset::SPREAD]]


def _fit(
    train: pd.DataFrame,
    y_train: FloatArray,
    test: pd.DataFrame,
    runner: Runner,
    optional: list[str] | None,
) -> tuple[Fitted, Fitted | None]:
    """``runner`` on ``test`` and, with ``optional``, on a copy with those fields blanked."""
    n = len(test)
    if optional:
        bare = test.assign(**{name: None for name in optional})
        test = pd.concat([test, bare], ignore_index=True)
    pred, low, high = runner(train, y_train, test)
    bare_fit = _cut(pred, low, high, slice(n, None)) if optional else None
    return _cut(pred, low, high, slice(0, n)), bare_fit


@dataclass
class _Gathered:
    """What the fits leave: the headline's rows (each start year by its own fit, also blanked)
    and every fit's rows with how many years ahead of its last training film they fall."""

    scores: list[dict[str, float]] = field(default_factory=list)
    pooled: list[tuple[Any, ...]] = field(default_factory=list)
    blanked: list[Fitted] = field(default_factory=list)
    far: list[tuple[Any, ...]] = field(default_factory=list)

    def add_head(
        self,
        y_log: FloatArray,
        start: int,
        during: npt.NDArray[np.intp],
        head: npt.NDArray[np.bool_],
        fitted: Fitted,
        bare_fit: Fitted | None,
    ) -> None:
        """Score the films released in ``start`` itself: ``during`` in the frame, ``head``
        among the fit's rows."""
        pred, low, high = fitted
        self.scores.append(
            regression_metrics(y_log[during], *_cut(pred, low, high, head)) | {"year": start}
        )
        self.pooled.append((during, *_cut(pred, low, high, head)))
        if bare_fit is not None:
            self.blanked.append(_cut(*bare_fit, head))

    def result(self) -> dict[str, Any]:
        return {
            "years": [int(s["year"]) for s in self.scores],
            "per_year": self.scores,
            "summary": summarise(self.scores),
            "index": np.concatenate([p[0] for p in self.pooled]),
            "pooled": _stack([p[1:] for p in self.pooled]),
            "required_only": _stack(self.blanked) if self.blanked else None,
            "horizon": {
                "index": np.concatenate([f[0] for f in self.far]),
                "years": np.concatenate([f[1] for f in self.far]),
                "fitted": _stack([f[2:] for f in self.far]),
            },
        }


def _print_progress(
    label: str, start: int, mae_log: float, scored: tuple[int, int, int], max_horizon: int
) -> None:
    """``scored``: films before ``start``, tested in it, scored up to ``max_horizon`` ahead."""
    before, tested, reached = scored
    print(
        f"[backtest] {label} {start}: mae_log={mae_log:.4f}"
        f" ({before} films before, {tested} tested,"
        f" {reached} scored up to {max_horizon} years ahead)",
        file=sys.stderr,
        flush=True,
    )


def _cut(pred: FloatArray, low: FloatArray | None, high: FloatArray | None, part: Any) -> Fitted:
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
