"""Stage 4, train (per profile): search hyperparameters out of time, fit on all training
rows, calibrate intervals on the latest films."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from boxoffice.dollars import read_cpi_table
from boxoffice.model import BoxOfficeRegressor
from boxoffice.params import Params, SchemaSpec
from boxoffice.pipeline.common import StageError, log, run_stage, write_json
from boxoffice.pipeline.layout import Layout
from boxoffice.search import SearchResult, search


def base_estimator(params: Params, profile: str, root: Path) -> BoxOfficeRegressor:
    """The profile's untrained estimator, every setting from ``params.yaml``."""
    train, dollars = params.train, params.dollars
    features = params.profile_features(profile)
    fields = {f.field for f in features}
    table: dict[int, float] = {}
    if any(f.dollars for f in features):  # a schema without dollar amounts needs no CPI
        cpi_path = Path(dollars.cpi_table)
        table = read_cpi_table(cpi_path if cpi_path.is_absolute() else root / cpi_path)
    return BoxOfficeRegressor(
        features=tuple(features),
        target=params.feature_schema.target.field,
        interval_level=train.interval_level,
        category_smoothing=train.category_smoothing,
        category_min_count=train.category_min_count,
        calibration_years=train.calibration_years,
        interval_buckets=tuple(train.interval_buckets),
        interval_bands=tuple(train.interval_bands),
        mask_rate=train.mask_rate,
        mask_copies=train.mask_copies,
        history_fields=tuple(f for f in params.history.fields if f in fields),
        cpi=tuple(sorted(table.items())),
        base_year=dollars.base_year,
        extrapolate_rate=dollars.extrapolate_rate,
        max_years_ahead=dollars.max_years_ahead,
        profile=profile,
        random_state=train.seed,
    )


def xy(frame: pd.DataFrame, schema: SchemaSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature columns and the log target (nominal dollars) of a featurized frame."""
    target = frame[schema.target.field].to_numpy(dtype=np.float64)
    if (target <= 0).any() or np.isnan(target).any():
        raise StageError("rule 'target_positive': the log target needs positive grosses")
    return frame[[f.field for f in schema.features]], np.log(target)


def fit_model(
    frame: pd.DataFrame, base: BoxOfficeRegressor, params: Params, progress: bool = True
) -> tuple[BoxOfficeRegressor, SearchResult]:
    """The training recipe, also used by the backtest and the benchmark on each fold."""
    X, y = xy(frame, params.feature_schema)
    X = X[[f.field for f in base.features]]
    train = params.train
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
    base = base_estimator(params, layout.profile, layout.root)
    log(
        "train",
        f"{layout.profile}: {len(base.features)} features, searching on {len(frame)} rows"
        f" ({params.train.search.max_candidates} candidates)",
    )
    model, found = fit_model(frame, base, params)
    layout.model.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, layout.model)
    write_json(
        layout.search,
        {
            "profile": layout.profile,
            "best_params": found.best_params,
            "ensemble": found.top(params.train.ensemble_size),
            "best_cv_mae_log": round(found.best_score, 5),
            "validation_years": found.folds,
            "elapsed_s": found.elapsed_s,
            "stopped_by": found.stopped_by,
            "history": found.history,
            "interval": model.signature_.interval.model_dump(),
        },
    )
    log("train", f"best rolling-origin mae_log {found.best_score:.4f} with {found.best_params}")


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("train", run, argv)


if __name__ == "__main__":
    sys.exit(main())
