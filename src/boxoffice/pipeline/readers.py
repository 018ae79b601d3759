"""Read a raw snapshot into a DataFrame of untyped values, whatever its format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from boxoffice.core.params import SchemaSpec
from boxoffice.pipeline.common import StageError


def fields_to_columns(frame: pd.DataFrame, schema: SchemaSpec) -> pd.DataFrame:
    """Rows in the schema's field form (feedback from the API's log) under the raw column names.

    Only names change; values (ISO dates included) go through validation as they are.
    """
    names = {s.field: s.column for s in schema.features} | {
        schema.target.field: schema.target.column
    }
    return frame.rename(columns=names)


def read_raw(path: Path, fmt: str) -> pd.DataFrame:
    """Values stay as read (object dtype) so validation sees what the file really holds."""
    data = path.read_bytes()
    if not data.strip():
        raise StageError(f"rule 'not_empty': {path.name} is empty")
    try:
        if fmt == "json":
            records = json.loads(data)
            if not isinstance(records, list):
                raise StageError(f"rule 'json_records': {path.name} must hold a list of objects")
            return pd.DataFrame.from_records(records).astype(object)
        if fmt == "jsonl":
            lines = [json.loads(line) for line in data.splitlines() if line.strip()]
            return pd.DataFrame.from_records(lines).astype(object)
        if fmt == "csv":
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            return frame.replace({"": None}).astype(object)
        return pd.read_parquet(io.BytesIO(data)).astype(object)
    except (json.JSONDecodeError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise StageError(f"rule 'readable': {path.name} is not valid {fmt}: {exc}") from exc
