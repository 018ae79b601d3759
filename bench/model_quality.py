"""Model quality against what people use, judged as the model is used: a rolling-origin
backtest by release year (each test year predicted from films released before it), per
profile; random K-fold as a secondary figure; an ablation of the as-of history features.

    python bench/model_quality.py                 # 5 test years, FLAML 60 s per fit
    python bench/model_quality.py --quick         # a smoke run (used by the test suite)

Writes ``<out>/model_quality.json`` and ``<out>/model_quality.md``. Every model is tuned
only on films before its test year (or inside the training folds); no tuning on test years.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from boxoffice.core.features import date_parts, to_days
from boxoffice.core.layout import Layout
from boxoffice.core.model import release_years
from boxoffice.core.params import FeatureSpec, Params, load_params
from boxoffice.core.regression_metrics import regression_metrics
from boxoffice.pipeline.backtest import Fitted, Runner, coverage_by_band, run_backtest, summarise
from boxoffice.pipeline.coverage import coverage_table
from boxoffice.pipeline.evaluate import coverage_cells, horizon_starts, recipe_runner
from boxoffice.pipeline.featurize import split_frame, to_fields
from boxoffice.pipeline.ingest import ingest
from boxoffice.pipeline.recipe import base_estimator
from boxoffice.pipeline.validate import run as validate

ROOT = Path(__file__).resolve().parents[1]
SEED = 2024  # the baselines' (FLAML's search, the trees' random_state)


def numeric_fields(features: list[FeatureSpec]) -> list[str]:
    return [f.field for f in features if f.kind == "numeric"]


def seed_recipe(features: list[FeatureSpec], quick: bool) -> Runner:
    """The reference course: mean-impute + GradientBoostingRegressor on raw dollars."""
    grid = {"model__n_estimators": [20, 40] if quick else list(range(20, 301, 20))}

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        cols = numeric_fields(features)
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


def budget_loglinear(features: list[FeatureSpec]) -> Runner:
    budget = next(f.field for f in features if f.required and f.kind == "numeric")

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        model = LinearRegression().fit(np.log(train[[budget]].to_numpy()), y_log)
        return model.predict(np.log(test[[budget]].to_numpy())), None, None

    return run


def automl_frame(frame: pd.DataFrame, features: list[FeatureSpec]) -> pd.DataFrame:
    """The same information for FLAML: numbers, date parts, categories as pandas categories."""
    out = pd.DataFrame(index=frame.index)
    for spec in features:
        if spec.kind == "numeric":
            out[spec.field] = frame[spec.field].astype(float)
        elif spec.kind == "date":
            parts = date_parts(to_days(list(frame[spec.field])), spec.parts)
            for name, values in zip(spec.parts, parts, strict=True):
                out[f"{spec.field}_{name}"] = values
        else:
            out[spec.field] = frame[spec.field].astype("category")
    return out


def automl(features: list[FeatureSpec], budget_s: float, seed: int) -> Runner:
    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        from flaml import AutoML

        whole = automl_frame(pd.concat([train, test]), features)
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


def tree_frames(
    train: pd.DataFrame, test: pd.DataFrame, features: list[FeatureSpec]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The FLAML frame of the training and test rows, each category capped for the trees: they
    take at most 255 categories a feature, so the 250 most frequent in training, the rest
    unknown."""
    whole = automl_frame(pd.concat([train, test]), features)
    for name in whole.columns:
        column = whole[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and column.nunique() > 250:
            top = column.iloc[: len(train)].value_counts().index[:250]
            whole[name] = column.where(column.isin(top)).cat.remove_unused_categories()
    return whole.iloc[: len(train)], whole.iloc[len(train) :]


def _quantile_trees(seed: int, quantile: float = 0.5) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="quantile",
        quantile=quantile,
        categorical_features="from_dtype",
        max_iter=300,
        learning_rate=0.05,
        random_state=seed,
    )


def quantile_gbm(features: list[FeatureSpec], level: float, seed: int) -> Runner:
    """Quantile regression (gradient-boosted trees, pinball loss) at the interval's two ends
    and the median, on the same information as FLAML: the usual way to get ranges without
    conformal calibration."""
    alpha = (1.0 - level) / 2

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        fit, rows = tree_frames(train, test, features)
        pred, low, high = (
            np.asarray(_quantile_trees(seed, q).fit(fit, y_log).predict(rows), dtype=float)
            for q in (0.5, alpha, 1.0 - alpha)
        )
        return pred, np.minimum(low, pred), np.maximum(high, pred)

    return run


def mapie_cqr(features: list[FeatureSpec], level: float, seed: int) -> Runner:
    """Conformalized quantile regression as MAPIE (scikit-learn-contrib) does it: the quantile
    baseline's three models fitted on the films before the training data's last release year,
    conformalized on that year (out of time, as our own calibration is), so the offsets are
    measured on films later than the ones the models learned from."""
    date = next(f.field for f in features if f.kind == "date")

    def run(train: pd.DataFrame, y_log: np.ndarray, test: pd.DataFrame) -> Fitted:
        try:  # here, as FLAML's: a run without this model needs no MAPIE
            from mapie.regression import ConformalizedQuantileRegressor
        except ImportError as exc:
            raise SystemExit("mapie_cqr needs MAPIE: pip install -e '.[bench]'") from exc
        fit, rows = tree_frames(train, test, features)
        years = release_years(train, date)
        early = years < np.nanmax(years)
        if not early.any():
            raise ValueError("mapie_cqr: the training films span one release year, none is left")
        model = ConformalizedQuantileRegressor(_quantile_trees(seed), confidence_level=level)
        model.fit(fit[early], y_log[early]).conformalize(fit[~early], y_log[~early])
        pred, bounds = model.predict_interval(rows)
        pred = np.asarray(pred, dtype=float)
        low, high = (np.asarray(bounds[:, k, 0], dtype=float) for k in (0, 1))
        return pred, np.minimum(low, pred), np.maximum(high, pred)

    return run


def boxoffice(params: Params, profile: str, history: list[str] | None = None) -> Runner:
    """The project's own training recipe (search included) for one profile."""
    base = base_estimator(params, profile, ROOT)
    if history is not None:
        base = base.set_params(history_fields=tuple(history))
    return recipe_runner(base, params)  # type: ignore[no-any-return]


def runners(params: Params, profile: str, args: argparse.Namespace) -> dict[str, Runner]:
    features = params.profile_features(profile)
    every = {
        "budget_loglinear": budget_loglinear(features),
        "seed_recipe": seed_recipe(features, args.quick),
        "automl": automl(features, args.automl_budget, args.seed),
        "quantile_gbm": quantile_gbm(features, params.train.interval_level, args.seed),
        "mapie_cqr": mapie_cqr(features, params.train.interval_level, args.seed),
        "boxoffice": boxoffice(params, profile),
    }
    return {name: every[name] for name in args.models.split(",") if name}


# The models that give ranges: scored on every horizon and per cell, side by side.
RANGED = ("boxoffice", "quantile_gbm", "mapie_cqr")


def rolling(
    params: Params, profile: str, frame: pd.DataFrame, y: np.ndarray, args: argparse.Namespace
) -> dict[str, Any]:
    years = release_years(frame, "release_date")
    features = params.profile_features(profile)
    optional = [f.field for f in features if not f.required]
    max_horizon = params.dollars.max_years_ahead
    out: dict[str, Any] = {"models": {}}
    for name, runner in runners(params, profile, args).items():
        start = time.monotonic()
        ranged = name in RANGED
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_backtest(
                frame,
                y,
                years,
                runner,
                args.years,
                label=f"{profile}/{name}",
                optional=optional if ranged else None,
                horizon_starts=horizon_starts(years, params.evaluate.horizon_fits, max_horizon)
                if ranged
                else None,
                max_horizon=max_horizon if ranged else 1,
            )
        out["test_years"] = result["years"]
        out["models"][name] = result["summary"] | {
            "seconds_per_fit": round((time.monotonic() - start) / len(result["years"]), 1)
        }
        if ranged:
            out[f"{name}_detail"] = detail(params, frame, y, years, result, optional)
            print(f"[bench] {profile}/{name}: {out[f'{name}_detail']}", file=sys.stderr)
    return out


def detail(
    params: Params,
    frame: pd.DataFrame,
    y: np.ndarray,
    years: np.ndarray,
    result: dict[str, Any],
    optional: list[str],
) -> dict[str, Any]:
    """Coverage per budget band, fields-sent bucket and horizon band, as the pipeline's
    evaluate stage reports it (``coverage_cells``: n and 90% Wilson interval per cell)."""
    index = result["index"]
    _, low, high = result["pooled"]
    base = base_estimator(params, "pre_release", ROOT)
    dollars = base._dollars(years)
    budget = frame["production_budget"].to_numpy(dtype=float)[index]
    real = budget * np.exp(dollars.log_factor(years[index])) if dollars else budget
    bare = regression_metrics(y[index], *result["required_only"])
    sent = frame.iloc[index][optional].notna().sum(axis=1).to_numpy()
    far_sent = frame.iloc[result["horizon"]["index"]][optional].notna().sum(axis=1).to_numpy()
    cells = coverage_cells(
        y=y, result=result, budget=real, sent=sent, params=params, far_sent=far_sent
    )
    return {
        "coverage_by_budget": coverage_by_band(y[index], low, high, real),
        "coverage_by_horizon": {k: v["coverage"] for k, v in cells["horizon"].items()},
        "required_only": {
            "mae_log": bare["mae_log"],
            "coverage": bare.get("coverage"),
            "interval_score": bare.get("interval_score"),
        },
        "coverage_cells": cells,
    }


def kfold(
    params: Params, profile: str, frame: pd.DataFrame, y: np.ndarray, args: argparse.Namespace
) -> dict[str, Any]:
    splits = list(KFold(args.kfold, shuffle=True, random_state=args.seed).split(frame))
    out: dict[str, Any] = {"folds": args.kfold, "models": {}}
    for name, runner in runners(params, profile, args).items():
        scores = []
        for tr, te in splits:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred, low, high = runner(frame.iloc[tr], y[tr], frame.iloc[te])
            scores.append(regression_metrics(y[te], pred, low, high))
        out["models"][name] = summarise(scores)
        print(f"[bench] kfold {profile}/{name} {out['models'][name]['mae_log']}", file=sys.stderr)
    return out


def ablation(params: Params, frame: pd.DataFrame, y: np.ndarray, args: argparse.Namespace) -> Any:
    """Pre-release rolling-origin MAE (log) with each history group on or off."""
    years = release_years(frame, "release_date")
    groups: dict[str, list[str]] = {"no_history": [], "director_history": ["director"]}
    groups["distributor_history"] = ["distributor"]  # both: the headline figure, see main()
    out = {}
    for name, fields in groups.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_backtest(
                frame, y, years, boxoffice(params, "pre_release", fields), args.years, label=name
            )
        out[name] = result["summary"]["mae_log"]["mean"]
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Rolling-origin backtest: each of {result['test_years']} predicted from the films"
        f" released before it ({result['rows']} validated films; mean ± sd over test years;"
        f" FLAML {result['automl_budget_s']} s per fit).\n"
    ]
    for part, title in (("profiles", "rolling origin"), ("random_kfold", "random K-fold")):
        for profile, block in result[part].items():
            lines.append(f"\n### {profile} — {title}\n")
            lines.append(
                "| model | MAE (log) | R² (log) | R² ($) | MdAPE | 80% coverage |"
                " interval score (log) |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|---:|")
            for name, m in block["models"].items():

                def cell(key: str, m: dict[str, Any] = m) -> str:
                    return f"{m[key]['mean']:.3f} ± {m[key]['sd']:.3f}" if key in m else "—"

                lines.append(
                    f"| {name} | {cell('mae_log')} | {cell('r2_log')} | {cell('r2')} |"
                    f" {cell('mdape')} | {cell('coverage')} | {cell('interval_score')} |"
                )
            for name in RANGED:
                if f"{name}_detail" in block:
                    d = block[f"{name}_detail"]
                    lines.append(
                        f"\n{name}: sent with only the required fields {d['required_only']}.\n"
                    )
                    lines.append(coverage_table(d["coverage_cells"]))
    for note in result.get("remeasured", []):
        lines.append(
            f"\nRows of {note['models']} ({note['profiles']}; {', '.join(note['parts'])})"
            f" re-measured {note['at']}:"
            f" {note['reason']}."
        )
    lines.append("\n### Ablation (pre_release, rolling-origin MAE log)\n")
    if not result.get("ablation"):
        lines.append("Not measured in this run (`--no-ablation`).")
    else:
        lines.append("| history features | MAE (log) |\n|---|---:|")
        lines += [f"| {k} | {v:.4f} |" for k, v in result["ablation"].items()]
    return "\n".join(lines) + "\n"


def merged(old: dict[str, Any], new: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``old`` with the re-measured models' rows (and boxoffice's detail) taken from ``new``.

    For a change that moves only some models' figures (say, the intervals of boxoffice):
    the others are not re-run, and the record says which rows are newer, when and why.
    """
    if old["test_years"] != new["test_years"] or old["rows"] != new["rows"]:
        raise SystemExit("--merge: the data or test years differ; run the whole benchmark")
    for part in ("profiles", "random_kfold"):
        for profile, block in new[part].items():
            if profile not in old[part]:  # a profile the old run did not measure: all new
                old[part][profile] = block
                continue
            target = old[part][profile]
            target["models"] |= block["models"]
            # A model new to the results is listed before boxoffice, which closes the table.
            ordered = sorted(target["models"].items(), key=lambda item: item[0] == "boxoffice")
            target["models"] = dict(ordered)
            for name in RANGED:
                if f"{name}_detail" in block:
                    target[f"{name}_detail"] = block[f"{name}_detail"]
    old.setdefault("remeasured", []).append(
        {
            "models": args.models.split(","),
            "profiles": args.profiles.split(","),
            "parts": ["rolling_origin"]
            + (["random_kfold"] if args.kfold > 0 else [])
            + (["ablation"] if args.ablation else []),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reason": args.merge,
        }
    )
    return old


def load_frame(params: Params) -> pd.DataFrame:
    """The validated data in the order the evaluate stage backtests it (training rows, then
    the frozen holdout, each by row id): the recipe's random masks follow the row order, so
    the same order gives the model card's figures exactly."""
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout(Path(tmp))
        ingest(params.data, layout)
        validate(params, layout)
        frame = to_fields(pd.read_parquet(layout.clean), params.feature_schema)
    train, holdout = split_frame(frame, params.split)
    return pd.concat([train, holdout], ignore_index=True)


def load_project(params_path: str) -> tuple[Params, pd.DataFrame, np.ndarray]:
    """The params (relative source paths read from the params file's project), the validated
    films in the evaluate stage's order, and their log target."""
    params = load_params(params_path)
    root = Path(params_path).resolve().parent.as_posix()
    params = params.model_copy(update={"data": params.data.with_uris(root)})
    frame = load_frame(params)
    y = np.log(frame[params.feature_schema.target.field].to_numpy(dtype=float))
    return params, frame, y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    parser.add_argument("--years", type=int, default=5, help="rolling-origin test years")
    parser.add_argument("--kfold", type=int, default=5, help="random K-fold folds")
    parser.add_argument("--automl-budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--models", default="budget_loglinear,seed_recipe,automl,quantile_gbm,mapie_cqr,boxoffice"
    )
    parser.add_argument("--profiles", default="pre_release,retrospective")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--quick", action="store_true", help="tiny grids, for smoke tests")
    parser.add_argument(
        "--merge",
        metavar="REASON",
        help="re-measure only --models/--profiles (rolling origin and K-fold) and replace their"
        " rows in the existing results, keeping the others; REASON is recorded",
    )
    parser.add_argument(
        "--no-ablation",
        action="store_true",
        help="skip the history ablation (the table then says it was not measured in this run)",
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="with --merge: re-run the history ablation too (after a change to the recipe)",
    )
    args = parser.parse_args(argv)
    params, frame, y = load_project(args.params)
    profiles = [p for p in args.profiles.split(",") if p]
    result: dict[str, Any] = {
        "backtest": "rolling_origin",
        "rows": len(frame),
        "seed": args.seed,
        "automl_budget_s": args.automl_budget,
        "profiles": {p: rolling(params, p, frame, y, args) for p in profiles},
    }
    result["test_years"] = result["profiles"][profiles[0]]["test_years"]
    for block in result["profiles"].values():
        del block["test_years"]
    # --kfold 0 skips the secondary K-fold (with --merge, its earlier rows stay as they were).
    result["random_kfold"] = {
        p: kfold(params, p, frame, y, args) for p in profiles if args.kfold > 0
    }
    out = Path(args.out)
    if args.merge:
        result = merged(json.loads((out / "model_quality.json").read_text()), result, args)
    if args.no_ablation and not args.merge:
        result["ablation"] = {}
    elif not args.merge or args.ablation:
        result["ablation"] = ablation(params, frame, y, args)
        shipped = result["profiles"]["pre_release"]["models"].get("boxoffice")
        if shipped:
            result["ablation"]["both (shipped)"] = shipped["mae_log"]["mean"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_quality.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "model_quality.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
