"""The training recipe leaves what it is given as it was: the backtest hands one base
estimator to every fold, and each fold must search afresh. It fits each fold once."""

from __future__ import annotations

import contextlib
import pickle

import pandas as pd
import pytest

from boxoffice.core.fit_memo import remembered_fits
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, load_params
from boxoffice.pipeline import recipe
from boxoffice.pipeline.recipe import base_estimator, fit_model


def _three_candidates(trained: Layout) -> Params:
    params = load_params(trained.root / "params.yaml")
    search = params.train.search.model_copy(
        update={
            "max_candidates": 3,
            "space": {"max_iter": [30, 60], "learning_rate": [0.1, 0.2], "min_samples_leaf": [20]},
        }
    )
    return params.model_copy(
        update={"train": params.train.model_copy(update={"ensemble_size": 2, "search": search})}
    )


def test_each_fit_searches_afresh_and_leaves_the_base_as_it_was(trained: Layout) -> None:
    params = _three_candidates(trained)
    frame = pd.read_parquet(trained.train)
    base = base_estimator(params, "pre_release", trained.root)
    before = base.get_params()
    model, first = fit_model(frame, base, params, progress=False)
    assert base.get_params() == before and model is not base
    assert len({h["mae_log"] for h in first.history}) == 3  # three candidates, three scores
    # The next fold's search used to score the previous fold's ensemble under every name.
    _, second = fit_model(frame, base, params, progress=False)
    assert second.history == first.history


def test_the_calibration_reuses_the_searchs_folds_and_the_model_is_the_same(
    trained: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last year's calibration fit is the search's fold of that year, member by member."""
    params = _three_candidates(trained)
    frame = pd.read_parquet(trained.train)
    base = base_estimator(params, "pre_release", trained.root)
    with remembered_fits() as memo:
        remembered, _ = fit_model(frame, base, params, progress=False)
    assert memo.reused == params.train.ensemble_size
    monkeypatch.setattr(recipe, "remembered_fits", contextlib.nullcontext)
    fresh, _ = fit_model(frame, base, params, progress=False)
    assert pickle.dumps(remembered) == pickle.dumps(fresh)
