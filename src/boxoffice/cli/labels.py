"""``boxoffice labels``: observed grosses into the data lake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boxoffice.cli.options import LakeUri, command_group, existing_lake, fail

app = command_group("Observed grosses (labels) in the data lake.", no_args_is_help=True)


@app.command("add")
def labels_add(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help=".csv, .parquet or .jsonl with worldwide_gross")
    ],
    lake: LakeUri = "lake",
    encoding: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Text encoding of a CSV/JSONL file that is not UTF-8"),
    ] = None,
) -> None:
    """Store observed worldwide grosses, keyed by the request_id of the prediction.

    Good rows are stored and each bad row is reported with its number and reason; ids that
    match no logged prediction are stored too (it may not be shipped yet) and reported.
    """
    from boxoffice.core.tables import file_columns, read_records
    from boxoffice.lifecycle.labels import add_labels, check_columns, check_labels, unmatched

    store = existing_lake(lake)  # before the file: labels join predictions already logged
    try:
        rows = read_records(path, encoding)
        columns = file_columns(rows)
        if columns:  # a file of nothing but broken lines: each line's reason, below
            check_columns(sorted(columns))
        batch = check_labels(rows)
    except (OSError, ValueError, LookupError) as exc:  # LookupError: an unknown encoding
        raise fail(str(exc)) from exc
    for refused in batch.rejected:
        typer.echo(f"row {refused['row']}: {refused['reason']}", err=True)
    if not batch.accepted:
        raise fail("no label accepted")
    strays = unmatched(store, [row["request_id"] for row in batch.accepted])
    if strays:
        shown = ", ".join(strays[:5]) + (" ..." if len(strays) > 5 else "")
        typer.echo(f"warning: {len(strays)} request_id(s) match no logged prediction: {shown}")
    where = add_labels(store, batch.accepted)
    typer.echo(f"{len(batch.accepted)} labels stored in {where}; {len(batch.rejected)} refused")
