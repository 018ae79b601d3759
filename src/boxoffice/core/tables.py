"""Files of rows in and out: CSV, Parquet or JSON lines, read as the rows they hold.

One reader for ``boxoffice predict`` and ``boxoffice labels add``: text must be UTF-8 (or
transcoded from a declared encoding), a JSON line is a row each (a line that is no JSON
object is an :class:`Unreadable` row, so one broken line costs only itself), and an output
is never written over the input nor over another output.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from boxoffice.core.io import write_bytes_atomic


class UnsupportedFormatError(ValueError):
    """The file's extension names no format we read or write."""


Row = dict[str, Any]


class Unreadable(str):
    """A row that is not a film at all (a JSON line that does not parse): why, for rejects."""


Rows = list[Row | Unreadable]


class SameFileError(ValueError):
    """An output path that is the input's, or another output's."""


def check_writable(source: Path, *paths: Path) -> None:
    """Fail before any scoring when an output's suffix names no format we write, or when an
    output is the input file itself (written last, it would replace the films scored)."""
    for i, path in enumerate(paths):
        file_format(path)
        if _same_file(path, source):
            raise SameFileError(f"{path} is the input file: write the output elsewhere")
        if any(_same_file(path, other) for other in paths[:i]):  # rejects over scored rows
            raise SameFileError(f"{path} is named for two outputs: give each its own path")


def _same_file(a: Path, b: Path) -> bool:
    """One file by two names: the same resolved path, or (both there) the same inode, as on
    a case-insensitive file system."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and a.samefile(b)


def file_format(path: Path) -> str:
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


def read_records(path: Path, encoding: str | None = None, text_columns: Iterable[str] = ()) -> Rows:
    """The file's rows as dicts: a JSON line each (one that is no JSON object is an
    :class:`Unreadable` row, so a type change between lines costs nothing), a CSV row each
    (``text_columns`` read as text, the others typed by Arrow), or a Parquet row each."""
    fmt = file_format(path)
    if fmt == "parquet":
        return list(pq.read_table(path).to_pylist())
    text = _utf8(path, encoding)
    if fmt == "jsonl":
        return [_json_row(line) for line in _json_lines(text.getvalue())]
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(text_columns, pa.string()))
    return list(pacsv.read_csv(text, convert_options=options).to_pylist())


def write_table(table: pa.Table, path: Path) -> None:
    fmt = file_format(path)
    buffer = io.BytesIO()
    if fmt == "csv":
        pacsv.write_csv(table, buffer)
    elif fmt == "parquet":
        pq.write_table(table, buffer)
    else:
        lines = (json.dumps(r, default=_json_value) + "\n" for r in table.to_pylist())
        buffer.write("".join(lines).encode())
    # Nobody reads a half-written output, and a failed run leaves no partial file.
    write_bytes_atomic(path, buffer.getvalue())


def _json_value(value: Any) -> str:
    """A date as ISO 8601 ("2009-12-18", a timestamp with its "T"), anything else as text."""
    return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)


def _json_lines(data: bytes) -> list[str]:
    """The lines of a JSON-lines text: split at "\n" only (str.splitlines also splits at
    U+2028 and U+0085, which JSON allows inside a string), a "\r" before it dropped, a
    leading byte-order mark ignored, and no empty line after the last newline."""
    lines = data.decode("utf-8-sig").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _json_row(line: str) -> Row | Unreadable:
    # Each line is a row, a blank one too: row numbers are the file's line numbers.
    if not line.strip():
        return Unreadable("blank line")
    try:
        value = json.loads(line)
    except ValueError as exc:
        return Unreadable(f"not JSON: {exc.args[0]}")
    return value if isinstance(value, dict) else Unreadable("not a JSON object")


def file_columns(rows: Rows) -> set[str]:
    """Every column some readable row of the file has."""
    return {column for row in rows if not isinstance(row, Unreadable) for column in row}
