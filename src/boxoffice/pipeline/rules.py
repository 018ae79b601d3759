"""Data-quality rules declared in ``params.yaml``: column types, file rules and row rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from boxoffice.core.params import Rule, SchemaSpec
from boxoffice.pipeline.common import StageError


@dataclass
class Findings:
    """Row rules each row broke (by position), and per-column parse failures."""

    broken: dict[int, list[str]] = field(default_factory=dict)

    def add(self, mask: pd.Series, name: str) -> None:
        for pos in mask.to_numpy().nonzero()[0]:
            self.broken.setdefault(int(pos), []).append(name)


def column_types(schema: SchemaSpec) -> dict[str, tuple[str, str | None]]:
    """Declared type of each required column, with the date format where there is one."""
    types: dict[str, tuple[str, str | None]] = {c: ("string", None) for c in schema.id_columns}
    types[schema.target.column] = ("numeric", None)
    for spec in schema.features:
        types[spec.column] = (spec.kind if spec.kind != "categorical" else "string", spec.format)
    return types


def check_columns(frame: pd.DataFrame, schema: SchemaSpec) -> None:
    if frame.empty:
        raise StageError("rule 'not_empty': the file has no rows")
    for column in schema.required_columns():
        if column not in frame.columns:
            raise StageError(f"rule 'required_columns': column '{column}' is missing")


def _coerce(series: pd.Series, kind: str, fmt: str | None) -> pd.Series:
    if kind == "numeric":
        numeric = series.map(lambda v: v if not isinstance(v, bool) else None)
        return pd.to_numeric(numeric, errors="coerce").astype("float64")
    if kind == "date":
        parsed = pd.to_datetime(series, format=fmt or "ISO8601", errors="coerce")
        if fmt:
            # ISO 8601 is unambiguous, so it is read too: feedback rows carry the API's dates.
            iso = pd.to_datetime(series.where(parsed.isna()), format="ISO8601", errors="coerce")
            parsed = parsed.fillna(iso)
        return parsed
    return series.map(lambda v: None if v is None or v != v else str(v)).astype(object)


def coerce_types(
    frame: pd.DataFrame, schema: SchemaSpec, max_bad_share: float, findings: Findings
) -> pd.DataFrame:
    """Parse each declared column; a column mostly unparseable breaks the file."""
    typed = frame.copy()
    for column, (kind, fmt) in column_types(schema).items():
        raw = frame[column]
        parsed = _coerce(raw, kind, fmt)
        present = raw.map(lambda v: v is not None and v == v and v != "")
        bad = present & parsed.isna()
        share = float(bad.sum()) / max(int(present.sum()), 1)
        if share > max_bad_share:
            sample = raw[bad].iloc[0]
            raise StageError(
                f"rule 'parseable': column '{column}' is not {kind}"
                f" ({share:.0%} of values fail to parse, e.g. {sample!r})"
            )
        findings.add(bad, f"type_{kind}:{column}")
        typed[column] = parsed
    if typed[schema.target.column].isna().all():
        raise StageError(f"rule 'target_not_all_null': column '{schema.target.column}' is empty")
    return typed


def _bound(value: float | str | None, series: pd.Series) -> object:
    if value is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.Timestamp(str(value))
    return float(value)


def violations(rule: Rule, typed: pd.DataFrame) -> pd.Series:
    """Boolean mask of rows that break ``rule``; nulls only break ``not_null``."""
    if rule.check == "unique":
        return typed.duplicated(subset=rule.columns, keep="first")
    series = typed[str(rule.column)]
    if rule.check == "not_null":
        return series.isna()
    if rule.check == "allowed":
        return series.notna() & ~series.isin(rule.values or [])
    if rule.check == "pattern":
        text = series.map(lambda v: "" if v is None or v != v else str(v))
        matched: pd.Series = text.str.contains(str(rule.pattern), regex=True)
        return matched & series.notna()
    if rule.check == "not_month_day":
        if not pd.api.types.is_datetime64_any_dtype(series):
            raise StageError(f"rule '{rule.name}': column '{rule.column}' is not a date")
        on_day: pd.Series = series.dt.strftime("%m-%d").isin(rule.values or [])
        return on_day & series.notna()
    low, high = _bound(rule.min, series), _bound(rule.max, series)
    bad = pd.Series(False, index=typed.index)
    if low is not None:
        bad |= series < low
    if high is not None:
        bad |= series > high
    return bad & series.notna()


def row_ids(typed: pd.DataFrame, id_columns: list[str]) -> pd.Series:
    """A stable id per film from its identifying columns (dates as ISO)."""

    def one(row: pd.Series) -> str:
        parts = [
            v.date().isoformat() if isinstance(v, pd.Timestamp) else ("" if v is None else str(v))
            for v in row
        ]
        return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:16]

    return typed[id_columns].apply(one, axis=1)
