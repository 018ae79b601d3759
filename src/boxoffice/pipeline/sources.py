"""Each declared source onto the one schema: its column names, missing markers, the columns
it lacks, its value spellings and its date format. Pure: frames in, frames out."""

from __future__ import annotations

import pandas as pd

from boxoffice.core.data_params import SourceParams
from boxoffice.core.params import SchemaSpec


def _map_values(series: pd.Series, mapping: dict[str, str]) -> tuple[pd.Series, int]:
    mapped = series.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    changed = int((mapped != series).where(series.notna(), False).sum())
    return mapped, changed


def _iso_dates(series: pd.Series, fmt: str | None) -> pd.Series:
    """Dates parsed with the source's format become ISO; others stay as read, so that
    validation sees (and counts) what does not parse."""
    if fmt is None:
        return series
    parsed = pd.to_datetime(series, format=fmt, errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), series)


def to_schema(
    frame: pd.DataFrame, source: SourceParams, schema: SchemaSpec, *, map_values: bool = True
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` under the schema's column names, with what each step changed counted."""
    out = frame.rename(columns=source.columns).astype(object)
    counts: dict[str, int] = {}
    if source.missing_markers:
        marked = out.isin(source.missing_markers)
        counts["missing_marker"] = int(marked.to_numpy().sum())
        out = out.mask(marked, None)
    for column in source.lacks:
        if column not in out.columns:
            out[column] = None
    for column, mapping in source.values.items() if map_values else ():
        if column in out.columns:
            out[column], counts[f"mapped:{column}"] = _map_values(out[column], mapping)
    for spec in schema.features:
        if spec.kind == "date" and spec.column in out.columns:
            out[spec.column] = _iso_dates(out[spec.column], source.dates.get(spec.column))
    return out.astype(object), counts
