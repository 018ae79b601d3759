"""Which objects a reader reads: each prediction once, whatever a compaction left behind."""

from __future__ import annotations

import pytest

from boxoffice.lake.manifest import ManifestError, compacted_name, is_compacted, visible

A, B, C = "w-1-t-00000001.parquet", "w-1-t-00000002.parquet", "w-1-t-00000003.parquet"


def _visible(paths: list[str], manifests: dict[str, set[str]]) -> list[str]:
    return visible(paths, lambda p: frozenset(manifests[p]))


def test_loose_objects_held_by_a_compacted_one_are_skipped() -> None:
    merged = compacted_name([A, B])
    assert _visible([A, B, C, merged], {merged: {A, B}}) == [merged, C]


def test_a_superseded_compacted_object_is_skipped_for_the_larger_one() -> None:
    small, large = compacted_name([A]), compacted_name([A, B])
    assert _visible([small, large, B], {small: {A}, large: {A, B}}) == [large]


def test_disjoint_compacted_objects_are_both_read() -> None:
    one, two = compacted_name([A]), compacted_name([B])
    assert _visible([one, two], {one: {A}, two: {B}}) == sorted([one, two])


def test_compacted_objects_that_overlap_in_part_are_refused() -> None:
    one, two = compacted_name([A, B]), compacted_name([B, C])
    with pytest.raises(ManifestError, match="holds part of"):
        _visible([one, two], {one: {A, B}, two: {B, C}})


def test_the_compacted_name_is_the_set_of_its_objects_and_never_a_writers() -> None:
    assert compacted_name([A, B]) == compacted_name([B, A]) != compacted_name([A])
    assert is_compacted("x/date=2026-11-26/" + compacted_name([A]))
    assert not is_compacted("compacted-1234-abcdef-00000001.parquet")  # a replica "compacted"
