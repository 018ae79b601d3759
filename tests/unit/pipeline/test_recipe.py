"""The training recipe leaves what it is given as it was: the backtest hands one base
estimator to every fold, and each fold must search afresh."""

from __future__ import annotations

import pandas as pd

from boxoffice.core.layout import Layout
from boxoffice.core.params import load_params
from boxoffice.pipeline.recipe import base_estimator, fit_model


def test_each_fit_searches_afresh_and_leaves_the_base_as_it_was(trained: Layout) -> None:
    params = load_params(trained.root / "params.yaml")
    search = params.train.search.model_copy(
        update={
            "max_candidates": 3,
            "space": {"max_iter": [30, 60], "learning_rate": [0.1, 0.2], "min_samples_leaf": [20]},
        }
    )
    params = params.model_copy(
        update={"train": params.train.model_copy(update={"ensemble_size": 2, "search": search})}
    )
    frame = pd.read_parquet(trained.train)
    base = base_estimator(params, "pre_release", trained.root)
    before = base.get_params()
    model, first = fit_model(frame, base, params, progress=False)
    assert base.get_params() == before and model is not base
    assert len({h["mae_log"] for h in first.history}) == 3  # three candidates, three scores
    # The next fold's search used to score the previous fold's ensemble under every name.
    _, second = fit_model(frame, base, params, progress=False)
    assert second.history == first.history
