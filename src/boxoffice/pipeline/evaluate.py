"""Stage 5, evaluate (per profile): the rolling-origin backtest of the training recipe (the
headline), the frozen-holdout figures of the trained model (secondary), DVC plots and the
CML-style ``report.md``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from boxoffice.core.fit_memo import shared_fits
from boxoffice.core.io import write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.model import BoxOfficeRegressor, frame_columns, release_years
from boxoffice.core.params import Params
from boxoffice.core.processes import cores
from boxoffice.core.regression_metrics import interval_score, regression_metrics
from boxoffice.pipeline.backtest import BANDS, Fitted, coverage_by_band, run_backtest
from boxoffice.pipeline.common import log, run_stage, write_json
from boxoffice.pipeline.coverage import by_group, cell, edges_to_bands
from boxoffice.pipeline.plots import write_images, write_plot_data
from boxoffice.pipeline.recipe import base_estimator, fit_model, xy
from boxoffice.pipeline.report import report_markdown


def importance_frame(
    model: BoxOfficeRegressor, X: pd.DataFrame, y: np.ndarray, repeats: int, seed: int
) -> pd.DataFrame:
    result = permutation_importance(
        model, X, y, scoring="neg_mean_absolute_error", n_repeats=repeats, random_state=seed
    )
    return pd.DataFrame({"feature": X.columns, "importance": result.importances_mean})


@dataclass(frozen=True)
class RecipeRunner:
    """The training recipe (search included) as a backtest runner: fit on the films before a
    start year, predict the films after it. A class, not a closure, so that it pickles and
    the backtest can hand its folds to other processes."""

    base: BoxOfficeRegressor
    params: Params

    def __call__(self, train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        frame = train.assign(**{self.params.feature_schema.target.field: np.exp(y_log)})
        model, _ = fit_model(frame, self.base, self.params, progress=False)
        return model.predict_interval(test[list(model.feature_names_in_)])


def recipe_runner(base: BoxOfficeRegressor, params: Params) -> Any:
    """The training recipe (search included) as a backtest runner."""
    return RecipeRunner(base, params)


def horizon_starts(years: np.ndarray, fits: int, max_horizon: int) -> list[int]:
    """First test years of the older fits: the first reaches ``max_horizon`` years ahead
    of its last training film, the next two years later, and so on."""
    last = int(np.nanmax(years))
    return [last - max_horizon + 1 + 2 * k for k in range(fits)]


def backtest(
    params: Params, layout: Layout, frame: pd.DataFrame, workers: int = 1
) -> dict[str, Any]:
    """Headline figures: each of the last years predicted from the films released before it;
    with older fits, every horizon up to the farthest release the API accepts."""
    base = base_estimator(params, layout.profile, layout.root)
    X, y = xy(frame, params.feature_schema)
    years = release_years(X, base._date_field())
    result = _run_recipe(params, layout.profile, base, X, y, years, workers)
    index = result["index"]
    pred, low, high = result["pooled"]
    model_years = years[index]
    fitted: BoxOfficeRegressor = joblib.load(layout.model)
    real_budget = _constant_budget(base, X, fitted, index, model_years)
    bare, bare_low, bare_high = result["required_only"]
    far = result["horizon"]["index"]
    cells = coverage_cells(
        y=y,
        result=result,
        budget=real_budget,
        sent=fitted.encoder_.sent(frame_columns(X.iloc[index]), len(index)),
        params=params,
        far_sent=fitted.encoder_.sent(frame_columns(X.iloc[far]), len(far)),
    )
    return {
        "backtest": "rolling_origin",
        "profile": layout.profile,
        "test_years": result["years"],
        "films_tested": len(index),
        "per_year": result["per_year"],
        "summary": result["summary"],
        "pooled": regression_metrics(y[index], pred, low, high),
        "coverage_by_budget": coverage_by_band(y[index], low, high, real_budget),
        "required_only": regression_metrics(y[index], bare, bare_low, bare_high),
        "coverage_cells": cells,
        "plot": {"actual_log": y[index], "predicted_log": pred},
    }


def _run_recipe(
    params: Params,
    profile: str,
    base: BoxOfficeRegressor,
    X: pd.DataFrame,
    y: np.ndarray,
    years: np.ndarray,
    workers: int = 1,
) -> dict[str, Any]:
    """The recipe's backtest, each test film also sent with only the required fields, and
    older fits reaching every horizon the API accepts; in ``workers`` processes."""
    optional = [f.field for f in base.features if not f.required]
    max_horizon = params.dollars.max_years_ahead
    return run_backtest(
        X,
        y,
        years,
        recipe_runner(base, params),
        params.evaluate.backtest_years,
        label=profile,
        optional=optional,
        horizon_starts=horizon_starts(years, params.evaluate.horizon_fits, max_horizon),
        max_horizon=max_horizon,
        workers=workers,
    )


def coverage_cells(
    *,
    y: np.ndarray,
    result: dict[str, Any],
    budget: np.ndarray,
    sent: np.ndarray,
    params: Params,
    far_sent: np.ndarray | None = None,
) -> dict[str, Any]:
    """Coverage per budget band and per fields-sent bucket (headline rows: the last years,
    each from the fit just before it) and per horizon band (every fit, every year it
    reaches), each cell with n, its 90% Wilson interval and whether it meets the goal. The
    cells are ``evaluate``'s, not the calibration's: every model on the same grid. With
    ``far_sent`` (fields sent by each film the horizon fits scored), the fields-sent cells of
    every fit too: the headline years may hold no film of a bucket (the later source sends
    at most 3 optional fields), the older years do."""
    level, goal = params.train.interval_level, params.gate.coverage_band
    index = result["index"]
    inside = _inside(y[index], result["pooled"])
    sent_bands = edges_to_bands([float(e) for e in params.evaluate.cells_sent])
    by_sent = by_group(inside, sent.astype(float), sent_bands, goal=goal, level=level)
    by_sent["required only"] = cell(_inside(y[index], result["required_only"]), goal, level)
    out: dict[str, Any] = {
        "goal": list(goal),
        "budget": by_group(inside, budget, list(BANDS), goal=goal, level=level),
        "fields_sent": by_sent,
    }
    return out | _far_cells(y, result["horizon"], params, far_sent, sent_bands)


def _far_cells(
    y: np.ndarray,
    far: dict[str, Any],
    params: Params,
    far_sent: np.ndarray | None,
    sent_bands: list[tuple[str, float, float]],
) -> dict[str, Any]:
    """The cells of every fit and every later year it reached: per horizon band (with the
    error's and the interval score's growth), and per fields-sent bucket when given."""
    level, goal = params.train.interval_level, params.gate.coverage_band
    horizon_bands = edges_to_bands(
        [float(e) for e in params.evaluate.cells_horizon],
        end=params.dollars.max_years_ahead + 1,
        unit=" years",
    )
    far_y = y[far["index"]]
    far_pred, far_low, far_high = far["fitted"]
    score = interval_score(far_y, far_low, far_high, level=level)
    far_inside = _inside(far_y, far["fitted"])
    out: dict[str, Any] = {
        "horizon": by_group(far_inside, far["years"], horizon_bands, goal=goal, level=level),
        "horizon_mae_log": _mean_per_band(np.abs(far_y - far_pred), far["years"], horizon_bands),
        "horizon_interval_score": _mean_per_band(score, far["years"], horizon_bands),
    }
    if far_sent is not None:
        out["fields_sent_far"] = by_group(
            far_inside, far_sent.astype(float), sent_bands, goal=goal, level=level
        )
    return out


def _mean_per_band(
    values: np.ndarray, ahead: np.ndarray, bands: list[tuple[str, float, float]]
) -> dict[str, float]:
    """The mean of ``values`` per horizon band of ``ahead`` (how error grows with the horizon)."""
    return {
        name: round(float(values[(ahead >= lo) & (ahead < hi)].mean()), 4)
        for name, lo, hi in bands
        if ((ahead >= lo) & (ahead < hi)).any()
    }


def _inside(y: np.ndarray, fitted: Fitted) -> np.ndarray:
    _, low, high = fitted
    inside: np.ndarray = (y >= low) & (y <= high)
    return inside


def _constant_budget(
    base: BoxOfficeRegressor,
    X: pd.DataFrame,
    fitted: BoxOfficeRegressor,
    index: np.ndarray,
    years: np.ndarray,
) -> np.ndarray:
    """The budget of each tested film in constant dollars (NaN when the schema has none)."""
    budget = next((f for f in base.features if f.dollars), None)
    if budget is None:
        return np.full(len(index), np.nan)
    nominal = X[budget.field].to_numpy(dtype=float)[index]
    dollars = fitted.signature_.dollars
    real: np.ndarray = nominal * np.exp(dollars.log_factor(years)) if dollars else nominal
    return real


def run(params: Params, layout: Layout, workers: int = 1) -> dict[str, Any]:
    model: BoxOfficeRegressor = joblib.load(layout.model)
    fields = list(model.feature_names_in_)
    train, holdout = pd.read_parquet(layout.train), pd.read_parquet(layout.holdout)
    X, y = xy(holdout, params.feature_schema)
    X = X[fields]
    pred, low, high = model.predict_interval(X)
    holdout_metrics = regression_metrics(y, pred, low, high) | {"rows": len(y)}
    result = backtest(params, layout, pd.concat([train, holdout], ignore_index=True), workers)
    plot = result.pop("plot")
    write_json(layout.backtest, result)
    metrics = {
        "backtest": {k: v["mean"] for k, v in result["summary"].items()},
        "backtest_coverage_by_budget": result["coverage_by_budget"],
        "backtest_required_only": result["required_only"],
        "backtest_coverage_by_horizon": {
            k: v["coverage"] for k, v in result["coverage_cells"]["horizon"].items()
        },
        "holdout": holdout_metrics,
    }
    write_json(layout.profile_reports / "metrics.json", metrics)
    importance = importance_frame(
        model, X, y, params.evaluate.permutation_repeats, params.train.seed
    )
    write_plot_data(layout.plots, plot["actual_log"], plot["predicted_log"], importance)
    images = write_images(
        layout.profile_reports, plot["actual_log"], plot["predicted_log"], importance
    )
    search = json.loads(layout.search.read_text())
    quality = (layout.reports / "data_quality.md").read_text()
    text = report_markdown(result, holdout_metrics, search, quality, [p.name for p in images])
    write_text_atomic(layout.profile_reports / "report.md", text)
    log("evaluate", f"{layout.profile} rolling-origin " + json.dumps(metrics["backtest"]))
    return metrics


def run_shared(params: Params, layout: Layout) -> dict[str, Any]:
    """``run`` with the folds in a process per core, sharing one fit memo on disk: each
    (candidate, cutoff) fit is done once for the whole backtest. Same figures, sooner."""
    with shared_fits() as memo:
        metrics = run(params, layout, cores())
        kept = list(memo.directory.glob("*.joblib")) if memo.directory else []
        log("evaluate", f"{len(kept)} distinct tree fits")
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    # A caller in its own process (a test, a notebook) keeps the folds in its process: `run`.
    return run_stage("evaluate", run_shared, argv)


if __name__ == "__main__":
    sys.exit(main())
