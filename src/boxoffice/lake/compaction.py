"""Merge a partition's small objects into one, while servers keep writing.

Crash-safe by order: the merged object is written whole (its name not taken before), then
what it holds is deleted. A crash between the two leaves objects that readers skip
(:mod:`boxoffice.lake.manifest`), and the next run deletes them. Run twice, the second run
finds nothing to merge: it is idempotent.

Every run merges the whole partition as it sees it, earlier merged objects included: no
object is left out for its size, because two runs that each left out a different one would
hold overlapping parts of the partition, which no reader can read once. The price: a run
over a partition that is still growing (today's) rewrites it whole. Memory: the merged
object's compressed bytes and one row group of rows.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from boxoffice.core.io import create_only
from boxoffice.lake.manifest import (
    MANIFEST_KEY,
    basename,
    compacted_name,
    is_compacted,
    unchanged,
)
from boxoffice.lake.prediction_log import LOG_SCHEMA, Lake

log = logging.getLogger("boxoffice.compaction")

# Rows per row group of a merged object: the small objects' row groups would be many and tiny.
ROW_GROUP = 128 * 1024


@dataclass(frozen=True)
class Compaction:
    date: str
    merged: int  # objects whose rows went into the new object
    rows: int  # predictions in the new object
    removed: int  # objects deleted: the merged ones and the superseded ones
    written: str | None  # the new object, if one was written


class PartitionChangedError(RuntimeError):
    """Another compaction changed the partition while this one read it: nothing was written."""


def compact_partition(lake: Lake, date: str) -> Compaction:
    """Merge the partition's readable objects into one; delete the superseded ones.

    An object a server writes meanwhile is not in this run's listing, so it is neither
    merged nor deleted.
    """
    listed = lake.listed(date)
    readable = lake.partition_objects(date, listed)
    superseded = [p for p in listed if p not in readable]
    if len(readable) < 2:  # one object rewritten alone gains nothing
        return Compaction(date, 0, 0, _remove(lake, superseded), None)
    try:
        leaves = frozenset().union(*(_leaves(lake, p) for p in readable))
        data, rows = _merged(lake, readable, leaves)
    except FileNotFoundError as exc:
        raise PartitionChangedError(f"{date}: {exc}") from exc
    # The listing must have been whole: a merged object that missed some of the partition
    # would overlap the one that did not (see boxoffice.lake.manifest).
    if not unchanged(listed, lake.listed(date)):
        raise PartitionChangedError(f"{date}: another compaction ran meanwhile")
    target = lake.path("predictions", f"date={date}", compacted_name(leaves))
    try:
        create_only(lake.fs, target, data)
    except FileExistsError:  # the same objects merged by an earlier run or another operator
        log.info("%s is there already: only the deletes are left", target)
    return Compaction(date, len(readable), rows, _remove(lake, readable + superseded), target)


def _leaves(lake: Lake, path: str) -> frozenset[str]:
    """The writers' objects that ``path`` holds: itself, or a compacted object's manifest."""
    return lake.manifest(path) if is_compacted(path) else frozenset([basename(path)])


def _merged(lake: Lake, sources: list[str], leaves: frozenset[str]) -> tuple[bytes, int]:
    """The rows of ``sources`` as one Parquet object naming ``leaves``; and its row count."""
    metadata = {MANIFEST_KEY: orjson.dumps(sorted(leaves))}
    buffer = io.BytesIO()
    rows, pending = 0, []
    with pq.ParquetWriter(buffer, LOG_SCHEMA.with_metadata(metadata), compression="zstd") as writer:
        for source in sources:
            pending.append(lake.read_predictions([source]))
            if sum(t.num_rows for t in pending) >= ROW_GROUP:
                rows += _flush(writer, pending)
        rows += _flush(writer, pending)
    return buffer.getvalue(), rows


def _flush(writer: pq.ParquetWriter, pending: list[pa.Table]) -> int:
    if not pending:
        return 0
    table = pa.concat_tables(pending)
    writer.write_table(table, row_group_size=ROW_GROUP)
    pending.clear()
    return int(table.num_rows)


def _remove(lake: Lake, paths: list[str]) -> int:
    removed = 0
    for path in paths:
        try:
            lake.fs.rm_file(path)
            removed += 1
        except FileNotFoundError:  # another run deleted it first
            continue
    return removed


def partitions_to_compact(lake: Lake, date: str | None, before: str | None) -> list[str]:
    """One partition, or every partition before ``before`` (default: all of them)."""
    if date is not None:
        return [date] if date in lake.partitions() else []
    return [d for d in lake.partitions() if before is None or d < before]
