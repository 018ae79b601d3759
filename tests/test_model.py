from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from boxoffice.model import BoxOfficeRegressor, conformal_offsets
from boxoffice.params import FeatureSpec

SPECS = (
    FeatureSpec(column="b", field="budget", kind="numeric", monotone="increasing"),
    FeatureSpec(column="g", field="genre", kind="categorical"),
)


def _data(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 10, n)
    genre = rng.choice(["a", "b", "c"], n)
    y = np.log(budget) + (genre == "a") * 1.0 + rng.normal(0, 0.2, n)
    return pd.DataFrame({"budget": budget, "genre": genre}), y


def test_conformal_offsets_bracket_the_requested_share() -> None:
    residuals = np.random.default_rng(0).normal(size=10_000)
    low, high = conformal_offsets(residuals, 0.8)
    inside = ((residuals >= low) & (residuals <= high)).mean()
    assert 0.79 <= inside <= 0.82
    assert low < 0 < high


def test_fit_returns_self_and_learns_state() -> None:
    X, y = _data()
    model = BoxOfficeRegressor(features=SPECS, max_iter=30, calibration_folds=3)
    assert model.fit(X, y) is model
    assert list(model.feature_names_in_) == ["budget", "genre"]
    assert model.signature_.field("genre").categories is not None
    assert model.signature_.interval.low < 0 < model.signature_.interval.high


def test_predict_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        BoxOfficeRegressor(features=SPECS).predict(_data()[0])


def test_predict_refuses_unknown_fields() -> None:
    X, y = _data()
    model = BoxOfficeRegressor(features=SPECS, max_iter=10, calibration_folds=0).fit(X, y)
    with pytest.raises(ValueError, match="unknown feature fields"):
        model.predict(X.assign(title="x"))


def test_fit_without_features_or_with_missing_field_fails() -> None:
    X, y = _data()
    with pytest.raises(ValueError, match="at least one feature"):
        BoxOfficeRegressor().fit(X, y)
    with pytest.raises(ValueError, match="lacks feature fields"):
        BoxOfficeRegressor(features=SPECS).fit(X[["budget"]], y)


def test_monotone_budget_never_lowers_prediction() -> None:
    X, y = _data()
    model = BoxOfficeRegressor(features=SPECS, max_iter=50, calibration_folds=0).fit(X, y)
    grid = pd.DataFrame({"budget": np.linspace(0.5, 12, 50), "genre": ["b"] * 50})
    assert (np.diff(model.predict(grid)) >= 0).all()


def test_intervals_cover_close_to_level_on_fresh_data() -> None:
    X, y = _data(2000, seed=1)
    model = BoxOfficeRegressor(features=SPECS, max_iter=50, calibration_folds=5).fit(X, y)
    Xn, yn = _data(2000, seed=2)
    _, low, high = model.predict_interval(Xn)
    coverage = ((yn >= low) & (yn <= high)).mean()
    assert 0.75 <= coverage <= 0.85
