"""Stage 2, validate: type the raw snapshot, quarantine rows that break a rule, report."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, SchemaSpec, ValidationParams
from boxoffice.lake.storage import write_bytes_atomic, write_text_atomic
from boxoffice.pipeline.common import ROW_ID, StageError, log, run_stage, write_json
from boxoffice.pipeline.readers import fields_to_columns, read_raw
from boxoffice.pipeline.rules import Findings, check_columns, coerce_types, row_ids, violations

RULES_COLUMN = "broken_rules"


@dataclass
class ValidationResult:
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict[str, Any]


def validate_frame(
    frame: pd.DataFrame, *, schema: SchemaSpec, rules: ValidationParams
) -> ValidationResult:
    """Split ``frame`` into typed clean rows and quarantined rows named by the rules they broke."""
    check_columns(frame, schema)
    findings = Findings()
    typed = coerce_types(frame, schema, rules.max_unparseable_fraction, findings)
    for rule in rules.rules:
        findings.add(violations(rule, typed), rule.name)
    keep_cols = [*schema.required_columns()]
    typed = typed[keep_cols]
    typed.insert(0, ROW_ID, row_ids(typed, schema.id_columns))
    bad = sorted(findings.broken)
    mask = pd.Series(False, index=typed.index)
    mask.iloc[bad] = True
    clean = typed[~mask].reset_index(drop=True)
    quarantine = frame[mask.to_numpy()].copy()
    quarantine.insert(0, ROW_ID, typed.loc[mask, ROW_ID].to_numpy())
    quarantine[RULES_COLUMN] = [";".join(findings.broken[i]) for i in bad]
    if len(clean) < rules.min_rows:
        raise StageError(
            f"rule 'min_rows': {len(clean)} clean rows left, at least {rules.min_rows} needed"
        )
    counts = Counter(name for names in findings.broken.values() for name in names)
    report = {
        "rows_in": len(frame),
        "rows_clean": len(clean),
        "rows_quarantined": len(quarantine),
        "rules": {r.name: counts.get(r.name, 0) for r in rules.rules}
        | {k: v for k, v in counts.items() if k.startswith("type_")},
        "missing_share": {c: round(float(clean[c].isna().mean()), 4) for c in keep_cols},
    }
    return ValidationResult(clean=clean, quarantine=quarantine, report=report)


def report_markdown(report: dict[str, Any]) -> str:
    lines = [
        "## Data quality",
        "",
        f"{report['rows_in']} rows read, {report['rows_clean']} clean, "
        f"{report['rows_quarantined']} quarantined.",
        "",
        "| rule | rows broken |",
        "|---|---:|",
        *(f"| `{name}` | {n} |" for name, n in report["rules"].items()),
        "",
        "| column | missing share (clean rows) |",
        "|---|---:|",
        *(f"| {col} | {share:.1%} |" for col, share in report["missing_share"].items()),
    ]
    return "\n".join(lines) + "\n"


def run(params: Params, layout: Layout) -> ValidationResult:
    meta = json.loads(layout.snapshot_meta.read_text())
    frame = read_raw(layout.root / meta["path"], meta["format"])
    if meta.get("feedback"):
        # Labelled production traffic goes through exactly the same rules as the source.
        feedback = fields_to_columns(
            read_raw(layout.root / meta["feedback"]["path"], "jsonl"), params.feature_schema
        )
        frame = pd.concat([frame, feedback], ignore_index=True).astype(object)
    log("validate", f"{len(frame)} rows, {len(frame.columns)} columns")
    result = validate_frame(frame, schema=params.feature_schema, rules=params.validation)
    layout.clean.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(layout.clean, result.clean.to_parquet(index=False))
    write_bytes_atomic(layout.quarantine, result.quarantine.astype(str).to_parquet(index=False))
    write_json(layout.reports / "data_quality.json", result.report)
    write_text_atomic(layout.reports / "data_quality.md", report_markdown(result.report))
    log("validate", f"{len(result.clean)} clean, {len(result.quarantine)} quarantined")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("validate", run, argv)


if __name__ == "__main__":
    sys.exit(main())
