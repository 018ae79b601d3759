"""Batch scoring of a file (CSV, Parquet or JSON lines) with the serving predictor.

Rows that fail the API's validation go to a rejects file with their row number and reason.
A bad cell costs its own row, never the file: the films' columns are read as text and each
cell is read on its own, where a file reader's type inference would make one "fifty" in a
budget column turn every budget into text, or a JSON line with a string budget fail them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.request_errors import Notes, readable
from boxoffice.core.request_model import field_notes, film_model
from boxoffice.core.signature import Signature
from boxoffice.core.tables import (
    Row,
    Rows,
    Unreadable,
    file_columns,
    file_format,
    read_records,
    write_table,
)

CHUNK = 1000


@dataclass
class BatchSummary:
    rows: int
    scored: int
    rejected: int


class MissingColumnsError(ValueError):
    """The input file lacks columns every film needs."""


class WithheldColumnsError(ValueError):
    """The input file sends a field this model's profile does not take (known only later)."""


def _problems(exc: ValidationError, notes: Notes) -> str:
    return "; ".join(f"{d['field']}: {d['problem']}" for d in readable(exc.errors(), notes))


def _sent(value: Any) -> bool:
    """A blank cell means unknown, text or number alike (a blank text cell was refused,
    "String should have at least 1 character", where a blank number was unknown)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _chunks(rows: Rows) -> Iterator[tuple[int, Rows]]:
    for start in range(0, len(rows), CHUNK):
        yield start, rows[start : start + CHUNK]


def read_rows(path: Path, signature: Signature, encoding: str | None = None) -> Rows:
    """The file's rows, each cell of a film's field as sent: text, number or date as the file
    holds it, so validation judges the cell and the row alone."""
    kinds = {i.field: i.kind for i in signature.inputs if i.kind != "date"}
    # A CSV's films' columns as text, then a number per cell: Arrow's inference would type
    # a column by its worst cell.
    rows = read_records(path, encoding, kinds)
    if file_format(path) != "csv":
        return rows
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    dates = [i.field for i in signature.inputs if i.kind == "date"]
    for row in rows:
        if isinstance(row, Unreadable):  # none in a CSV: only a JSON line can be
            continue
        for name in numeric:
            if name in row:  # a column the file lacks stays absent: it is named as missing
                row[name] = _number(row[name])
        for name in dates:  # a padded cell (" 2009-12-18", "a, b" style), as a number's is
            if isinstance(row.get(name), str):
                row[name] = row[name].strip()
    return list(rows)


def _number(cell: Any) -> Any:
    """A CSV cell as a number when it reads as one, None when blank; else as sent, for
    validation to refuse."""
    if not isinstance(cell, str):
        return cell
    if not cell.strip():
        return None
    try:
        return float(cell)
    except ValueError:
        return cell


def score_rows(
    predictor: OnnxPredictor,
    rows: Rows,
    name: str,
    outputs: tuple[Path, Path],
    progress: Callable[[int], None] = lambda n: None,
) -> BatchSummary:
    """Score ``rows`` read from the file ``name``; write (scored, rejects) ``outputs``."""
    output, rejects = outputs
    signature = predictor.signature
    _require_columns(signature, rows, name)
    scored: list[Row] = []
    rejected: list[Row] = []
    film = film_model(signature)
    problems = field_notes(signature)
    fields = {i.field for i in signature.inputs}
    for start, chunk in _chunks(rows):
        valid: list[tuple[Row, BaseModel]] = []
        for number, row in enumerate(chunk, start + 1):
            if isinstance(row, Unreadable):
                rejected.append({"row": number, "reason": str(row)})
                continue
            clean = {k: v for k, v in row.items() if k in fields and _sent(v)}
            try:
                valid.append((row, film.model_validate(clean)))
            except ValidationError as exc:
                rejected.append({"row": number, "reason": _problems(exc, problems)})
        scored.extend(_scored(predictor, fields, valid))
        progress(len(chunk))
    write_table(_table(scored), output)
    rejects_schema = pa.schema([("row", pa.int64()), ("reason", pa.string())])
    write_table(pa.Table.from_pylist(rejected, schema=rejects_schema), rejects)
    return BatchSummary(rows=len(rows), scored=len(scored), rejected=len(rejected))


def _table(rows: list[Row]) -> pa.Table:
    """The scored rows as a table; a column the caller's file carries through with mixed
    types (a JSON line's number beside another's text) is written as text."""
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        kinds: dict[str, set[type]] = {}
        for row in rows:
            for name, value in row.items():
                if value is not None:
                    kinds.setdefault(name, set()).add(type(value))
        mixed = {name for name, seen in kinds.items() if len(seen) > 1}
        return pa.Table.from_pylist(
            [{k: str(v) if k in mixed and v is not None else v for k, v in r.items()} for r in rows]
        )


def misspelt_columns(signature: Signature, rows: Rows) -> dict[str, str]:
    """Columns that are no field of the model but close to one ("prodution_budget"), each
    with that field: carried through unread, so the film would be scored as if unknown."""
    fields = [i.field for i in signature.inputs] + sorted(signature.withheld)
    folded = {field.casefold(): field for field in fields}  # "MPAA_RATING" is mpaa_rating
    near = {
        name: difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.8)
        for name in sorted(file_columns(rows) - set(fields))
    }
    return {name: folded[close[0]] for name, close in near.items() if close}


def _require_columns(signature: Signature, rows: Rows, name: str) -> None:
    """Every film needs the required columns; a field this profile withholds (known only
    after release) would be dropped without a word, so the file is refused up front, as
    the API refuses the request, naming where the field is taken."""
    fields = {i.field for i in signature.inputs}
    names = file_columns(rows)
    missing = [i.field for i in signature.inputs if i.required and i.field not in names]
    if missing and rows:
        raise MissingColumnsError(
            f"{name} has no column {', '.join(missing)}: expected the API's field names"
            f" ({', '.join(sorted(fields))}); found {', '.join(sorted(names))}"
        )
    sent = sorted(
        field
        for field in signature.withheld
        if any(not isinstance(r, Unreadable) and _sent(r.get(field)) for r in rows)
    )
    if sent:
        raise WithheldColumnsError(
            f"{name} sends {', '.join(sent)}, known only after release: the"
            f" {signature.profile} model does not take it; score with the model that does"
            f" ({signature.withheld[sent[0]]} serves it) or leave the column out"
        )


def _scored(
    predictor: OnnxPredictor, fields: set[str], valid: list[tuple[Row, BaseModel]]
) -> list[Row]:
    """The valid rows of a chunk with their forecast, range and the API's warnings."""
    if not valid:
        return []
    films = [f.model_dump() for _, f in valid]
    raw = {name: [f.get(name) for f in films] for name in fields}
    columns, notes = predictor.edges.check(raw, len(films))
    out = predictor.predict(columns, n_rows=len(films))
    # The date as the model read it: a file's timestamp cell (pandas' dates, with a zone)
    # written back through Arrow came out shifted by its zone's offset.
    date = predictor.signature.date_field()
    return [
        row
        | ({date: films[i][date]} if date else {})
        | {
            "worldwide_gross": float(out.value[i]),
            "interval_low": float(out.low[i]),
            "interval_high": float(out.high[i]),
            # What the API would warn about, one message per line.
            "warnings": "\n".join(n["message"] for n in notes[i]),
        }
        for i, (row, _) in enumerate(valid)
    ]
