"""Stage 2, validate: each source onto the schema and typed; rows that break a rule are
quarantined by the rule's name; the same film in several sources is merged; a report."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from boxoffice.core.data_params import FEEDBACK_SOURCE, MatchParams, SourceParams
from boxoffice.core.io import write_bytes_atomic, write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, SchemaSpec, ValidationParams
from boxoffice.pipeline.common import ROW_ID, StageError, log, run_stage, write_json
from boxoffice.pipeline.matching import SOURCES_COLUMN, assign_films, merge
from boxoffice.pipeline.quality import match_report, report_markdown
from boxoffice.pipeline.readers import fields_to_columns, read_raw
from boxoffice.pipeline.rules import Findings, check_columns, coerce_types, row_ids, violations
from boxoffice.pipeline.sources import to_schema

RULES_COLUMN = "broken_rules"
SOURCE_COLUMN = "data_source"

__all__ = ["RULES_COLUMN", "ValidationResult", "report_markdown", "run", "validate_frame"]


@dataclass
class ValidationResult:
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]
    # Per source: its typed clean rows before the merge, their film numbers and their
    # positions in the source as read (the match report reads them).
    by_source: dict[str, pd.DataFrame] = field(default_factory=dict)
    films: dict[str, Any] = field(default_factory=dict)
    positions: dict[str, Any] = field(default_factory=dict)


def check_source(
    frame: pd.DataFrame, *, schema: SchemaSpec, rules: ValidationParams, source: str | None
) -> ValidationResult:
    """One source's typed clean rows and its quarantine; no row ids, no merge."""
    check_columns(frame, schema)
    findings = Findings()
    typed = coerce_types(frame, schema, rules.max_unparseable_fraction, findings)
    chosen = [r for r in rules.rules if r.applies_to(source)]
    blanked: Counter[str] = Counter()
    for rule in (r for r in chosen if r.action == "blank"):  # cells first: rows may survive
        cells = violations(rule, typed)
        blanked[rule.name] = int(cells.sum())
        typed.loc[cells, str(rule.column)] = None
    for rule in (r for r in chosen if r.action == "quarantine"):
        findings.add(violations(rule, typed), rule.name)
    keep_cols = schema.required_columns()
    bad = sorted(findings.broken)
    mask = pd.Series(False, index=typed.index)
    mask.iloc[bad] = True
    clean = typed.loc[~mask.to_numpy(), keep_cols].reset_index(drop=True)
    positions = (~mask).to_numpy().nonzero()[0]
    quarantine = frame[mask.to_numpy()].copy()
    quarantine.insert(0, ROW_ID, row_ids(typed.loc[mask, keep_cols], schema.id_columns).to_numpy())
    quarantine[RULES_COLUMN] = [";".join(findings.broken[i]) for i in bad]
    counts = Counter(name for names in findings.broken.values() for name in names)
    report = {
        "rows_in": len(frame),
        "rows_clean": len(clean),
        "rows_quarantined": len(quarantine),
        "rules": {r.name: counts.get(r.name, 0) for r in chosen if r.action == "quarantine"}
        | {k: v for k, v in counts.items() if k.startswith("type_")},
        "cells_blanked": dict(blanked),
    }
    return ValidationResult(
        clean=clean, quarantine=quarantine, report=report, positions={"rows": positions}
    )


def validate_frame(
    frame: pd.DataFrame,
    *,
    schema: SchemaSpec,
    rules: ValidationParams,
    source: str | None = None,
) -> ValidationResult:
    """One frame already in the schema's columns (a single source): typed clean rows with
    their ids, and quarantined rows named by the rules they broke."""
    return finish(
        {source or "main": frame}, schema=schema, rules=rules, params=None, scoped=bool(source)
    )


def finish(
    frames: dict[str, pd.DataFrame],
    *,
    schema: SchemaSpec,
    rules: ValidationParams,
    params: Params | None,
    scoped: bool = True,
) -> ValidationResult:
    """Check each source, merge the same film across them, give each film its row id.

    ``scoped``: a rule declared for some sources applies to those only (else to every frame).
    """
    checked = {
        name: check_source(frame, schema=schema, rules=rules, source=name if scoped else None)
        for name, frame in frames.items()
    }
    clean_by = {name: result.clean for name, result in checked.items()}
    match = params.data.match if params else MatchParams()
    title, date = schema.id_columns[0], _date_column(schema)
    ids = assign_films(clean_by, title=title, date=date, within_days=match.within_days)
    merged = merge(clean_by, ids, match)
    merged = merged[[*schema.required_columns(), SOURCES_COLUMN]]
    merged.insert(0, ROW_ID, row_ids(merged, schema.id_columns))
    if len(merged) < rules.min_rows:
        raise StageError(
            f"rule 'min_rows': {len(merged)} clean rows left, at least {rules.min_rows} needed"
        )
    quarantine = pd.concat(
        [r.quarantine.assign(**{SOURCE_COLUMN: n}) for n, r in checked.items()], ignore_index=True
    )
    return ValidationResult(
        clean=merged,
        quarantine=quarantine,
        report=_merged_report(checked, merged, quarantine, schema=schema, rules=rules),
        by_source=clean_by,
        films=ids,
        positions={n: r.positions["rows"] for n, r in checked.items()},
    )


def _merged_report(
    checked: dict[str, ValidationResult],
    merged: pd.DataFrame,
    quarantine: pd.DataFrame,
    *,
    schema: SchemaSpec,
    rules: ValidationParams,
) -> dict[str, Any]:
    """The sources' counts summed over the merged films, each source's own report kept."""
    totals: Counter[str] = Counter()
    for result in checked.values():
        totals.update(result.report["rules"])
    return {
        "rows_in": sum(r.report["rows_in"] for r in checked.values()),
        "rows_clean": len(merged),
        "rows_quarantined": len(quarantine),
        "rules": {r.name: totals.get(r.name, 0) for r in rules.rules if r.action == "quarantine"}
        | {k: v for k, v in totals.items() if k.startswith("type_")},
        "missing_share": {
            c: round(float(merged[c].isna().mean()), 4) for c in schema.required_columns()
        },
        "sources": {n: r.report for n, r in checked.items()},
    }


def _date_column(schema: SchemaSpec) -> str:
    dated = [f.column for f in schema.features if f.kind == "date"]
    date_ids = [c for c in schema.id_columns if c in dated]
    return (date_ids or dated or schema.id_columns)[0]


def source_frames(params: Params, layout: Layout, *, map_values: bool = True) -> dict[str, Any]:
    """Each snapshot read and put onto the schema, keyed by source name (feedback last)."""
    meta = json.loads(layout.snapshot_meta.read_text())
    declared = {s.name: s for s in params.data.sources}
    frames: dict[str, pd.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    for snap in meta["sources"]:
        spec = declared.get(snap["name"], SourceParams(name=snap["name"], uri=snap["source"]))
        raw = read_raw(layout.root / snap["path"], snap["format"])
        frames[spec.name], counts[spec.name] = to_schema(
            raw, spec, params.feature_schema, map_values=map_values
        )
    if meta.get("feedback"):
        # Labelled production traffic: the schema's field names and ISO dates, same rules.
        feedback = read_raw(layout.root / meta["feedback"]["path"], "jsonl")
        frames[FEEDBACK_SOURCE] = fields_to_columns(feedback, params.feature_schema).astype(object)
    return {"frames": frames, "counts": counts}


def run(params: Params, layout: Layout) -> ValidationResult:
    read = source_frames(params, layout)
    frames: dict[str, pd.DataFrame] = read["frames"]
    log("validate", ", ".join(f"{n}: {len(f)} rows" for n, f in frames.items()))
    result = finish(frames, schema=params.feature_schema, rules=params.validation, params=params)
    for name, counts in read["counts"].items():
        result.report["sources"][name]["mapping"] = counts
    if len(frames) > 1:
        unmapped = source_frames(params, layout, map_values=False)["frames"]
        result.report["match"] = match_report(result, unmapped, params)
    layout.clean.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(layout.clean, result.clean.to_parquet(index=False))
    write_bytes_atomic(layout.quarantine, result.quarantine.astype(str).to_parquet(index=False))
    write_json(layout.reports / "data_quality.json", result.report)
    write_text_atomic(layout.reports / "data_quality.md", report_markdown(result.report))
    log("validate", f"{len(result.clean)} films, {len(result.quarantine)} rows quarantined")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("validate", run, argv)


if __name__ == "__main__":
    sys.exit(main())
