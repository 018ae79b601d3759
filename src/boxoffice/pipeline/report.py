"""The CML-style ``report.md`` of one profile (what CI posts on a pull request)."""

from __future__ import annotations

import json
from typing import Any

from boxoffice.pipeline.coverage import BAND_NAMES, coverage_table, figure, in_band_order

METRIC_NAMES = {
    "mae_log": "MAE (log)",
    "r2_log": "R² (log)",
    "r2": "R² ($)",
    "mdape": "MdAPE",
    "coverage": "80% coverage",
    "interval_width_log": "interval width (log)",
    "interval_score": "interval score",
}


def report_markdown(
    backtest: dict[str, Any],
    holdout: dict[str, float],
    search: dict[str, Any],
    quality_md: str,
    images: list[str],
) -> str:
    years = backtest["test_years"]
    table = _per_year_table(backtest)
    bands = ", ".join(
        f"{BAND_NAMES.get(k, k)}: {figure(v)}"
        for k, v in in_band_order(backtest["coverage_by_budget"])
    )
    bare = backtest["required_only"]
    hold = " | ".join(figure(holdout.get(k)) for k in METRIC_NAMES)
    pictures = "\n".join(f"![{name}]({name})" for name in images)
    return (
        f"# boxoffice model report: profile `{backtest['profile']}`\n\n"
        f"## Rolling-origin backtest (headline)\n\nEach year {years[0]}-{years[-1]} is predicted"
        " by the training recipe (search included) fitted only on films released before it.\n\n"
        f"{table}\n"
        f"80% interval coverage by constant-dollar budget: {bands}.\n\n"
        + coverage_table(backtest.get("coverage_cells"))
        + "\n"
        f"Test films sent with only the required fields: MAE (log) {figure(bare['mae_log'])},"
        f" coverage {figure(bare.get('coverage'))}.\n\n"
        "## Frozen holdout (secondary: a random 20% of films of every era)\n\n"
        "| " + " | ".join(METRIC_NAMES.values()) + " |\n" + "|---" * len(METRIC_NAMES) + "|\n"
        f"| {hold} |\n\n"
        f"## Search\n\nBest rolling-origin MAE (log) {search['best_cv_mae_log']} on validation"
        f" years {search.get('validation_years')} after {len(search['history'])} candidates.\n\n"
        f"Best parameters: `{json.dumps(search['best_params'], sort_keys=True)}`\n\n"
        f"{quality_md}\n## Plots (backtest predictions)\n\n{pictures}\n"
    )


def _per_year_table(backtest: dict[str, Any]) -> str:
    """Each test year's metrics, then their means over the years."""
    head = "| year | films | " + " | ".join(METRIC_NAMES.values()) + " |\n"
    head += "|---" * (len(METRIC_NAMES) + 2) + "|\n"
    rows = "".join(
        f"| {int(s['year'])} | — | " + " | ".join(figure(s.get(k)) for k in METRIC_NAMES) + " |\n"
        for s in backtest["per_year"]
    )
    mean = "| **mean** | {} | ".format(backtest["films_tested"]) + " | ".join(
        figure(backtest["summary"].get(k, {}).get("mean")) for k in METRIC_NAMES
    )
    return f"{head}{rows}{mean} |\n"
