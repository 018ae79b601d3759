"""Horizon widening is measured against the horizon the offsets were calibrated at."""

from __future__ import annotations

import numpy as np

from boxoffice.core.intervals import Residuals, calibrate


def _residuals(seed: int) -> Residuals:
    """Recent fits at 1 year; older fits at 1-10 years, errors growing from 2 years on.

    The spread is 1 at a 1-year horizon, 2 at 2-3 years, 3 at 4-6 and 4 at 7-10: the 1-3
    year band mixes films the 1-year offsets cover with films they do not."""
    rng = np.random.default_rng(seed)
    spread = {1: 1.0, 2: 2.0, 3: 2.0, 4: 3.0, 5: 3.0, 6: 3.0, 7: 4.0, 8: 4.0, 9: 4.0, 10: 4.0}
    recent = rng.normal(0.0, 1.0, 3000)
    old_h = np.repeat(np.arange(1, 11, dtype=np.float64), 1500)
    old = rng.normal(0.0, 1.0, len(old_h)) * np.vectorize(spread.get)(old_h)
    n_recent, n_old = len(recent), len(old)
    return Residuals(
        value=np.concatenate([recent, old]),
        sent=np.zeros(n_recent + n_old, dtype=np.int64),
        as_is=np.ones(n_recent + n_old, dtype=np.bool_),
        band=np.full(n_recent + n_old, np.nan),
        horizon=np.concatenate([np.ones(n_recent), old_h]),
        recent=np.concatenate([np.ones(n_recent, dtype=np.bool_), np.zeros(n_old, dtype=np.bool_)]),
    )


def test_each_horizon_band_covers_its_films_at_the_level() -> None:
    fitted = _residuals(seed=1)
    interval = calibrate(
        fitted, level=0.8, sent_edges=[0], band_edges=[], band_field=None, horizon_edges=[1, 4, 7]
    )
    scales = [b.scale for b in interval.horizons]
    # The 1-3 band widens too: two thirds of its films are farther than the offsets' 1 year.
    assert scales[0] > 1.1 and scales[2] > scales[1] > scales[0]
    fresh = _residuals(seed=2)  # new films from the same process
    old = fresh.where(~fresh.recent)
    low, high = interval.offsets(old.sent, None, old.horizon)
    inside = (old.value >= low) & (old.value <= high)
    for first, last in ((1, 3), (4, 6), (7, 10)):
        band = (old.horizon >= first) & (old.horizon <= last)
        assert 0.77 <= inside[band].mean() <= 0.83, (first, inside[band].mean())


def _calibrated(residuals: Residuals) -> list[float]:
    interval = calibrate(
        residuals,
        level=0.8,
        sent_edges=[0],
        band_edges=[],
        band_field=None,
        horizon_edges=[1, 4, 7],
    )
    return [b.scale for b in interval.horizons]


def test_too_few_films_at_the_calibration_horizon_fall_back_to_the_first_band() -> None:
    full = _residuals(seed=3)
    keep = full.recent | (full.horizon > 1) | (np.arange(len(full.value)) % 100 == 0)
    scales = _calibrated(full.where(keep))
    # The later bands still widen, against the first band (2-3 years here) as the reference.
    assert scales[0] == 1.0 and scales[2] > scales[1] > 1.0


def test_too_few_films_anywhere_near_leave_every_scale_at_one() -> None:
    full = _residuals(seed=4)
    keep = full.recent | (full.horizon > 3) | (np.arange(len(full.value)) % 1000 == 0)
    assert _calibrated(full.where(keep)) == [1.0, 1.0, 1.0]
