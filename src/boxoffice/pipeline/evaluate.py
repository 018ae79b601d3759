"""Stage 5, evaluate: holdout metrics, DVC plots and the CML-style ``report.md``."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance

from boxoffice.metrics import regression_metrics
from boxoffice.model import BoxOfficeRegressor
from boxoffice.params import Params
from boxoffice.pipeline.common import log, run_stage, write_json
from boxoffice.pipeline.layout import Layout
from boxoffice.pipeline.plots import write_images, write_plot_data
from boxoffice.pipeline.train import xy


def importance_frame(
    model: BoxOfficeRegressor, X: pd.DataFrame, y: np.ndarray, repeats: int, seed: int
) -> pd.DataFrame:
    result = permutation_importance(
        model, X, y, scoring="neg_mean_absolute_error", n_repeats=repeats, random_state=seed
    )
    return pd.DataFrame({"feature": X.columns, "importance": result.importances_mean})


def report_markdown(
    metrics: dict[str, float], search: dict[str, Any], quality_md: str, images: list[str]
) -> str:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in metrics.items())
    pictures = "\n".join(f"![{name}]({name})" for name in images)
    return (
        "# boxoffice model report\n\n## Holdout metrics\n\n| metric | value |\n|---|---:|\n"
        f"{rows}\n\n## Search\n\nBest cross-validated MAE (log): {search['best_cv_mae_log']}"
        f" after {len(search['history'])} candidates in {search['elapsed_s']} s"
        f" (stopped by {search['stopped_by']}).\n\n"
        f"Best parameters: `{json.dumps(search['best_params'], sort_keys=True)}`\n\n"
        f"{quality_md}\n## Plots\n\n{pictures}\n"
    )


def run(params: Params, layout: Layout) -> dict[str, float]:
    model: BoxOfficeRegressor = joblib.load(layout.model)
    X, y = xy(pd.read_parquet(layout.holdout), params.feature_schema)
    pred, low, high = model.predict_interval(X)
    metrics = regression_metrics(y, pred, low, high)
    metrics["holdout_rows"] = len(y)
    write_json(layout.reports / "metrics.json", metrics)
    importance = importance_frame(
        model, X, y, params.evaluate.permutation_repeats, params.train.seed
    )
    write_plot_data(layout.plots, y, pred, importance)
    images = write_images(layout.reports, y, pred, importance)
    search = json.loads(layout.search.read_text())
    quality = (layout.reports / "data_quality.md").read_text()
    names = [p.name for p in images]
    (layout.reports / "report.md").write_text(report_markdown(metrics, search, quality, names))
    log("evaluate", " ".join(f"{k}={v}" for k, v in metrics.items()))
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("evaluate", run, argv)


if __name__ == "__main__":
    sys.exit(main())
