"""Model quality against what people use: repeated K-fold, the same folds for every model.

    python bench/model_quality.py                 # 5 folds x 2 repeats, FLAML 60 s per fold
    python bench/model_quality.py --quick         # a smoke run (used by the test suite)

Writes ``<out>/model_quality.json`` and ``<out>/model_quality.md``. Every model is tuned
only inside the training part of each fold; the test fold is never seen before scoring.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, RepeatedKFold
from sklearn.pipeline import Pipeline

from boxoffice.features import date_parts, to_days
from boxoffice.metrics import regression_metrics
from boxoffice.params import Params, SchemaSpec, load_params
from boxoffice.pipeline.featurize import to_fields
from boxoffice.pipeline.ingest import ingest
from boxoffice.pipeline.layout import Layout
from boxoffice.pipeline.train import fit_model
from boxoffice.pipeline.validate import run as validate

ROOT = Path(__file__).resolve().parents[1]
# (prediction, low, high) on the log scale; low/high are None without intervals.
Fitted = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
Runner = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], Fitted]


def numeric_fields(schema: SchemaSpec) -> list[str]:
    return [f.field for f in schema.features if f.kind == "numeric"]


def seed_recipe(schema: SchemaSpec, quick: bool) -> Runner:
    """The reference course: mean-impute + GradientBoostingRegressor on raw dollars."""
    grid = {"model__n_estimators": [20, 40] if quick else list(range(20, 301, 20))}

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        cols = numeric_fields(schema)
        pipe = Pipeline(
            [
                ("impute", SimpleImputer(strategy="mean")),
                ("model", GradientBoostingRegressor(random_state=0)),
            ]
        )
        search = GridSearchCV(pipe, grid, scoring="r2", cv=5, n_jobs=2)
        search.fit(train[cols], np.exp(y_log))
        # Dollar predictions can be <= 0; floor at $1 so the log metrics are defined.
        return np.log(np.maximum(search.predict(test[cols]), 1.0)), None, None

    return run


def budget_loglinear(schema: SchemaSpec) -> Runner:
    budget = next(f.field for f in schema.features if f.required and f.kind == "numeric")

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        model = LinearRegression().fit(np.log(train[[budget]].to_numpy()), y_log)
        return model.predict(np.log(test[[budget]].to_numpy())), None, None

    return run


def automl_frame(frame: pd.DataFrame, schema: SchemaSpec) -> pd.DataFrame:
    """The same information for FLAML: numbers, date parts, categories as pandas categories."""
    out = pd.DataFrame(index=frame.index)
    for spec in schema.features:
        if spec.kind == "numeric":
            out[spec.field] = frame[spec.field].astype(float)
        elif spec.kind == "date":
            parts = date_parts(to_days(list(frame[spec.field])), spec.parts)
            for name, values in zip(spec.parts, parts, strict=True):
                out[f"{spec.field}_{name}"] = values
        else:
            out[spec.field] = frame[spec.field].astype("category")
    return out


def automl(schema: SchemaSpec, budget_s: float, seed: int) -> Runner:
    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        from flaml import AutoML

        whole = automl_frame(pd.concat([train, test]), schema)
        model = AutoML()
        model.fit(
            whole.iloc[: len(train)],
            y_log,
            task="regression",
            metric="mae",
            time_budget=budget_s,
            seed=seed,
            verbose=0,
        )
        return np.asarray(model.predict(whole.iloc[len(train) :]), dtype=float), None, None

    return run


def boxoffice(params: Params) -> Runner:
    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        frame = train.assign(**{params.feature_schema.target.field: np.exp(y_log)})
        model, _ = fit_model(
            frame, schema=params.feature_schema, train=params.train, progress=False
        )
        cols = [f.field for f in params.feature_schema.features]
        pred, low, high = model.predict_interval(test[cols])
        return pred, low, high

    return run


def summarise(scores: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = [k for k in ("r2", "r2_log", "mae_log", "mdape", "coverage") if k in scores[0]]
    return {
        k: {
            "mean": round(float(np.mean([s[k] for s in scores])), 4),
            "sd": round(float(np.std([s[k] for s in scores], ddof=1)), 4)
            if len(scores) > 1
            else 0.0,
        }
        for k in keys
    }


def markdown(result: dict[str, Any]) -> str:
    head = (
        f"Repeated K-fold: {result['folds']} folds x {result['repeats']} repeats on "
        f"{result['rows']} validated films (mean ± sd over folds).\n\n"
        "| model | R² ($) | R² (log) | MAE (log) | MdAPE | 80% coverage | s/fold |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for name, m in result["models"].items():

        def cell(key: str, m: dict[str, Any] = m) -> str:
            return f"{m[key]['mean']:.3f} ± {m[key]['sd']:.3f}" if key in m else "—"

        rows.append(
            f"| {name} | {cell('r2')} | {cell('r2_log')} | {cell('mae_log')} | "
            f"{cell('mdape')} | {cell('coverage')} | {m['seconds_per_fold']:.1f} |"
        )
    return head + "\n".join(rows) + "\n"


def load_frame(params: Params) -> pd.DataFrame:
    """The validated data, as the pipeline's validate stage leaves it."""
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout(Path(tmp))
        ingest(params.data, layout)
        validate(params, layout)
        return to_fields(pd.read_parquet(layout.clean), params.feature_schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--automl-budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--models", default="seed_recipe,budget_loglinear,automl,boxoffice")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--quick", action="store_true", help="tiny grids, for smoke tests")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if not Path(params.data.source).is_absolute() and "://" not in params.data.source:
        source = str(Path(args.params).resolve().parent / params.data.source)
        params = params.model_copy(
            update={"data": params.data.model_copy(update={"source": source})}
        )
    schema = params.feature_schema
    frame = load_frame(params)
    y_log = np.log(frame[schema.target.field].to_numpy(dtype=float))
    runners: dict[str, Runner] = {
        "seed_recipe": seed_recipe(schema, args.quick),
        "budget_loglinear": budget_loglinear(schema),
        "automl": automl(schema, args.automl_budget, args.seed),
        "boxoffice": boxoffice(params),
    }
    chosen = [m for m in args.models.split(",") if m]
    folds = list(
        RepeatedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=args.seed).split(
            frame
        )
    )
    result: dict[str, Any] = {
        "folds": args.folds,
        "repeats": args.repeats,
        "rows": len(frame),
        "seed": args.seed,
        "automl_budget_s": args.automl_budget,
        "models": {},
    }
    for name in chosen:
        scores, start = [], time.monotonic()
        for i, (tr, te) in enumerate(folds, start=1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred, low, high = runners[name](frame.iloc[tr], y_log[tr], frame.iloc[te])
            scores.append(regression_metrics(y_log[te], pred, low, high))
            print(
                f"[bench] {name} fold {i}/{len(folds)} mae_log={scores[-1]['mae_log']:.4f}",
                file=sys.stderr,
                flush=True,
            )
        result["models"][name] = summarise(scores) | {
            "seconds_per_fold": round((time.monotonic() - start) / len(folds), 2)
        }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_quality.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "model_quality.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
