"""Constant dollars: nominal amounts of a release year <-> dollars of a base year (CPI-U).

The model learns in constant dollars (a 1995 budget and a 2009 budget are comparable); the
API takes and returns the release year's nominal dollars. The index travels inside the
exported signature, so serving reads no table and downloads nothing.
"""

from __future__ import annotations

import csv
import math
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from boxoffice.core.stable_model import StableModel

# Up to this many years, log factors are looked up (see Dollars.log_factor).
FEW_YEARS = 8
MAX_CACHED_YEARS = 4096


def read_cpi_table(path: str | Path) -> dict[int, float]:
    """``year,cpi_u`` rows of the committed CPI-U annual table."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = {int(r["year"]): float(r["cpi_u"]) for r in csv.DictReader(handle)}
    if not rows:
        raise ValueError(f"{path}: the CPI table is empty")
    return rows


class Dollars(StableModel):
    """Deflation to ``base_year`` dollars; years past the table grow at ``extrapolate_rate``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_year: int
    extrapolate_rate: float = Field(ge=0, lt=1)
    # CPI-U annual averages, keyed by year (JSON object keys are strings).
    index: dict[str, float]

    @cached_property
    def _table(self) -> tuple[int, int, npt.NDArray[np.float64]]:
        # Built once per signature: serving deflates on every request.
        known = sorted(int(y) for y in self.index)
        first, last = known[0], known[-1]
        table = np.array([self.index[str(y)] for y in range(first, last + 1)], dtype=np.float64)
        return first, last, table

    @cached_property
    def _base(self) -> np.float64:
        base: np.float64 = self.cpi(np.array([float(self.base_year)]))[0]
        return base

    def cpi(self, years: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        first, last, table = self._table
        safe = np.where(np.isnan(years), float(last), years)  # unknown year: the table's last
        inside = np.clip(safe, first, last).astype(np.int64) - first
        values = table[inside]
        ahead = np.maximum(safe - last, 0.0)
        return np.asarray(values * (1.0 + self.extrapolate_rate) ** ahead, dtype=np.float64)

    def log_factor(self, years: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``log(constant / nominal)`` per year: add to a nominal log amount to deflate it."""
        if len(years) > FEW_YEARS:
            return self._log_factors(years)
        # A request's few years are looked up: seven numpy calls on a one-element array cost
        # ten microseconds per request; each year's factor is that same computation, once.
        return np.array([self._year_factor(year) for year in years.tolist()], dtype=np.float64)

    def _log_factors(self, years: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(np.log(self._base / self.cpi(years)), dtype=np.float64)

    @cached_property
    def _factors(self) -> dict[float | None, float]:
        return {}

    def _year_factor(self, year: float) -> float:
        key = None if math.isnan(year) else year  # NaN is no dict key: it equals nothing
        factor = self._factors.get(key)
        if factor is None:
            if len(self._factors) >= MAX_CACHED_YEARS:  # years a caller could send are few
                self._factors.clear()
            factor = self._factors[key] = float(self._log_factors(np.array([year]))[0])
        return factor


def dollar_label(amount: float) -> str:
    """$12K, $3.4M, $1.2B: how plots label a (log) dollar axis."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= size:
            return f"${amount / size:.3g}{suffix}"
    return f"${amount:.3g}"


def dollar_axes(ax: Any, *which: str) -> None:
    """Log scale labelled in dollars ($1M, $100M, $1B) on a matplotlib axes, for each of
    ``which`` ("x", "y"): reports read in dollars, not in natural-log units."""
    from matplotlib.ticker import FuncFormatter  # plots only: serving has no matplotlib

    label = FuncFormatter(lambda value, _: dollar_label(value))
    for name in which:
        getattr(ax, f"set_{name}scale")("log")
        getattr(ax, f"{name}axis").set_major_formatter(label)


def dollars_for(table: dict[int, float], base_year: int, rate: float, since: int) -> Dollars:
    """The part of the table a model needs: ``since`` (its earliest film) to the table's end."""
    if base_year not in table:
        raise ValueError(f"dollars.base_year {base_year} is not in the CPI table")
    years = [y for y in sorted(table) if y >= min(since, base_year)]
    return Dollars(
        base_year=base_year, extrapolate_rate=rate, index={str(y): table[y] for y in years}
    )
