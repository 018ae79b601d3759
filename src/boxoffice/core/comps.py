"""Comparable films ("comps"): the training films nearest a request in the model's own terms.

Distances are taken on the model's encoded matrix (deflated budget, date parts, target-ranked
category codes, track records), each column standardised and weighted by the permutation
importance of the field that feeds it. A field the request leaves out is not compared (it is
unknown); a training film lacking a field the request sends is one standard deviation away
on it. The table is exported inside the signature, as of the model's data cutoff.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import ConfigDict, Field

from boxoffice.core.stable_model import StableModel

FloatArray = npt.NDArray[np.float64]
# Distance on a compared column when the training film has no value there.
MISSING_PENALTY = 1.0
DIGITS = 3


class Comps(StableModel):
    """Standardised training vectors, the column weights and what a comp shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[int] = Field(description="Matrix columns compared, in order.")
    centre: list[float]
    scale: list[float]
    weight: list[float]
    titles: list[str]
    release_dates: list[str]
    budget: list[float] = Field(description="Nominal dollars of the release year.")
    gross: list[float] = Field(description="Nominal dollars of the release year.")
    # log(constant / nominal) of each film's year: constant dollars without the CPI table.
    log_deflator: list[float]
    vectors: list[list[float | None]]

    @cached_property
    def _matrix(self) -> FloatArray:
        # Built once per loaded model; a request then costs one pass over the table.
        return np.array(
            [[np.nan if v is None else v for v in row] for row in self.vectors], dtype=np.float64
        )

    def nearest(self, row: npt.NDArray[Any], k: int) -> list[dict[str, Any]]:
        """The ``k`` training films nearest one encoded request row, nearest first."""
        query = (np.asarray(row, dtype=np.float64)[self.columns] - self.centre) / np.asarray(
            self.scale
        )
        known = ~np.isnan(query)
        diff = self._matrix[:, known] - query[known]
        diff = np.where(np.isnan(diff), MISSING_PENALTY, diff)
        distance = np.sqrt((np.asarray(self.weight)[known] * diff**2).sum(axis=1))
        k = min(k, len(distance))
        part = np.argpartition(distance, k - 1)[:k]
        order = part[np.argsort(distance[part], kind="stable")]
        return [self._film(int(i), float(distance[i])) for i in order]

    def _film(self, i: int, distance: float) -> dict[str, Any]:
        factor = float(np.exp(self.log_deflator[i]))
        return {
            "title": self.titles[i],
            "release_date": self.release_dates[i],
            "production_budget": self.budget[i],
            "worldwide_gross": self.gross[i],
            "production_budget_constant": round(self.budget[i] * factor),
            "worldwide_gross_constant": round(self.gross[i] * factor),
            "distance": round(distance, DIGITS),
        }


def build_comps(
    *,
    matrix: npt.NDArray[Any],
    weights: FloatArray,
    titles: list[str],
    release_dates: list[str],
    budget: FloatArray,
    gross: FloatArray,
    log_deflator: FloatArray,
) -> Comps:
    """The comps table of the training films; columns of zero weight or spread are left out."""
    values = np.asarray(matrix, dtype=np.float64)
    centre = np.nanmean(values, axis=0)
    scale = np.nanstd(values, axis=0)
    used = np.flatnonzero((np.asarray(weights) > 0) & (scale > 0))
    standard = np.round((values[:, used] - centre[used]) / scale[used], DIGITS)
    total = float(np.asarray(weights)[used].sum())
    return Comps(
        columns=used.tolist(),
        centre=centre[used].round(6).tolist(),
        scale=scale[used].round(6).tolist(),
        weight=(np.asarray(weights)[used] / total).round(6).tolist(),
        titles=titles,
        release_dates=release_dates,
        budget=[float(b) for b in budget],
        gross=[float(g) for g in gross],
        log_deflator=np.round(log_deflator, 6).tolist(),
        vectors=[[None if np.isnan(v) else float(v) for v in row] for row in standard],
    )
