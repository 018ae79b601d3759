"""The benchmark's other models on the selection's validation years (``bench/selection.py
--axes baselines``): the goals read against them before any test year is seen."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Protocol

import bench.model_quality as quality

from boxoffice.core.params import Params
from boxoffice.pipeline.backtest import Runner


class Scorer(Protocol):
    """The selection's scorer: a params variant's recipe, or ``runner`` in its place."""

    def __call__(self, variant: Params, runner: Runner | None = None) -> dict[str, Any]: ...


def point_scores(summary: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """What every model is scored on: MAE and R² (log) of the films as sent, and MAE (log) of
    the same films sent with only the required fields."""
    return {
        "mae_log": summary["mae_log"]["mean"],
        "r2_log": summary["r2_log"]["mean"],
        "required_only_mae_log": round(bare["mae_log"], 4),
    }


# The benchmark's other models (bench/model_quality.py), scored on the same validation years
# as the candidates: how far the recipe's settings are from the goals before any test year.
BASELINES = ("budget_loglinear", "seed_recipe", "automl", "quantile_gbm", "mapie_cqr")


def baselines(params: Params, score: Scorer, automl_budget: float = 60.0) -> dict[str, Any]:
    """Each of ``BASELINES`` scored by ``score`` (the candidates' scorer), with the
    benchmark's own settings (its seed; FLAML ``automl_budget`` s per fit)."""
    options = argparse.Namespace(
        models=",".join(BASELINES), quick=False, automl_budget=automl_budget, seed=quality.SEED
    )
    scores = {}
    for name, runner in quality.runners(params, "pre_release", options).items():
        start = time.monotonic()
        scores[name] = score(params, runner)
        elapsed = time.monotonic() - start
        print(f"[selection] baselines: {name}: {scores[name]} ({elapsed:.0f} s)", file=sys.stderr)
    return {"scores": scores, "measured": time.strftime("%Y-%m-%d", time.gmtime())}


def baselines_markdown(result: dict[str, Any]) -> list[str]:
    block = result.get("baselines")
    if not block:
        return []
    lines = [
        "",
        f"The benchmark's other models on the same validation years (measured"
        f" {block['measured']}; `--axes baselines`):",
        "",
        "| model | MAE (log) | required-only MAE | R² (log) | coverage | interval score |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in block["scores"].items():
        extra = [f"{s[k]:.3f}" if k in s else "—" for k in ("coverage", "interval_score")]
        lines.append(
            f"| {name} | {s['mae_log']:.3f} | {s['required_only_mae_log']:.3f}"
            f" | {s['r2_log']:.3f} | {' | '.join(extra)} |"
        )
    best = min(block["scores"].items(), key=lambda kv: kv[1]["mae_log"])
    lines.append("")
    for label, (name, s) in _ratio_rows(result, block["scores"]).items():
        lines.append(
            f"- MAE (log) of {label} ({name}: {s['mae_log']:.3f}, required fields alone"
            f" {s['required_only_mae_log']:.3f}) over the best other model's ({best[0]}:"
            f" {best[1]['mae_log']:.3f}): {s['mae_log'] / best[1]['mae_log']:.3f}."
        )
    return lines


Scored = tuple[str, dict[str, Any]]


def _ratio_rows(result: dict[str, Any], others: dict[str, Any]) -> dict[str, Scored]:
    """The candidates set against the best other model: the shipped one, the lowest MAE of
    any, and the lowest of those that forecast films sent with only the required fields no
    worse than the other model best at that (a field left out must mean unknown)."""
    joint = result["axes"].get("joint", {})
    every = [
        (f"{axis}: {name}", s)
        for axis, b in result["axes"].items()
        for name, s in b["scores"].items()
    ]
    bare = min(s["required_only_mae_log"] for s in others.values())
    kept = [kv for kv in every if kv[1]["required_only_mae_log"] <= bare]
    rows: dict[str, Scored | None] = {
        "the shipped settings": (f"joint: {joint['shipped']}", joint["scores"][joint["shipped"]])
        if joint.get("shipped") in joint.get("scores", {})
        else None,
        "the lowest of any candidate": min(every, key=lambda kv: kv[1]["mae_log"], default=None),
        f"the lowest of the candidates whose required-only MAE is at most {bare:.3f}": min(
            kept, key=lambda kv: kv[1]["mae_log"], default=None
        ),
    }
    return {label: row for label, row in rows.items() if row is not None}
