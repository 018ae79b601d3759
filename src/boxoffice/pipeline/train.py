"""Stage 4, train: search hyperparameters, fit on all training rows, calibrate intervals."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import joblib
import numpy as np
import pandas as pd

from boxoffice.model import BoxOfficeRegressor
from boxoffice.params import Params, SchemaSpec, TrainParams
from boxoffice.pipeline.common import StageError, log, run_stage, write_json
from boxoffice.pipeline.layout import Layout
from boxoffice.search import SearchResult, search


def base_estimator(schema: SchemaSpec, train: TrainParams) -> BoxOfficeRegressor:
    return BoxOfficeRegressor(
        features=tuple(schema.features),
        target=schema.target.field,
        interval_level=train.interval_level,
        category_smoothing=train.category_smoothing,
        category_min_count=train.category_min_count,
        calibration_folds=train.cv_folds,
        random_state=train.seed,
    )


def xy(frame: pd.DataFrame, schema: SchemaSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature columns and the log target of a featurized frame."""
    target = frame[schema.target.field].to_numpy(dtype=np.float64)
    if (target <= 0).any() or np.isnan(target).any():
        raise StageError("rule 'target_positive': the log target needs positive grosses")
    return frame[[f.field for f in schema.features]], np.log(target)


def fit_model(
    frame: pd.DataFrame, *, schema: SchemaSpec, train: TrainParams, progress: bool = True
) -> tuple[BoxOfficeRegressor, SearchResult]:
    """The pipeline's training recipe, also used by the benchmark on each outer fold."""
    X, y = xy(frame, schema)
    base = base_estimator(schema, train)
    found = search(
        base, X, y, params=train.search, folds=train.cv_folds, seed=train.seed, progress=progress
    )
    members = found.top(train.ensemble_size)
    if len(members) > 1:
        model = base.set_params(ensemble=tuple(members)).fit(X, y)
    else:
        model = base.set_params(**found.best_params).fit(X, y)
    return model, found


def run(params: Params, layout: Layout) -> None:
    frame = pd.read_parquet(layout.train)
    log("train", f"searching on {len(frame)} rows ({params.train.search.max_candidates} max)")
    model, found = fit_model(frame, schema=params.feature_schema, train=params.train)
    layout.model.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, layout.model)
    interval = model.signature_.interval
    write_json(
        layout.search,
        {
            "best_params": found.best_params,
            "ensemble": found.top(params.train.ensemble_size),
            "best_cv_mae_log": round(found.best_score, 5),
            "elapsed_s": found.elapsed_s,
            "stopped_by": found.stopped_by,
            "history": found.history,
            "interval": interval.model_dump(),
        },
    )
    log("train", f"best cv mae_log {found.best_score:.4f} with {found.best_params}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("train", run, argv)


if __name__ == "__main__":
    sys.exit(main())
