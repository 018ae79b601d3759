"""As-of track records: for each film, what the earlier films of its director (or its
distributor) did, strictly before its release date.

Training rows get as-of values computed here; serving looks the same figures up in a table
exported with the model as of its data cutoff (:func:`track_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from boxoffice.core.missing import is_missing

FloatArray = npt.NDArray[np.float64]
SUFFIXES = ("films", "mean_log_gross")


def history_columns(field: str) -> list[str]:
    return [f"{field}_{suffix}" for suffix in SUFFIXES]


def as_of(
    keys: Sequence[Any] | npt.NDArray[Any], days: npt.NDArray[np.datetime64], y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(count, mean target) of the earlier films sharing each row's key.

    Films released the same day do not see each other; a missing key gives NaN, a key with
    no earlier film gives a count of 0 and a NaN mean.
    """
    n = len(y)
    count, mean = np.full(n, np.nan), np.full(n, np.nan)
    sums: dict[str, tuple[int, float]] = {}
    order = np.argsort(days, kind="stable")
    start = 0
    while start < n:
        stop = start
        while stop < n and days[order[stop]] == days[order[start]]:
            stop += 1
        group = order[start:stop]
        for i in group:
            if not is_missing(keys[i]):
                seen, total = sums.get(str(keys[i]), (0, 0.0))
                count[i] = seen
                mean[i] = total / seen if seen else np.nan
        for i in group:  # added after the whole day: same-day films stay unseen
            if not is_missing(keys[i]):
                seen, total = sums.get(str(keys[i]), (0, 0.0))
                sums[str(keys[i])] = (seen + 1, total + float(y[i]))
        start = stop
    return count, mean


def track_table(keys: Sequence[Any] | npt.NDArray[Any], y: FloatArray) -> dict[str, list[float]]:
    """``{key: [count, mean target]}`` over all rows: the record as of the data cutoff."""
    sums: dict[str, list[float]] = {}
    for key, value in zip(keys, y, strict=True):
        if not is_missing(key):
            entry = sums.setdefault(str(key), [0.0, 0.0])
            entry[0] += 1
            entry[1] += float(value)
    return {k: [n, round(total / n, 6)] for k, (n, total) in sorted(sums.items())}


def look_up(
    keys: Sequence[Any] | npt.NDArray[Any], table: dict[str, list[float]]
) -> tuple[FloatArray, FloatArray]:
    """Serving side of :func:`as_of`: an unseen key has no earlier film (count 0)."""
    count = np.full(len(keys), np.nan)
    mean = np.full(len(keys), np.nan)
    for i, key in enumerate(keys):
        if is_missing(key):
            continue
        entry = table.get(str(key))
        count[i] = entry[0] if entry else 0.0
        if entry:
            mean[i] = entry[1]
    return count, mean
