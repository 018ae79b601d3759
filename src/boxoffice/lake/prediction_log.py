"""The data lake and the prediction log's one contract.

The lake is a folder tree under a local path, ``gs://`` or ``s3://`` URL (fsspec).
Prediction logs land as ``<lake>/predictions/date=YYYY-MM-DD/<writer>-<seq>.parquet``. A
writer re-shipping the same segment after a crash writes the same object name, so each
prediction is stored once; after a compaction, readers skip the names a merged object holds
(:mod:`boxoffice.lake.manifest`).

A log record has one shape from the request to the lake: :func:`log_record` builds it
(the columns of ``LOG_SCHEMA``, the film's inputs as JSON text), :func:`spool_line`
serialises one request's records once, and :func:`read_spool_lines` parses those bytes once,
in Arrow, into the table the lake stores.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import fsspec
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from boxoffice.core.io import put_atomic
from boxoffice.lake.manifest import MANIFEST_KEY, ManifestError, unchanged, visible

PREDICTIONS = "predictions"
# The partition of records that carry no time at all (salvaged from an old spool).
NO_DATE = dt.date(1970, 1, 1)
# A compaction deletes objects after writing the one that holds them; a reader that lists
# before and reads after lists again (each deletion was a compaction's, one at a time).
_RELISTS = 5

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


class NoLakeError(ValueError):
    """A reader or a report was pointed at a lake that is not there (a mistyped URI, most
    often): said as such, not answered as an empty lake nor created anew."""


class Lake:
    def __init__(self, uri: str, **storage_options: Any) -> None:
        self.uri = uri.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.uri, **storage_options)

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def exists(self) -> bool:
        """Whether the lake's root is there at all (a mistyped one is not; see require)."""
        return bool(self.fs.exists(self.root))

    def require(self) -> Lake:
        """This lake, when it is there; else a :class:`NoLakeError` naming its URI and why.

        On a bucket an empty lake is no lake either: a prefix exists once an object is under
        it, so a lake nothing was shipped to yet reads as not there."""
        try:
            there = self.exists()
            kind = self.fs.info(self.root).get("type") if there else None
        except OSError as exc:  # credentials, network: not the same as "not there"
            raise NoLakeError(f"cannot reach the lake at {self.uri}: {exc}") from exc
        if not there:
            raise NoLakeError(f"no lake at {self.uri}: nothing was ever written there")
        if kind == "file":
            raise NoLakeError(f"no lake at {self.uri}: it is a file, not a folder")
        return self

    def prediction_object(self, date: str, writer: str, seq: int) -> str:
        return self.path(PREDICTIONS, f"date={date}", f"{writer}-{seq:08d}.parquet")

    def write_predictions(self, date: str, writer: str, seq: int, table: pa.Table) -> str:
        """Write one Parquet object; the same (date, writer, seq) always names the same object."""
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        target = self.prediction_object(date, writer, seq)
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        put_atomic(self.fs, target, buffer.getvalue())
        return target

    def partitions(self) -> list[str]:
        """The log's date partitions (``YYYY-MM-DD``, the UTC date of ``ts``), oldest first."""
        found = self.fs.glob(self.path(PREDICTIONS, "date=*"))
        return sorted(str(p).rsplit("date=", 1)[1] for p in found)

    def prediction_files(self, since: dt.date | None = None) -> list[str]:
        """The objects a reader reads, oldest partition first: each prediction in one of them
        (:mod:`boxoffice.lake.manifest`). With ``since``, only the partitions from that date
        on: their folder names say the date, so nothing older is listed or read."""
        start = since.isoformat() if since is not None else ""
        return [f for d in self.partitions() if d >= start for f in self.partition_objects(d)]

    def listed(self, date: str) -> list[str]:
        """Every object in one partition, as stored (superseded ones too)."""
        return sorted(self.fs.glob(self.path(PREDICTIONS, f"date={date}", "*.parquet")))

    def partition_objects(self, date: str, listed: list[str] | None = None) -> list[str]:
        """The objects of one partition that hold each of its predictions once."""
        return visible(self.listed(date) if listed is None else listed, self.manifest)

    def manifest(self, path: str) -> frozenset[str]:
        """The object names a compacted object holds (read from its Parquet footer)."""
        with self.fs.open(path, "rb") as handle:
            metadata = pq.read_metadata(handle).metadata or {}
        if MANIFEST_KEY not in metadata:
            raise ManifestError(f"{path} is named as compacted but has no manifest")
        return frozenset(orjson.loads(metadata[MANIFEST_KEY]))

    def read_predictions(
        self,
        files: Iterable[str] | None = None,
        *,
        since: dt.date | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """The logged predictions (``since``: only the partitions from that date on;
        ``columns``: only those columns are read from each object)."""
        schema = _schema(columns)
        if files is not None:
            tables = [self._read(p, schema) for p in files]
        else:
            start = since.isoformat() if since is not None else ""
            dates = [d for d in self.partitions() if d >= start]
            tables = [self.read_partition(d, schema) for d in dates]
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def read_partition(self, date: str, schema: pa.Schema = LOG_SCHEMA) -> pa.Table:
        """One partition's predictions, each once, even while a compaction runs.

        A listing is no snapshot (a local folder is read in batches, a bucket in pages): it
        can miss a merged object written meanwhile and the objects it then deleted. So the
        partition is listed again after the read; if an object read is gone or a compacted
        object appeared, the read is done again from the new listing.
        """
        for _ in range(_RELISTS):
            listed = self.listed(date)
            try:
                tables = [self._read(p, schema) for p in self.partition_objects(date, listed)]
            except FileNotFoundError:
                continue
            if unchanged(listed, self.listed(date)):
                return pa.concat_tables(tables) if tables else schema.empty_table()
        raise RuntimeError(f"partition {date} kept changing while it was read; try again")

    def latest(self, n: int, columns: list[str] | None = None) -> pa.Table:
        """At least the ``n`` newest predictions, if the lake holds them: partitions are read
        newest first until they hold ``n`` rows. Every row of a partition is newer than every
        row of an older one (the partition is the UTC date of ``ts``)."""
        schema = _schema(columns)
        tables, rows = [], 0
        for date in reversed(self.partitions()):
            if rows >= n:
                break
            tables.append(self.read_partition(date, schema))
            rows += tables[-1].num_rows
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def _read(self, path: str, schema: pa.Schema) -> pa.Table:
        with self.fs.open(path, "rb") as handle:
            stored = pq.ParquetFile(handle)
            present = [n for n in schema.names if n in stored.schema_arrow.names]
            table = stored.read(columns=present)
        return table.cast(schema) if table.schema == schema else _widen(table, schema)


def _schema(columns: list[str] | None) -> pa.Schema:
    """The log's schema, or the part of it that ``columns`` names (in the log's order)."""
    if columns is None:
        return LOG_SCHEMA
    unknown = sorted(set(columns) - set(LOG_SCHEMA.names))
    if unknown:
        raise ValueError(f"the prediction log has no column {', '.join(unknown)}")
    return pa.schema([f for f in LOG_SCHEMA if f.name in columns])


def log_record(
    *,
    request_id: str,
    ts: str,
    model_version: str,
    profile: str,
    route: str,
    inputs: Mapping[str, Any],
    worldwide_gross: float,
    low: float,
    high: float,
    level: float,
    latency_ms: float,
) -> dict[str, Any]:
    """One prediction's log record: the columns of ``LOG_SCHEMA``, ``ts`` as ISO text.

    The inputs go as JSON text with sorted keys: the request schema may change, the log's
    columns do not, and the same film reads as the same text.
    """
    return {
        "request_id": request_id,
        "ts": ts,
        "model_version": model_version,
        "profile": profile,
        "route": route,
        "inputs": orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS, default=str).decode(),
        "worldwide_gross": worldwide_gross,
        "low": low,
        "high": high,
        "level": level,
        "latency_ms": latency_ms,
    }


# A spool line is one request's records: ``{"records": [...]}`` and a newline. One line per
# request keeps a request whole (a torn line is a request never answered), and an object
# per line is what Arrow's JSON reader parses in one pass.
_LINE_SCHEMA = pa.schema([("records", pa.list_(pa.struct(list(LOG_SCHEMA))))])
# One thread: a serving worker's cores belong to its requests.
_ONE_THREAD = pa_json.ReadOptions(use_threads=False)
_PARSE = pa_json.ParseOptions(explicit_schema=_LINE_SCHEMA, unexpected_field_behavior="ignore")


def spool_line(records: list[dict[str, Any]]) -> bytes:
    """One request's records, serialised once (orjson writes dates as ISO text)."""
    return orjson.dumps({"records": records}, default=str) + b"\n"


def read_spool_lines(data: bytes) -> pa.Table:
    """The records of spool lines as a table of the log's schema, parsed once, in Arrow.

    A torn last line (a crash mid-write) is a request whose response was never sent: it is
    left out. Keys outside the schema are ignored, missing ones are null.

    Not ``pa.Table.from_pylist``: every Python-object path into Arrow first imports pandas
    when it is installed (pyarrow's pandas shim), which costs a serving worker about 50 MB
    and half a second of CPU at its first shipment. Arrow's JSON reader runs in C++.
    """
    body = data[: data.rfind(b"\n") + 1]
    if not body:
        return LOG_SCHEMA.empty_table()
    try:
        return _parsed(body)
    except pa.ArrowInvalid:  # a damaged line, or a spool written before this format
        return _salvaged(body)


def _parsed(body: bytes) -> pa.Table:
    lines = pa_json.read_json(io.BytesIO(body), parse_options=_PARSE, read_options=_ONE_THREAD)
    records = lines.column("records").combine_chunks().flatten()
    return pa.Table.from_struct_array(records).cast(LOG_SCHEMA)


def _salvaged(body: bytes) -> pa.Table:
    """The readable lines only, one by one. Spools of earlier versions held a request as a
    JSON list with the inputs as an object: they are read into today's records."""
    tables = [LOG_SCHEMA.empty_table()]
    for line in body.splitlines():
        try:
            value = orjson.loads(line)
            records = value.get("records", []) if isinstance(value, dict) else value
            line = spool_line([_as_text_inputs(r) for r in records if isinstance(r, dict)])
            # Each line alone: one that Arrow still refuses (a value of the wrong type) costs
            # itself, and never sends the segment round again (it would stay in the spool).
            tables.append(_parsed(line))
        except (orjson.JSONDecodeError, AttributeError, TypeError, pa.ArrowInvalid):
            continue
    return pa.concat_tables(tables)


def _as_text_inputs(record: dict[str, Any]) -> dict[str, Any]:
    inputs = record.get("inputs")
    if inputs is None or isinstance(inputs, str):
        return record
    return record | {"inputs": orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS).decode()}


def log_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Records as a table of the log's schema, by the spool's own path (one contract)."""
    return read_spool_lines(spool_line(rows)) if rows else LOG_SCHEMA.empty_table()


def by_date(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """The log's rows by their UTC date (the lake's partition), oldest first.

    A record without a time (a salvaged line of an old spool) goes with the segment's newest
    date rather than nowhere: a partition-less record would keep its segment from ever
    shipping. A segment with no time at all goes to ``NO_DATE``: its partition must follow
    from its content, so that a re-ship writes the same object again.
    """
    dates = pc.cast(table.column("ts"), pa.date32())
    known = pc.unique(pc.drop_null(dates)).sort()  # Arrow scalars: no Python object into Arrow
    if dates.null_count:
        newest = known[-1] if len(known) else pa.scalar(NO_DATE, pa.date32())
        dates = pc.fill_null(dates, newest)
        known = pc.unique(dates).sort()
    for date in known:
        yield date.as_py().isoformat(), table.filter(pc.equal(dates, date))


def _widen(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A log file of an older schema, with the columns it lacks as nulls."""
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
