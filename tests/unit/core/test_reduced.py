"""Reduced trees: a film that sends exactly the optional fields most recent films carry is
forecast by trees refitted without the other optional fields, so what it leaves out carries
no signal at all; every other film by the masked trees (issue: a field the caller leaves out
means "unknown", and the forecast is judged on the films it will be used for)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boxoffice.core.model import BoxOfficeRegressor, frame_columns
from boxoffice.core.params import FeatureSpec
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.signature import REDUCED_INPUT
from boxoffice.pipeline.export import parity, to_onnx

SPECS = (
    FeatureSpec(column="b", field="budget", kind="numeric", required=True, monotone="increasing"),
    FeatureSpec(column="d", field="date", kind="date", required=True, parts=["year"]),
    FeatureSpec(column="g", field="genre", kind="categorical"),
    FeatureSpec(column="r", field="runtime", kind="numeric"),
    FeatureSpec(column="w", field="director", kind="categorical"),
)
GENRES = {"action": 1.0, "drama": -0.5, "horror": 0.3}


def _films(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Films of 1990-2010; from 2004 on (a second source) without runtime or director."""
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 10, n)
    genre = rng.choice(list(GENRES), n)
    runtime = rng.uniform(80, 180, n)
    director = rng.choice(["ann", "bo", "cy"], n)
    days = np.datetime64("1990-01-01") + rng.integers(0, 21 * 365, n)
    late = days >= np.datetime64("2004-01-01")
    y = np.log(budget) + np.array([GENRES[g] for g in genre]) + (runtime - 130) / 50
    frame = pd.DataFrame(
        {
            "budget": budget,
            "date": days.astype(str),
            "genre": genre,
            "runtime": np.where(late, np.nan, runtime),
            "director": np.where(late, None, director).astype(object),
        }
    )
    return frame, y + 0.3 * rng.normal(size=n)


@pytest.fixture(scope="module")
def model() -> BoxOfficeRegressor:
    X, y = _films(1500, seed=1)
    return BoxOfficeRegressor(
        features=SPECS, max_iter=40, calibration_years=2, mask_rate=0.5, mask_copies=2,
        width_trees=20, reduced_years=3,
    ).fit(X, y)  # fmt: skip


def test_the_reduced_set_is_what_most_films_of_the_latest_years_send(
    model: BoxOfficeRegressor,
) -> None:
    assert model.signature_.reduced == ["genre"]
    assert BoxOfficeRegressor(features=SPECS, max_iter=5, calibration_years=0).fit(
        *_films(300, seed=3)
    ).signature_.reduced is None  # fmt: skip


def _later(n: int = 200) -> pd.DataFrame:
    X, _ = _films(n, seed=2)
    return X


def test_a_film_sending_exactly_the_set_gets_the_reduced_trees_any_other_the_masked(
    model: BoxOfficeRegressor,
) -> None:
    X = _later()
    exact = X.assign(runtime=np.nan, director=None)
    fewer = exact.assign(genre=None)  # a field of the set left out: unknown, not "obscure"
    more = X.assign(runtime=120.0, director=None)
    unknown = exact.assign(genre="western")  # not a value the model knows: encodes as missing
    for frame, reduced in ((exact, True), (fewer, False), (more, False), (unknown, False)):
        matrix = model.encode(frame)
        trees = model.reduced_ if reduced else model.model_
        expected = trees.predict(matrix) - model.encoder_.log_deflator(
            frame_columns(frame), len(frame)
        )
        np.testing.assert_allclose(model.predict(frame), expected)
        assert model.encoder_.reduced_rows(matrix).all() == reduced


def test_the_reduced_trees_never_read_the_fields_outside_their_set(
    model: BoxOfficeRegressor,
) -> None:
    matrix = model.encode(_later().assign(runtime=np.nan, director=None))
    filled = model.encode(_later().assign(runtime=175.0, director="ann"))
    np.testing.assert_array_equal(model.reduced_.predict(matrix), model.reduced_.predict(filled))
    assert not np.array_equal(model.model_.predict(matrix), model.model_.predict(filled))


def test_onnx_picks_the_same_trees_for_a_mixed_batch_and_for_one_film(
    model: BoxOfficeRegressor,
) -> None:
    predictor = OnnxPredictor(to_onnx(model), model.signature_)
    X = _later()
    mixed = pd.concat([X.assign(runtime=np.nan, director=None).iloc[:50], X.iloc[50:]])
    assert 0 < model.encoder_.reduced_rows(model.encode(mixed)).sum() < len(mixed)
    assert parity(model, predictor, mixed) < 1e-4
    for i in (0, 60):  # one film of each kind: one call, one branch
        assert parity(model, predictor, mixed.iloc[i : i + 1]) < 1e-4
    assert REDUCED_INPUT in {i.name for i in predictor.session.get_inputs()}


def test_a_signature_and_a_graph_that_disagree_on_reduced_trees_are_refused(
    model: BoxOfficeRegressor,
) -> None:
    without = model.signature_.model_copy(update={"reduced": None})
    with pytest.raises(ValueError, match="reduced trees"):
        OnnxPredictor(to_onnx(model), without)


def test_the_reduced_trees_can_take_fewer_members_the_searchs_best_first() -> None:
    X, y = _films(600, seed=4)
    members = ({"max_leaf_nodes": 7}, {"max_leaf_nodes": 15})
    model = BoxOfficeRegressor(
        features=SPECS, max_iter=10, calibration_years=0, mask_rate=0.5, mask_copies=1,
        reduced_years=3, reduced_members=1, ensemble=members,
    ).fit(X, y)  # fmt: skip
    assert len(model.model_.estimators_) == 2
    (best,) = model.reduced_.estimators_
    assert best.max_leaf_nodes == 7


def test_a_signature_pickled_before_reduced_trees_still_encodes_and_routes_nothing(
    model: BoxOfficeRegressor,
) -> None:
    from boxoffice.core.features import Encoder

    state = model.signature_.__getstate__()
    del state["__dict__"]["reduced"]  # what a model.joblib of an earlier release holds
    state["__pydantic_fields_set__"] = [
        f for f in state["__pydantic_fields_set__"] if f != "reduced"
    ]
    old = model.signature_.model_copy()
    old.__setstate__(state)
    encoder = Encoder(old)
    matrix = encoder({"budget": [5.0], "date": ["2009-05-01"], "genre": ["action"]}, 1)
    assert encoder.reduced is None and not encoder.reduced_rows(matrix).any()
