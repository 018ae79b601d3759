"""Read the prediction log back with DuckDB, whatever the lake's storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from boxoffice.lake.prediction_log import Lake

T = TypeVar("T")

# The lake is read by this process and handed over in memory: the SQL itself may touch no
# file, URL or extension (no COPY ... TO, read_text, ATTACH, INSTALL), and cannot turn that
# back on. An operator tool all the same: not for SQL from untrusted people.
SANDBOX: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "lock_configuration": True,
}


Read = Callable[[Lake], pa.Table]


def query(lake: Lake | str, sql: str, read: Read | None = None) -> str:
    """Run ``sql`` against a table ``predictions``; returns DuckDB's text rendering.

    ``read`` says what of the lake ``predictions`` holds (default: all of it), e.g.
    :func:`since` or :func:`newest`: the lake is read by partition, before the SQL runs.
    """
    return _run(lake, sql, lambda relation: str(relation), read)


def records(lake: Lake | str, sql: str, read: Read | None = None) -> list[dict[str, Any]]:
    """Rows of ``sql`` as dicts (for output DuckDB's table would wrap or cut)."""
    return _run(
        lake,
        sql,
        lambda rel: [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()],
        read,
    )


def since(date: dt.date) -> Read:
    """Only the partitions from ``date`` on."""
    return lambda lake: lake.read_predictions(since=date)


def newest(n: int) -> Read:
    """The partitions that hold the ``n`` newest predictions."""
    return lambda lake: lake.latest(n)


def _run(
    lake: Lake | str, sql: str, render: Callable[[duckdb.DuckDBPyRelation], T], read: Read | None
) -> T:
    # A URI is checked here (no lake is said as such, not as "no logged predictions yet");
    # a Lake was checked by its caller (the CLI's existing_lake), not again on each read.
    if isinstance(lake, str):
        lake = Lake(lake).require()
    table = read(lake) if read is not None else lake.read_predictions()
    connection = duckdb.connect(config=SANDBOX)
    try:
        connection.register("predictions", table)
        try:
            relation = connection.sql(sql)
            if relation is None:
                raise ValueError("query failed: the statement returns no rows")
            return render(relation)
        except duckdb.Error as exc:
            raise ValueError(f"query failed: {exc}") from exc
    finally:
        connection.close()
