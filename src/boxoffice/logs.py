"""Read the prediction log back with DuckDB, whatever the lake's storage."""

from __future__ import annotations

import duckdb

from boxoffice.lake import Lake


def query(lake_uri: str, sql: str) -> str:
    """Run ``sql`` against a table ``predictions``; returns DuckDB's text rendering."""
    table = Lake(lake_uri).read_predictions()
    connection = duckdb.connect()
    try:
        connection.register("predictions", table)
        try:
            relation = connection.sql(sql)
        except duckdb.Error as exc:
            raise ValueError(f"query failed: {exc}") from exc
        return "(no rows)" if relation is None else str(relation)
    finally:
        connection.close()
