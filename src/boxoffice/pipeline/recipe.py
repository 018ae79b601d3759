"""The training recipe: the profile's estimator from params, and how it is fitted.

Shared by the train and evaluate stages, the backtest and the benchmark; no stage owns it, so
stages never import each other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from boxoffice.core.dollars import read_cpi_table
from boxoffice.core.fit_memo import remembered_fits
from boxoffice.core.model import BoxOfficeRegressor
from boxoffice.core.params import Params, SchemaSpec
from boxoffice.core.search import SearchResult, search
from boxoffice.pipeline.common import StageError


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
        horizon_bands=tuple(train.horizon_bands),
        horizon_fits=train.horizon_fits,
        width_trees=train.width_trees,
        mask_rate=train.mask_rate,
        mask_copies=train.mask_copies,
        reduced_years=train.reduced_years,
        reduced_members=train.reduced_members,
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
    # One scope for the run: the calibration's fits of the last years are the search's folds.
    with remembered_fits():
        return _fit_recipe(X, y, base, params, progress)


def _fit_recipe(
    X: pd.DataFrame, y: np.ndarray, base: BoxOfficeRegressor, params: Params, progress: bool
) -> tuple[BoxOfficeRegressor, SearchResult]:
    train = params.train
    found = search(
        base, X, y, params=train.search, folds=train.cv_folds, seed=train.seed, progress=progress
    )
    members = found.top(train.ensemble_size)
    # A copy: set_params changes the estimator it is called on, and the backtest hands the
    # same base to every fold. The next fold's search then scored the previous fold's
    # ensemble under every candidate's name (one score for all: no selection at all).
    model = clone(base)
    if len(members) > 1:
        model.set_params(ensemble=tuple(members))
    else:
        model.set_params(**found.best_params)
    return model.fit(X, y), found
