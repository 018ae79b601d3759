"""The CML-style ``report.md`` of one profile (what CI posts on a pull request)."""

from __future__ import annotations

import json
from typing import Any

from boxoffice.pipeline.coverage import coverage_table

METRIC_NAMES = {
    "mae_log": "MAE (log)",
    "r2_log": "R² (log)",
    "r2": "R² ($)",
    "mdape": "MdAPE",
    "coverage": "80% coverage",
    "interval_width_log": "interval width (log)",
    "interval_score": "interval score",
}


def _value(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}"


def report_markdown(
    backtest: dict[str, Any],
    holdout: dict[str, float],
    search: dict[str, Any],
    quality_md: str,
    images: list[str],
) -> str:
    years = backtest["test_years"]
    head = "| year | films | " + " | ".join(METRIC_NAMES.values()) + " |\n"
    head += "|---" * (len(METRIC_NAMES) + 2) + "|\n"
    rows = "".join(
        f"| {int(s['year'])} | — | " + " | ".join(_value(s.get(k)) for k in METRIC_NAMES) + " |\n"
        for s in backtest["per_year"]
    )
    mean = "| **mean** | {} | ".format(backtest["films_tested"]) + " | ".join(
        _value(backtest["summary"].get(k, {}).get("mean")) for k in METRIC_NAMES
    )
    bands = ", ".join(f"{k}: {_value(v)}" for k, v in backtest["coverage_by_budget"].items())
    bare = backtest["required_only"]
    hold = " | ".join(_value(holdout.get(k)) for k in METRIC_NAMES)
    pictures = "\n".join(f"![{name}]({name})" for name in images)
    return (
        f"# boxoffice model report: profile `{backtest['profile']}`\n\n"
        f"## Rolling-origin backtest (headline)\n\nEach year {years[0]}-{years[-1]} is predicted"
        " by the training recipe (search included) fitted only on films released before it.\n\n"
        f"{head}{rows}{mean} |\n\n"
        f"80% interval coverage by constant-dollar budget: {bands}.\n\n"
        + coverage_table(backtest.get("coverage_cells"))
        + "\n"
        f"Test films sent with only the required fields: MAE (log) {_value(bare['mae_log'])},"
        f" coverage {_value(bare.get('coverage'))}.\n\n"
        "## Frozen holdout (secondary: a random 20% of films of every era)\n\n"
        "| " + " | ".join(METRIC_NAMES.values()) + " |\n" + "|---" * len(METRIC_NAMES) + "|\n"
        f"| {hold} |\n\n"
        f"## Search\n\nBest rolling-origin MAE (log) {search['best_cv_mae_log']} on validation"
        f" years {search.get('validation_years')} after {len(search['history'])} candidates"
        f" in {search['elapsed_s']} s.\n\n"
        f"Best parameters: `{json.dumps(search['best_params'], sort_keys=True)}`\n\n"
        f"{quality_md}\n## Plots (backtest predictions)\n\n{pictures}\n"
    )
