"""Plot data for ``dvc plots`` (CSV) and the PNG images that ``report.md`` embeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI runners have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from boxoffice.core.dollars import dollar_axes
from boxoffice.core.io import write_text_atomic


def write_plot_data(
    out: Path, y_log: np.ndarray, pred_log: np.ndarray, importance: pd.DataFrame
) -> None:
    """CSV for ``dvc plots`` in dollars (of each film's release year), not natural-log units: the
    custom templates in ``.dvc/plots/`` draw them on log axes labelled $1M, $100M, $1B."""
    out.mkdir(parents=True, exist_ok=True)
    actual, forecast = np.exp(y_log), np.exp(pred_log)
    whole_actual, whole_forecast = (np.rint(v).astype(np.int64) for v in (actual, forecast))
    tables = {
        "predictions.csv": pd.DataFrame(
            {"actual_usd": whole_actual, "forecast_usd": whole_forecast}
        ),
        "residuals.csv": pd.DataFrame(
            {"forecast_usd": whole_forecast, "actual_over_forecast": (actual / forecast).round(5)}
        ),
        "importance.csv": importance.round(5),
    }
    for name, table in tables.items():
        write_text_atomic(out / name, table.to_csv(index=False))


def write_images(
    out: Path, y_log: np.ndarray, pred_log: np.ndarray, importance: pd.DataFrame
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    actual, predicted = np.exp(y_log), np.exp(pred_log)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(actual, predicted, s=6, alpha=0.5)
    lims = [min(actual.min(), predicted.min()), max(actual.max(), predicted.max())]
    ax.plot(lims, lims, color="black", linewidth=1)
    dollar_axes(ax, "x", "y")
    ax.set(
        xlabel="actual worldwide gross", ylabel="forecast", title="Forecast vs actual (backtest)"
    )
    paths.append(_save(fig, out / "predicted_vs_actual.png"))
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(predicted, actual / predicted, s=6, alpha=0.5)
    ax.axhline(1, color="black", linewidth=1)
    dollar_axes(ax, "x")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"×{v:g}"))  # noqa: RUF001 (a multiplier)
    ax.set(xlabel="forecast", ylabel="actual ÷ forecast", title="Residuals (backtest)")
    paths.append(_save(fig, out / "residuals.png"))
    fig, ax = plt.subplots(figsize=(5, 4))
    ordered = importance.sort_values("importance")
    ax.barh(ordered["feature"], ordered["importance"])
    ax.set(xlabel="MAE (log) increase when permuted", title="Permutation importance")
    paths.append(_save(fig, out / "importance.png"))
    return paths


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    # A fixed date keeps PNG bytes identical between runs, so `dvc repro` stays a no-op.
    fig.savefig(path, dpi=80, metadata={"Software": None})
    plt.close(fig)
    return path
