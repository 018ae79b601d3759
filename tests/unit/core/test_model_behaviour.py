"""Behaviour checks of the exported model, through the serving predictor."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boxoffice.core.layout import Layout
from boxoffice.core.params import load_params
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.pipeline.recipe import base_estimator, xy
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

FILM: dict[str, Any] = {
    "production_budget": 150_000_000.0,
    "release_date": "2009-12-18",
    "mpaa_rating": "PG-13",
    "running_time_min": 162.0,
    "distributor": "20th Century Fox",
    "source": "Original Screenplay",
    "major_genre": "Action",
    "creative_type": "Science Fiction",
    "director": "James Cameron",
    "rotten_tomatoes_rating": 83.0,
    "imdb_rating": 8.3,
    "imdb_votes": 261439.0,
}


@pytest.fixture(scope="module")
def predictor(trained: Layout) -> OnnxPredictor:
    return OnnxPredictor.load(trained.export_dir)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    keys = {k for row in rows for k in row}
    return {k: [row.get(k) for row in rows] for k in keys}


def test_bigger_budget_never_lowers_prediction(predictor: OnnxPredictor) -> None:
    budgets = np.geomspace(1e5, 4e8, 60)
    rows = [FILM | {"production_budget": float(b)} for b in budgets]
    values = predictor.predict(_columns(rows)).value
    assert (np.diff(values) >= -1e-6 * values[:-1]).all()


def test_fields_that_are_not_features_change_nothing(predictor: OnnxPredictor) -> None:
    base = predictor.predict(_columns([FILM])).value
    extra = predictor.predict(_columns([FILM | {"title": "Other", "us_gross": 1.0}])).value
    assert base[0] == extra[0]


def test_every_optional_field_missing_still_predicts(predictor: OnnxPredictor) -> None:
    required = {f.field for f in predictor.signature.inputs if f.required}
    out = predictor.predict(_columns([{k: v for k, v in FILM.items() if k in required}]))
    assert np.isfinite([out.value[0], out.low[0], out.high[0]]).all()
    assert out.low[0] < out.value[0] < out.high[0]


def test_unseen_categories_still_predict(predictor: OnnxPredictor) -> None:
    film = FILM | {"distributor": "A Studio Founded Tomorrow", "director": "Nobody Yet"}
    out = predictor.predict(_columns([film]))
    assert np.isfinite(out.value[0]) and out.value[0] > 0


def test_interval_contains_prediction_for_a_batch(predictor: OnnxPredictor) -> None:
    rows = [FILM | {"production_budget": float(b)} for b in (1e6, 1e7, 1e8)]
    out = predictor.predict(_columns(rows))
    assert (out.low < out.value).all() and (out.value < out.high).all()


@pytest.fixture(scope="module")
def shipped_trees(trained: Layout) -> Any:
    """The suite's data fitted with the shipped tree settings (search.json's ensemble), no
    search and no calibration: the suite's own small trees (60 of them, fast) lean on the
    track records far more than the shipped model, which this rule is about."""
    params = load_params(ROOT / "params.yaml")
    ensemble = json.loads((ROOT / "models" / "pre_release" / "search.json").read_text())
    base = base_estimator(params, "pre_release", ROOT)
    frame = pd.read_parquet(trained.train)
    X, y = xy(frame, params.feature_schema)
    return base.set_params(calibration_years=0, ensemble=tuple(ensemble["ensemble"])).fit(
        X[[f.field for f in base.features]], y
    )


def test_leaving_fields_out_never_turns_a_blockbuster_into_a_small_film(
    shipped_trees: Any, trained: Layout
) -> None:
    """The rule: for every training film with a budget of $150M or more, sending only what a
    studio knows for sure (budget, date, genre, rating) keeps the forecast within a factor of 3
    of the full pre-release forecast and above a quarter of the budget."""
    films = pd.read_parquet(trained.train)
    big = films[films["production_budget"] >= 150e6]
    assert len(big) >= 20
    fields = list(shipped_trees.feature_names_in_)
    full = np.exp(shipped_trees.predict(big[fields]))
    known = ["production_budget", "release_date", "major_genre", "mpaa_rating"]
    sparse = np.exp(
        shipped_trees.predict(big[fields].assign(**{f: None for f in fields if f not in known}))
    )
    budget = big["production_budget"].to_numpy()
    assert (sparse >= full / 3).all(), np.sort(full / sparse)[-5:]
    assert (sparse >= budget / 4).all(), np.sort(sparse / budget)[:5]


def test_history_of_a_director_comes_from_the_exported_table(predictor: OnnxPredictor) -> None:
    tables = {h.field: h.table for h in predictor.signature.history}
    assert set(tables) == {"director", "distributor"}
    films, _ = tables["director"]["James Cameron"]
    assert films >= 1
