"""What counts as a missing value, in one place (parquet round trips produce each kind)."""

from __future__ import annotations

from typing import Any


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas.NA are all missing."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True
