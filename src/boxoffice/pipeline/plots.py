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
from boxoffice.lake.storage import write_text_atomic


def write_plot_data(
    out: Path, y_log: np.ndarray, pred_log: np.ndarray, importance: pd.DataFrame
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "predictions.csv": pd.DataFrame({"actual_log": y_log, "predicted_log": pred_log}),
        "residuals.csv": pd.DataFrame(
            {"predicted_log": pred_log, "residual_log": y_log - pred_log}
        ),
        "importance.csv": importance,
    }
    for name, table in tables.items():
        write_text_atomic(out / name, table.round(5).to_csv(index=False))


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
