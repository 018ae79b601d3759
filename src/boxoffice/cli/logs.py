"""``boxoffice logs``: read the prediction log in the data lake."""

from __future__ import annotations

from typing import Annotated

import typer

from boxoffice.cli.options import LakeUri, command_group, existing_lake, fail, since_date
from boxoffice.core.money import format_money

app = command_group("Read the prediction log from the data lake.", no_args_is_help=True)


@app.command("query")
def logs_query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="SQL over the table `predictions`.")],
    lake: LakeUri = "lake",
    since: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Only the lake's partitions from this date (UTC) on are read: a window's"
            " cost, not the lake's.",
        ),
    ] = None,
) -> None:
    """Run DuckDB SQL over the logged predictions (read-only: no file, URL or extension access).

    An operator tool: do not pass it SQL written by people you do not trust.
    """
    from boxoffice.lake import queries

    start = since_date(since)
    store = existing_lake(lake)  # a mistyped --lake said as such, with where to check
    try:
        typer.echo(queries.query(store, sql, queries.since(start) if start else None))
    except ValueError as exc:
        raise fail(str(exc)) from exc


@app.command("tail")
def logs_tail(
    lake: LakeUri = "lake",
    n: Annotated[
        int, typer.Option("-n", metavar="N", min=1, help="How many of the latest predictions.")
    ] = 10,
) -> None:
    """Show the latest logged predictions, one line each: full request id and inputs."""
    from boxoffice.lake.queries import newest, records

    # n is an int (typer parsed it), so the f-string cannot inject SQL.
    columns = "ts, request_id, model_version, profile, route, worldwide_gross, inputs"
    sql = f"SELECT {columns} FROM predictions ORDER BY ts DESC LIMIT {int(n)}"  # noqa: S608  # nosec B608
    store = existing_lake(lake)
    try:
        rows = records(store, sql, newest(n))  # the newest partitions only
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if not rows:
        typer.echo("no logged predictions yet")
    for row in rows:
        typer.echo(
            f"{row['ts']:%Y-%m-%d %H:%M:%S} {row['request_id']} {row['model_version']}"
            f" {row['profile']} {row['route']} {format_money(row['worldwide_gross'])}"
            f" {row['inputs']}"
        )
