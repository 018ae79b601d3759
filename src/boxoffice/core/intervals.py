"""Split-conformal intervals: residual quantiles per number of optional fields sent (and,
optionally, per constant-dollar budget band), calibrated on the latest films."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from boxoffice.core.signature import Interval, IntervalBucket

FloatArray = npt.NDArray[np.float64]
# A bucket with fewer calibration residuals than this borrows the pooled offsets.
MIN_BUCKET_RESIDUALS = 30


def conformal_offsets(residuals: FloatArray, level: float) -> tuple[float, float]:
    """Signed residual quantiles with the finite-sample correction of split conformal.

    The bounds are order statistics of the sorted residuals: the k_low-th smallest with
    k_low = floor((n + 1) * alpha / 2) and the k_high-th with k_high = ceil((n + 1) *
    (1 - alpha / 2)), clamped to the sample (a tiny sample cannot widen past its extremes).
    """
    ordered = np.sort(np.asarray(residuals, dtype=np.float64))
    n = len(ordered)
    alpha = 1.0 - level
    k_low = int(np.floor((n + 1) * (alpha / 2)))
    k_high = int(np.ceil((n + 1) * (1 - alpha / 2)))
    # 1-based order statistics to 0-based positions.
    return float(ordered[min(max(k_low, 1), n) - 1]), float(ordered[min(k_high, n) - 1])


def _within(values: FloatArray | npt.NDArray[np.int64], edges: list[Any], i: int) -> Any:
    """Rows with ``edges[i] <= value < edges[i + 1]`` (the last bucket is open-ended)."""
    upper = edges[i + 1] if i + 1 < len(edges) else np.inf
    return (values >= edges[i]) & (values < upper)


def _offsets(
    chosen: FloatArray, level: float, fallback: tuple[float, float]
) -> tuple[float, float]:
    return conformal_offsets(chosen, level) if len(chosen) >= MIN_BUCKET_RESIDUALS else fallback


def calibrate(
    residuals: FloatArray,
    sent: npt.NDArray[np.int64],
    as_is: FloatArray,
    band: FloatArray,
    *,
    level: float,
    sent_edges: list[int],
    band_edges: list[float],
    band_field: str | None,
) -> Interval:
    """The interval of a signature from calibration residuals (log scale, signed).

    ``as_is`` marks the residuals of films predicted with every field they had (the pooled
    offsets), ``sent`` how many optional fields each prediction saw, ``band`` its band value.
    """
    low, high = conformal_offsets(residuals[as_is == 1], level)
    band_edges = band_edges if band_field else [0.0]
    by_sent = [_within(sent, sent_edges, i) for i in range(len(sent_edges))]
    # A cell with too few residuals borrows its sent-bucket's offsets over every band,
    # and a thin sent bucket the offsets of all residuals.
    pooled = conformal_offsets(residuals, level)
    fallback = [_offsets(residuals[rows], level, pooled) for rows in by_sent]
    buckets = []
    for b in range(len(band_edges)):
        in_band = _within(band, band_edges, b) if band_field else np.ones(len(band), bool)
        for i, rows in enumerate(by_sent):
            chosen = residuals[rows & in_band]
            offsets = _offsets(chosen, level, fallback[i])
            buckets.append(
                IntervalBucket(
                    min_sent=sent_edges[i],
                    min_band=band_edges[b],
                    low=offsets[0],
                    high=offsets[1],
                    residuals=len(chosen),
                )
            )
    return Interval(level=level, low=low, high=high, band_field=band_field, buckets=buckets)
