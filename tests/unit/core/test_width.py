"""Adaptive intervals: two quantile models predict each film's width, and the conformal
offsets are calibrated in units of it, so a hard film gets a wider range than an easy one
in the same cell (issue: an interval is a promise per film, not only on average)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boxoffice.core.features import Columns
from boxoffice.core.intervals import MIN_WIDTH, widths
from boxoffice.core.model import BoxOfficeRegressor, frame_columns
from boxoffice.core.params import FeatureSpec, SearchParams
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.search import search
from boxoffice.pipeline.export import to_onnx

SPECS = (
    FeatureSpec(column="b", field="budget", kind="numeric", required=True, monotone="increasing"),
    FeatureSpec(column="d", field="date", kind="date", required=True, parts=["year"]),
    FeatureSpec(column="g", field="genre", kind="categorical"),
)
# Genre "calm" films land near their forecast, "wild" ones far from it.
NOISE = {"calm": 0.15, "wild": 1.2}


def _films(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 10, n)
    genre = rng.choice(list(NOISE), n)
    days = np.datetime64("1996-01-01") + rng.integers(0, 15 * 365, n)
    noise = np.array([NOISE[g] for g in genre]) * rng.normal(size=n)
    frame = pd.DataFrame({"budget": budget, "date": days.astype(str), "genre": genre})
    return frame, np.log(budget) + noise


def _fitted(width_trees: int) -> BoxOfficeRegressor:
    X, y = _films(3000, seed=1)
    model = BoxOfficeRegressor(
        features=SPECS, max_iter=40, calibration_years=3, width_trees=width_trees
    )
    return model.fit(X, y)


@pytest.fixture(scope="module")
def scaled() -> BoxOfficeRegressor:
    return _fitted(width_trees=100)


def _coverage_by_genre(model: BoxOfficeRegressor) -> dict[str, tuple[float, float]]:
    """Per genre: (share of later films inside their interval, median interval width)."""
    X, y = _films(4000, seed=2)
    _, low, high = model.predict_interval(X)
    out = {}
    for genre in NOISE:
        rows = (X["genre"] == genre).to_numpy()
        inside = (y[rows] >= low[rows]) & (y[rows] <= high[rows])
        out[genre] = (float(inside.mean()), float(np.median(high[rows] - low[rows])))
    return out


def test_a_width_model_holds_the_promise_per_film_where_one_width_per_cell_cannot(
    scaled: BoxOfficeRegressor,
) -> None:
    fixed = _coverage_by_genre(_fitted(width_trees=0))
    adaptive = _coverage_by_genre(scaled)
    # One width for the whole cell: far too wide for calm films, too narrow for wild ones.
    assert fixed["calm"][0] > 0.95 and fixed["wild"][0] < 0.75
    assert fixed["calm"][1] == pytest.approx(fixed["wild"][1])
    # Scaled by the predicted width: each genre near the 80% promised, calm ranges narrower.
    for coverage, _ in adaptive.values():
        assert abs(coverage - 0.8) <= 0.1
    assert adaptive["calm"][1] < adaptive["wild"][1] / 3


def test_the_signature_says_its_offsets_are_in_units_of_the_width(
    scaled: BoxOfficeRegressor,
) -> None:
    assert scaled.signature_.interval.scaled
    assert not _fitted(width_trees=0).signature_.interval.scaled


def test_onnx_gives_the_forecast_and_the_range_the_fitted_model_gives(
    scaled: BoxOfficeRegressor,
) -> None:
    X, _ = _films(300, seed=3)
    X.loc[::7, "genre"] = None  # unknown fields too
    predictor = OnnxPredictor(to_onnx(scaled), scaled.signature_)
    out = predictor.predict(frame_columns(X), n_rows=len(X))
    pred, low, high = scaled.predict_interval(X)
    np.testing.assert_allclose(np.log(out.value), pred, atol=1e-4)
    np.testing.assert_allclose(np.log(out.low), low, atol=1e-4)
    np.testing.assert_allclose(np.log(out.high), high, atol=1e-4)
    one: Columns = {k: v[:1] for k, v in frame_columns(X).items()}  # the one-film path
    assert predictor.predict(one, n_rows=1).low[0] == pytest.approx(out.low[0], rel=1e-6)


def test_a_scaled_signature_is_refused_on_a_graph_without_a_width(
    scaled: BoxOfficeRegressor,
) -> None:
    X, y = _films(600, seed=4)
    plain = BoxOfficeRegressor(features=SPECS, max_iter=10, calibration_years=0).fit(X, y)
    with pytest.raises(ValueError, match="width the graph does not give"):
        OnnxPredictor(to_onnx(plain), scaled.signature_)


def test_crossed_quantile_models_still_give_a_positive_width() -> None:
    assert widths(np.array([-0.4, 0.0, 0.1, 2.5])).tolist() == [MIN_WIDTH] * 3 + [2.5]


def test_the_search_scores_forecasts_and_fits_no_width_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted: list[int] = []
    original = BoxOfficeRegressor._fit_width

    def counted(self: BoxOfficeRegressor, matrix: object, y: np.ndarray) -> tuple[object, ...]:
        models = original(self, matrix, y)
        fitted.append(len(models))
        return models

    monkeypatch.setattr(BoxOfficeRegressor, "_fit_width", counted)
    X, y = _films(800, seed=5)
    base = BoxOfficeRegressor(features=SPECS, max_iter=10, width_trees=20)
    space = {"max_iter": [10], "learning_rate": [0.1, 0.2]}
    search(base, X, y, params=SearchParams(max_candidates=2, space=space), folds=2, seed=0)
    assert fitted and set(fitted) == {0}  # every fold fitted, none with width models
