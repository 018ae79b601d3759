"""Observed grosses (labels) in the lake, and live accuracy per model version.

Labels are keyed by the prediction's ``request_id`` (a ``title`` may ride along, for the
retrained data). A label with only ``title`` + ``release_date`` is refused: the API logs no
title, so nothing could join it to a prediction. Rows are checked one by one: good rows are
stored, each bad row is reported with its number and reason. Each ``labels add`` writes one
new Parquet object, so adding never rewrites or loses earlier labels.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from boxoffice.core.io import put_atomic
from boxoffice.lake.prediction_log import Lake

LABELS = "labels"
LABEL_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("title", pa.string()),
        ("release_date", pa.string()),
        ("worldwide_gross", pa.float64()),
        ("added_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass
class LabelBatch:
    accepted: list[dict[str, Any]]
    rejected: list[dict[str, Any]]


class LabelColumnsError(ValueError):
    """The labels file lacks a column every label needs."""


def check_columns(columns: list[str]) -> None:
    """Refuse a file whose columns cannot hold a usable label, naming what is missing."""
    missing = [name for name in ("request_id", "worldwide_gross") if name not in columns]
    if not missing:
        return
    hint = ""
    if "request_id" in missing and {"title", "release_date"} <= set(columns):
        hint = (
            "; labels keyed by title + release_date cannot be used: the API logs no title,"
            " so nothing joins them to a prediction (use the request_id each response carries)"
        )
    raise LabelColumnsError(
        f"labels need the column(s) {', '.join(missing)}; found {', '.join(columns)}{hint}"
    )


def _gross(value: Any) -> float | None:
    """A gross from a number or numeric text ("1,234,567" and "$5e6" too); None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # a JSON integer of hundreds of digits: no gross
            return None
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "").replace("$", "").replace("_", ""))
        except ValueError:
            return None
    return None


def check_labels(rows: Sequence[Mapping[str, Any] | str]) -> LabelBatch:
    """Keep rows with a request_id and a positive gross; say why each other row is refused
    (a row that is text is one the file reader could not read: the text says why)."""
    now = dt.datetime.now(dt.UTC)
    batch = LabelBatch([], [])
    for number, row in enumerate(rows, start=1):
        if isinstance(row, str):
            batch.rejected.append({"row": number, "reason": row})
            continue
        raw = row.get("worldwide_gross")
        gross = _gross(raw)
        if not _text(row.get("request_id")):
            reason = "no request_id (the id a prediction's response carries)"
            if row.get("title") and row.get("release_date"):
                reason += "; title + release_date alone join no logged prediction"
            batch.rejected.append({"row": number, "reason": reason})
        elif gross is None or not gross > 0 or math.isinf(gross):
            batch.rejected.append(
                {"row": number, "reason": f"worldwide_gross must be a number > 0, got {raw!r}"}
            )
        else:
            batch.accepted.append(
                {
                    "request_id": _text(row.get("request_id")),
                    "title": _text(row.get("title")),
                    "release_date": _date(row.get("release_date")),
                    "worldwide_gross": gross,
                    "added_at": now,
                }
            )
    return batch


def unmatched(lake: Lake, request_ids: list[str]) -> list[str]:
    """The ids that match no logged prediction (a typo, or a prediction not shipped yet)."""
    logged = set(lake.read_predictions(columns=["request_id"]).column("request_id").to_pylist())
    return [rid for rid in request_ids if rid not in logged]


def _text(value: Any) -> str | None:
    # A CSV written as "a, b" pads its cells: a padded request id would join nothing.
    return None if value is None else str(value).strip()


def _date(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else text[:10]


def add_labels(lake: Lake, rows: list[dict[str, Any]]) -> str:
    table = pa.Table.from_pylist(rows, schema=LABEL_SCHEMA)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = lake.path(LABELS, f"{stamp}-{os.urandom(4).hex()}.parquet")
    lake.fs.makedirs(lake.path(LABELS), exist_ok=True)
    put_atomic(lake.fs, path, buffer.getvalue())
    return path


def read_labels(lake: Lake) -> pa.Table:
    paths = sorted(lake.fs.glob(lake.path(LABELS, "*.parquet")))
    if not paths:
        return LABEL_SCHEMA.empty_table()
    return pa.concat_tables([pq.read_table(lake.fs.open(p, "rb")) for p in paths])


# Every query below reads labels through this view: a request labelled twice counts once,
# with its latest label.
LATEST_LABELS_SQL = """
CREATE VIEW latest AS
SELECT request_id, arg_max(worldwide_gross, added_at) AS actual,
       arg_max(title, added_at) AS title
FROM labels WHERE request_id IS NOT NULL GROUP BY request_id
"""

ACCURACY_SQL = """
SELECT p.model_version,
       count(*) AS n,
       avg(abs(ln(p.worldwide_gross) - ln(l.actual))) AS mae_log,
       median(abs(p.worldwide_gross - l.actual) / l.actual) AS mdape,
       avg(CASE WHEN l.actual BETWEEN p.low AND p.high THEN 1.0 ELSE 0.0 END) AS coverage
FROM predictions p JOIN latest l USING (request_id)
GROUP BY p.model_version ORDER BY p.model_version
"""

LABELLED_SQL = """
SELECT p.request_id, p.inputs, l.actual, l.title
FROM predictions p JOIN latest l USING (request_id) ORDER BY p.request_id
"""


def joined_rows(lake: Lake, sql: str, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of ``sql`` over the lake's ``predictions`` (only ``columns`` are read from each
    object), ``labels`` and ``latest`` (DuckDB)."""
    connection = duckdb.connect()
    try:
        connection.register("predictions", lake.read_predictions(columns=columns))
        connection.register("labels", read_labels(lake))
        connection.execute(LATEST_LABELS_SQL)
        result = connection.sql(sql)
        return [dict(zip(result.columns, row, strict=True)) for row in result.fetchall()]
    finally:
        connection.close()


def accuracy(lake: Lake) -> list[dict[str, Any]]:
    """Live metrics per model version: logged predictions joined with their labels."""
    columns = ["request_id", "model_version", "worldwide_gross", "low", "high"]
    return joined_rows(lake, ACCURACY_SQL, columns)


def labelled_requests(lake: Lake) -> list[dict[str, Any]]:
    """Logged inputs of every labelled request, with its observed gross (latest label)."""
    return joined_rows(lake, LABELLED_SQL, ["request_id", "inputs"])
