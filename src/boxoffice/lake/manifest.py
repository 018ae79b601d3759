"""Which of a partition's objects a reader reads, so that each prediction is read once.

A compacted object holds the rows of the objects it merged and names them in its Parquet
metadata (its manifest: the writers' object names, ``<writer>-<seq>.parquet``). Such a
name can still be listed after the merge: a compaction stopped between its write and its
deletes, or a worker re-shipping a segment after a crash, which writes the segment's object
again under its old name. Both are skipped, because a compacted object already holds them.

Compactions only ever delete what a written object holds, and each merges every object of
the partition it sees, compacted ones included, from a listing checked against a second one
(:func:`unchanged`). What a partition holds only grows, so of two compacted objects one
holds all the other's names: the larger is read, the other was superseded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

COMPACTED = re.compile(r"compacted-[0-9a-f]{32}\.parquet")
# A writer's object is <replica>-<pid>-<token>-<seq>.parquet: never this pattern.
MANIFEST_KEY = b"boxoffice.compacted_from"


class ManifestError(RuntimeError):
    """A partition whose compacted objects overlap in part: no reading of it is exact."""


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def is_compacted(path: str) -> bool:
    return COMPACTED.fullmatch(basename(path)) is not None


def compacted_name(leaves: Iterable[str]) -> str:
    """The one name of the object that holds ``leaves``: two runs merging the same objects
    write the same name, so the second finds the first's object there."""
    digest = hashlib.sha256("\n".join(sorted(leaves)).encode()).hexdigest()
    return f"compacted-{digest[:32]}.parquet"


def visible(paths: Iterable[str], leaves_of: Callable[[str], frozenset[str]]) -> list[str]:
    """The objects among ``paths`` (one partition's listing) that hold each row once."""
    listed = sorted(paths)
    manifests = {p: leaves_of(p) for p in listed if is_compacted(p)}
    covered: set[str] = set()
    chosen: list[str] = []
    for path in sorted(manifests, key=lambda p: (-len(manifests[p]), p)):
        leaves = manifests[path]
        if leaves <= covered:  # superseded by a larger compaction that has not deleted it yet
            continue
        if leaves & covered:
            raise ManifestError(f"{path} holds part of what another compacted object holds")
        chosen.append(path)
        covered |= leaves
    loose = [p for p in listed if p not in manifests and basename(p) not in covered]
    return sorted(chosen + loose)


def unchanged(first: list[str], second: list[str]) -> bool:
    """Whether a read from listing ``first`` still holds, listed again as ``second``: no object
    read is gone and no compacted object appeared (new writers' objects may have)."""
    new = set(second) - set(first)
    return set(first) <= set(second) and not any(is_compacted(p) for p in new)
