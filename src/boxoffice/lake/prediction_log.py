"""The data lake: a folder tree under a local path, ``gs://`` or ``s3://`` URL (fsspec).

Prediction logs land as ``<lake>/predictions/date=YYYY-MM-DD/<writer>-<seq>.parquet``. A
writer re-shipping the same segment after a crash writes the same object name, so each
prediction is stored once.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import fsspec
import orjson
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from boxoffice.core.io import put_atomic

PREDICTIONS = "predictions"

LOG_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("model_version", pa.string()),
        ("profile", pa.string()),
        ("route", pa.string()),
        ("inputs", pa.string()),  # the film as JSON: the schema may change, the log does not
        ("worldwide_gross", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("level", pa.float64()),
        ("latency_ms", pa.float64()),
    ]
)


class Lake:
    def __init__(self, uri: str, **storage_options: Any) -> None:
        self.uri = uri.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.uri, **storage_options)

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def exists(self) -> bool:
        """Whether the lake's root is there at all (an empty lake is, a mistyped one not)."""
        return bool(self.fs.exists(self.root))

    def prediction_object(self, date: str, writer: str, seq: int) -> str:
        return self.path(PREDICTIONS, f"date={date}", f"{writer}-{seq:08d}.parquet")

    def write_predictions(
        self, date: str, writer: str, seq: int, rows: list[dict[str, Any]]
    ) -> str:
        """Write one Parquet object; the same (date, writer, seq) always names the same object."""
        table = log_table(rows)
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        target = self.prediction_object(date, writer, seq)
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        put_atomic(self.fs, target, buffer.getvalue())
        return target

    def prediction_files(self) -> list[str]:
        pattern = self.path(PREDICTIONS, "date=*", "*.parquet")
        return sorted(self.fs.glob(pattern))

    def read_predictions(self, files: Iterable[str] | None = None) -> pa.Table:
        paths = list(files) if files is not None else self.prediction_files()
        if not paths:
            return LOG_SCHEMA.empty_table()
        tables = [pq.read_table(self.fs.open(p, "rb")) for p in paths]
        # Files written before a column was added read with it null.
        return pa.concat_tables(
            [t.cast(LOG_SCHEMA) if t.schema == LOG_SCHEMA else _widen(t) for t in tables]
        )


# One thread: a serving worker's cores belong to its requests.
_ONE_THREAD = pa_json.ReadOptions(use_threads=False)
_PARSE = pa_json.ParseOptions(explicit_schema=LOG_SCHEMA, unexpected_field_behavior="ignore")


def log_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The rows as a table of the log's schema, through Arrow's own JSON reader.

    Not ``pa.Table.from_pylist``: every Python-object path into Arrow first imports pandas
    when it is installed (pyarrow's pandas shim), which costs a serving worker about 50 MB
    and half a second of CPU at its first shipment. Arrow's JSON reader runs in C++; it
    costs a few milliseconds more per 1,000 records than ``from_pylist``
    (bench/results/profile.md), in the shipper's thread, off the request path. Keys outside
    the schema are ignored, missing ones are null, as ``from_pylist`` did.
    """
    if not rows:
        return LOG_SCHEMA.empty_table()
    lines = b"\n".join(orjson.dumps(row, default=str) for row in rows)
    table = pa_json.read_json(io.BytesIO(lines), parse_options=_PARSE, read_options=_ONE_THREAD)
    return table.select(LOG_SCHEMA.names).cast(LOG_SCHEMA)


def _widen(table: pa.Table) -> pa.Table:
    """A log file of an older schema, with the columns it lacks as nulls."""
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in LOG_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=LOG_SCHEMA)
