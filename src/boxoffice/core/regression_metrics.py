"""Regression metrics on dollars and on the log scale, shared by evaluate and the benchmark."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _r2(actual: FloatArray, predicted: FloatArray) -> float:
    total = float(((actual - actual.mean()) ** 2).sum())
    return 1.0 - float(((actual - predicted) ** 2).sum()) / total if total else float("nan")


def regression_metrics(
    y_log: FloatArray,
    pred_log: FloatArray,
    low_log: FloatArray | None = None,
    high_log: FloatArray | None = None,
) -> dict[str, float]:
    """R² on dollars and logs, MAE on logs, median absolute % error, interval coverage/width."""
    dollars, pred_dollars = np.exp(y_log), np.exp(pred_log)
    out = {
        "r2": _r2(dollars, pred_dollars),
        "r2_log": _r2(y_log, pred_log),
        "mae_log": float(np.abs(y_log - pred_log).mean()),
        "mdape": float(np.median(np.abs(pred_dollars - dollars) / dollars)),
    }
    if low_log is not None and high_log is not None:
        out["coverage"] = float(((y_log >= low_log) & (y_log <= high_log)).mean())
        out["interval_width_log"] = float((high_log - low_log).mean())
        # Width as a multiple of the point prediction: high/low in dollars.
        out["interval_ratio"] = float(np.exp(high_log - low_log).mean())
        out["interval_score"] = float(interval_score(y_log, low_log, high_log, level=0.8).mean())
    return {k: round(v, 5) for k, v in out.items()}


def interval_score(y: FloatArray, low: FloatArray, high: FloatArray, *, level: float) -> FloatArray:
    """Winkler's interval score per film (lower is better): the width, plus 2/alpha times
    how far the actual value fell outside (alpha = 1 - level); sharpness and coverage in one."""
    alpha = 1.0 - level
    below = np.maximum(low - y, 0.0)
    above = np.maximum(y - high, 0.0)
    return np.asarray((high - low) + (2.0 / alpha) * (below + above), dtype=np.float64)
