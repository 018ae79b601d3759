"""Batch scoring of a file (CSV, Parquet or JSON lines) with the serving predictor.

Rows that fail the API's validation go to a rejects file with their row number and reason.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from boxoffice.core.io import write_bytes_atomic
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.request_errors import Notes, readable
from boxoffice.core.request_model import field_notes, film_model

CHUNK = 1000


class UnsupportedFormatError(ValueError):
    """The file's extension names no format we read or write."""


@dataclass
class BatchSummary:
    rows: int
    scored: int
    rejected: int


class MissingColumnsError(ValueError):
    """The input file lacks columns every film needs."""


def check_writable(*paths: Path) -> None:
    """Fail before any scoring when an output's suffix names no format we write."""
    for path in paths:
        _format(path)


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    formats = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
    if suffix not in formats:
        raise UnsupportedFormatError(f"{path.name}: use .csv, .parquet or .jsonl")
    return formats[suffix]


class NotUtf8Error(ValueError):
    """A text file that is not UTF-8, read without a declared encoding."""


def _utf8(path: Path, encoding: str | None) -> io.BytesIO:
    """The file's text as UTF-8 bytes: transcoded from ``encoding`` when given; else it must
    be UTF-8 already (Arrow would otherwise keep the raw bytes, "b'Am\\xe9lie'")."""
    data = path.read_bytes()
    if encoding:
        return io.BytesIO(data.decode(encoding).encode("utf-8"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(
            f"{path.name} is not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start};"
            " give its encoding (--encoding latin-1, for example)"
        ) from exc
    return io.BytesIO(data)


def read_table(path: Path, encoding: str | None = None) -> pa.Table:
    fmt = _format(path)
    if fmt == "parquet":
        return pq.read_table(path)
    text = _utf8(path, encoding)
    return pacsv.read_csv(text) if fmt == "csv" else pajson.read_json(text)


def write_table(table: pa.Table, path: Path) -> None:
    fmt = _format(path)
    buffer = io.BytesIO()
    if fmt == "csv":
        pacsv.write_csv(table, buffer)
    elif fmt == "parquet":
        pq.write_table(table, buffer)
    else:
        buffer.write("".join(json.dumps(r, default=str) + "\n" for r in table.to_pylist()).encode())
    # Nobody reads a half-written output, and a failed run leaves no partial file.
    write_bytes_atomic(path, buffer.getvalue())


def _problems(exc: ValidationError, notes: Notes) -> str:
    return "; ".join(f"{d['field']}: {d['problem']}" for d in readable(exc.errors(), notes))


def _sent(value: Any) -> bool:
    """A blank cell means unknown, text or number alike (a blank text cell was refused,
    "String should have at least 1 character", where a blank number was unknown)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _chunks(rows: list[dict[str, Any]]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    for start in range(0, len(rows), CHUNK):
        yield start, rows[start : start + CHUNK]


def score_file(
    predictor: OnnxPredictor,
    source: Path,
    output: Path,
    rejects: Path,
    progress: Callable[[int], None] = lambda n: None,
    encoding: str | None = None,
) -> BatchSummary:
    check_writable(output, rejects)
    table = read_table(source, encoding)
    _require_columns(predictor, table, source)
    rows = table.to_pylist()
    scored: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    film = film_model(predictor.signature)
    problems = field_notes(predictor.signature)
    fields = {i.field for i in predictor.signature.inputs}
    for start, chunk in _chunks(rows):
        valid: list[tuple[dict[str, Any], BaseModel]] = []
        for offset, row in enumerate(chunk):
            clean = {k: v for k, v in row.items() if k in fields and _sent(v)}
            try:
                valid.append((row, film.model_validate(clean)))
            except ValidationError as exc:
                rejected.append({"row": start + offset + 1, "reason": _problems(exc, problems)})
        scored.extend(_scored(predictor, fields, valid))
        progress(len(chunk))
    write_table(pa.Table.from_pylist(scored), output)
    write_table(
        pa.Table.from_pylist(
            rejected, schema=pa.schema([("row", pa.int64()), ("reason", pa.string())])
        ),
        rejects,
    )
    return BatchSummary(rows=len(rows), scored=len(scored), rejected=len(rejected))


def _require_columns(predictor: OnnxPredictor, table: pa.Table, source: Path) -> None:
    fields = {i.field for i in predictor.signature.inputs}
    required = [i.field for i in predictor.signature.inputs if i.required]
    missing = [name for name in required if name not in table.column_names]
    if missing:
        raise MissingColumnsError(
            f"{source.name} has no column {', '.join(missing)}: expected the API's field names"
            f" ({', '.join(sorted(fields))}); found {', '.join(table.column_names)}"
        )


def _scored(
    predictor: OnnxPredictor, fields: set[str], valid: list[tuple[dict[str, Any], BaseModel]]
) -> list[dict[str, Any]]:
    """The valid rows of a chunk with their forecast, range and the API's warnings."""
    if not valid:
        return []
    films = [f.model_dump() for _, f in valid]
    raw = {name: [f.get(name) for f in films] for name in fields}
    columns, notes = predictor.edges.check(raw, len(films))
    out = predictor.predict(columns, n_rows=len(films))
    return [
        row
        | {
            "worldwide_gross": float(out.value[i]),
            "interval_low": float(out.low[i]),
            "interval_high": float(out.high[i]),
            # What the API would warn about, one message per line.
            "warnings": "\n".join(n["message"] for n in notes[i]),
        }
        for i, (row, _) in enumerate(valid)
    ]
