"""Split-conformal intervals: residual quantiles per number of optional fields sent and per
constant-dollar budget band (Mondrian cells), calibrated on the latest films, then widened
per horizon band by how much farther releases were missed in older out-of-time fits.

With a width model the residuals are first divided by each film's predicted width (the gap
between two quantile models): normalised conformal scores, so that a film the quantile
models find hard gets a wider range than an easy one in the same cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from boxoffice.core.signature import HorizonBand, Interval, IntervalBucket

FloatArray = npt.NDArray[np.float64]
# A bucket with fewer calibration residuals than this borrows the pooled offsets.
MIN_BUCKET_RESIDUALS = 30
# A predicted width (log scale) is read as at least this: the two quantile models may cross.
MIN_WIDTH = 0.25


def widths(raw: FloatArray) -> FloatArray:
    """Each row's width from the quantile models' gap, floored at ``MIN_WIDTH``."""
    return np.maximum(np.asarray(raw, dtype=np.float64), MIN_WIDTH)


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


@dataclass(frozen=True)
class Residuals:
    """Out-of-time calibration residuals (log scale, signed; in units of the predicted width
    when the model has a width model), one entry per prediction.

    ``as_is``: predicted with every field the film had; ``sent``: optional fields the
    prediction saw; ``band``: its band value (constant dollars, NaN without bands);
    ``horizon``: test year minus the fit's last training year; ``recent``: from a fit on
    the latest years (these set the offsets; older fits only measure the horizon's effect).
    """

    value: FloatArray
    sent: npt.NDArray[np.int64]
    as_is: npt.NDArray[np.bool_]
    band: FloatArray
    horizon: FloatArray
    recent: npt.NDArray[np.bool_]

    def where(self, rows: npt.NDArray[np.bool_]) -> Residuals:
        return Residuals(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def horizon_bands(
    residuals: Residuals, interval: Interval, level: float, edges: list[int]
) -> list[HorizonBand]:
    """Per horizon band, how much the cell offsets must widen for the older fits' films of
    that band to be covered at ``level``, over the widening the older fits need at the
    horizon the offsets were calibrated at (the recent fits': 1 year, unless a year had no
    films).

    Each older residual is scored against its own cell's interval: its distance from the
    cell's centre over the cell's half-width, so that it lies inside the interval widened
    ``s`` times around its centre exactly when the score is at most ``s``. The ratio of a
    band's conformal quantile of those scores to that of the older fits' films at the
    calibration horizon is the horizon's effect alone (the older years' own spread cancels);
    never below 1 or the band before (a farther release is never surer). The reference is
    the calibration horizon, not the first band: a 1-3 year band holds 2 and 3 year films,
    which the 1-year offsets under-cover. With too few old films at that horizon the first
    band is the reference (as it was before: the later bands still widen); with too few there
    too, every scale is 1."""
    if len(edges) < 2:
        return []
    old = residuals.where(~residuals.recent)
    low, high = interval.offsets(old.sent, old.band if interval.band_field else None)
    centre, half = (low + high) / 2, np.maximum((high - low) / 2, 1e-9)
    score = np.abs(old.value - centre) / half
    quantiles = []
    for i in range(len(edges)):
        chosen = score[_within(old.horizon, edges, i)]
        quantiles.append((_enough_quantile(chosen, level), len(chosen)))
    calibrated = np.isin(old.horizon, np.unique(residuals.horizon[residuals.recent]))
    base = _enough_quantile(score[calibrated], level)
    if np.isnan(base):
        base = quantiles[0][0]
    bands, scale = [], 1.0
    for edge, (quantile, n) in zip(edges, quantiles, strict=True):
        if not np.isnan(quantile) and not np.isnan(base) and base > 0:
            scale = max(scale, float(quantile / base))
        bands.append(HorizonBand(min_years=edge, scale=round(scale, 4), residuals=n))
    return bands


def _enough_quantile(scores: FloatArray, level: float) -> float:
    """The upper conformal quantile of ``scores``, NaN when there are too few to tell."""
    return _upper_quantile(scores, level) if len(scores) >= MIN_BUCKET_RESIDUALS else np.nan


def _upper_quantile(scores: FloatArray, level: float) -> float:
    """The ceil((n + 1) * level)-th smallest score (split conformal), clamped to the sample."""
    ordered = np.sort(scores)
    k = int(np.ceil((len(ordered) + 1) * level))
    return float(ordered[min(k, len(ordered)) - 1])


def calibrate(
    residuals: Residuals,
    *,
    level: float,
    sent_edges: list[int],
    band_edges: list[float],
    band_field: str | None,
    horizon_edges: list[int] | None = None,
    scaled: bool = False,
) -> Interval:
    """The interval of a signature from out-of-time calibration residuals (``scaled``: they
    are in units of each film's predicted width, and so are the offsets)."""
    recent = residuals.where(residuals.recent)
    interval = _cells(
        recent.value,
        recent.sent,
        recent.as_is.astype(np.float64),
        recent.band,
        level=level,
        sent_edges=sent_edges,
        band_edges=band_edges,
        band_field=band_field,
    )
    bands = horizon_bands(residuals, interval, level, horizon_edges or [])
    return interval.model_copy(update={"horizons": bands, "scaled": scaled})


def _cells(
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
    """Offsets per (band, sent) cell; ``low``/``high`` pooled over the as-is residuals."""
    low, high = conformal_offsets(residuals[as_is == 1], level)
    band_edges = band_edges if band_field else [0.0]
    by_sent = [_within(sent, sent_edges, i) for i in range(len(sent_edges))]
    # A cell with too few residuals borrows the offsets of the nearest bucket of its band
    # that sends fewer fields (wider: a request that sends more is never promised more);
    # failing that, its sent bucket's over every band; a thin sent bucket, all residuals'.
    pooled = conformal_offsets(residuals, level)
    fallback = [_offsets(residuals[rows], level, pooled) for rows in by_sent]
    buckets = []
    for b in range(len(band_edges)):
        in_band = _within(band, band_edges, b) if band_field else np.ones(len(band), bool)
        fewer: tuple[float, float] | None = None
        for i, rows in enumerate(by_sent):
            chosen = residuals[rows & in_band]
            offsets = _offsets(chosen, level, fewer or fallback[i])
            if len(chosen) >= MIN_BUCKET_RESIDUALS:
                fewer = offsets
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
