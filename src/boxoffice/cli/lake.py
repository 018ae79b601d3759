"""``boxoffice lake``: keep the data lake's prediction log in few, large objects."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from boxoffice.cli.options import LakeUri, command_group, existing_lake, fail, since_date

if TYPE_CHECKING:  # the lake's readers load when a command runs, not for --help
    from boxoffice.lake.compaction import Compaction
    from boxoffice.lake.prediction_log import Lake

app = command_group("Maintain the data lake.", no_args_is_help=True)

DateOption = Annotated[
    str | None,
    typer.Option(metavar="YYYY-MM-DD", help="Only this partition (a UTC date)."),
]


@app.command("compact")
def lake_compact(
    lake: LakeUri = "lake",
    date: DateOption = None,
    before: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Every partition before this date (default: before today, UTC: today's is"
            " still being written; compacting it is safe all the same).",
        ),
    ] = None,
) -> None:
    """Merge each partition's small objects into one; servers may keep writing meanwhile.

    Safe to stop at any point and to run again: the merged object is written before what it
    holds is deleted, and readers skip what a merged object already holds.
    """
    from boxoffice.lake.compaction import partitions_to_compact

    store = existing_lake(lake)
    one = since_date(date, "--date")
    until = since_date(before, "--before") or dt.datetime.now(dt.UTC).date()
    dates = partitions_to_compact(store, one.isoformat() if one else None, until.isoformat())
    if not dates:
        typer.echo("nothing to compact")
    for day in dates:  # a line per partition as it is done: progress on a long run
        typer.echo(_compact_one(store, day))


def _compact_one(store: Lake, day: str) -> str:
    from boxoffice.lake.compaction import PartitionChangedError, compact_partition
    from boxoffice.lake.manifest import ManifestError

    try:
        done = compact_partition(store, day)
    except PartitionChangedError:  # safe: this run wrote nothing there
        return f"{day}: another compaction changed it meanwhile; left to that one"
    except ManifestError as exc:
        raise fail(str(exc)) from exc
    return _said(done)


def _said(done: Compaction) -> str:
    if done.written:
        return (
            f"{done.date}: {done.merged} objects merged into 1 ({done.rows:,} predictions),"
            f" {done.removed} removed"
        )
    return f"{done.date}: nothing to merge, {done.removed} superseded objects removed"
