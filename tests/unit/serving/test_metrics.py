"""The bulk histogram observe writes what per-value observes write."""

from __future__ import annotations

import math

import numpy as np
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from boxoffice.serving.metrics import FEW_VALUES, PREDICTED, observe_all


def _histogram() -> tuple[Histogram, CollectorRegistry]:
    registry = CollectorRegistry()
    buckets = PREDICTED._upper_bounds[:-1]  # the served histogram's, +Inf added again
    return Histogram("gross", "forecasts", buckets=buckets, registry=registry), registry


def _exposed(registry: CollectorRegistry) -> list[bytes]:
    """The exposition without the creation time (each histogram has its own)."""
    return [line for line in generate_latest(registry).splitlines() if b"_created" not in line]


def test_observing_a_batch_at_once_equals_observing_each_value() -> None:
    # Values on a bound, between bounds, below the first and above the last (+Inf).
    values = np.array([1e4, 1e4 + 1, 5.0, 10**6.5, 3e7, 3e7, 2e10, 1e8])
    assert len(values) > FEW_VALUES  # the bulk path
    one, one_registry = _histogram()
    for value in values:
        one.observe(float(value))
    bulk, bulk_registry = _histogram()
    observe_all(bulk, values)
    assert _exposed(bulk_registry) == _exposed(one_registry)
    assert b'gross_bucket{le="10000.0"} 2.0' in _exposed(bulk_registry)


def test_a_nan_is_counted_in_no_bucket_as_observe_does() -> None:
    one, one_registry = _histogram()
    one.observe(math.nan)
    one.observe(2e6)
    bulk, bulk_registry = _histogram()
    observe_all(bulk, np.array([math.nan] + [2e6] * FEW_VALUES))
    for _ in range(FEW_VALUES - 1):
        one.observe(2e6)
    assert _exposed(bulk_registry) == _exposed(one_registry)
