"""Stage 4, train (per profile): search hyperparameters out of time, fit on all training
rows, calibrate intervals on the latest films."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import joblib
import pandas as pd

from boxoffice.core.layout import Layout
from boxoffice.core.params import Params
from boxoffice.pipeline.common import log, run_stage, write_json
from boxoffice.pipeline.recipe import base_estimator, fit_model


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
            "stopped_by": found.stopped_by,
            "history": found.history,
            "interval": model.signature_.interval.model_dump(),
        },
    )
    log(
        "train",
        f"best rolling-origin mae_log {found.best_score:.4f} with {found.best_params}"
        f" (search {found.elapsed_s:.0f} s)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("train", run, argv)


if __name__ == "__main__":
    sys.exit(main())
