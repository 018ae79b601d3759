"""Comps: the nearest training films, unknown fields not compared."""

from __future__ import annotations

import numpy as np
import pytest

from boxoffice.core.comps import build_comps


def _table():  # type: ignore[no-untyped-def]
    matrix = np.array(
        [
            [1.0, 0.0, np.nan],  # a film lacking the third column
            [1.0, 5.0, 1.0],
            [9.0, 0.0, 1.0],
            [5.0, 5.0, 5.0],
        ]
    )
    return build_comps(
        matrix=matrix,
        weights=np.array([1.0, 1.0, 0.0]),  # the third column weighs nothing: left out
        titles=["a", "b", "c", "d"],
        release_dates=["2001-01-01"] * 4,
        budget=np.array([1e6, 2e6, 3e6, 4e6]),
        gross=np.array([2e6, 4e6, 6e6, 8e6]),
        log_deflator=np.log(np.array([2.0, 1.0, 1.0, 1.0])),
    )


def test_nearest_orders_by_weighted_standardised_distance() -> None:
    near = _table().nearest(np.array([1.0, 0.0, 7.0]), 2)
    assert [c["title"] for c in near] == ["a", "b"]
    assert near[0]["distance"] == 0.0
    assert near[0]["worldwide_gross_constant"] == pytest.approx(4e6, rel=1e-5)  # twice nominal


def test_unsent_field_is_not_compared() -> None:
    table = _table()
    assert table.columns == [0, 1]
    near = table.nearest(np.array([9.0, np.nan, np.nan]), 1)  # only the first column known
    assert near[0]["title"] == "c"


def test_missing_value_of_a_training_film_costs_one_standard_deviation() -> None:
    matrix = np.array([[0.0, np.nan], [0.0, 0.0], [4.0, 4.0]])
    table = build_comps(
        matrix=matrix,
        weights=np.array([1.0, 1.0]),
        titles=["lacks", "has", "far"],
        release_dates=["2001-01-01"] * 3,
        budget=np.ones(3),
        gross=np.ones(3),
        log_deflator=np.zeros(3),
    )
    near = table.nearest(np.array([0.0, 0.0]), 3)
    assert [c["title"] for c in near] == ["has", "lacks", "far"]
