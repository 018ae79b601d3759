"""Read the prediction log back with DuckDB, whatever the lake's storage."""

from __future__ import annotations

import duckdb

from boxoffice.lake import Lake

# The lake is read by this process and handed over in memory: the SQL itself may touch no
# file, URL or extension (no COPY ... TO, read_text, ATTACH, INSTALL), and cannot turn that
# back on. An operator tool all the same: not for SQL from untrusted people.
SANDBOX: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "lock_configuration": True,
}


def query(lake_uri: str, sql: str) -> str:
    """Run ``sql`` against a table ``predictions``; returns DuckDB's text rendering."""
    table = Lake(lake_uri).read_predictions()
    connection = duckdb.connect(config=SANDBOX)
    try:
        connection.register("predictions", table)
        try:
            relation = connection.sql(sql)
        except duckdb.Error as exc:
            raise ValueError(f"query failed: {exc}") from exc
        return "(no rows)" if relation is None else str(relation)
    finally:
        connection.close()
