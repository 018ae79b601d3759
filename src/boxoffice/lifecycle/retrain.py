"""Continuous training: newest base data + labelled feedback -> dvc repro -> gate -> promote.

Exit codes of ``boxoffice retrain`` (``exit_codes.ExitCode``): 0 promoted (or the same model
is production already), 3 not promoted (gate refused), 5 production changed while the gate
ran (nothing moved), 1 failed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from boxoffice.core.dvc_cli import run_dvc
from boxoffice.core.exit_codes import ExitCode
from boxoffice.core.io import write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, SchemaSpec
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.gate import Decision, Promotion, promote
from boxoffice.lifecycle.labels import labelled_requests
from boxoffice.lifecycle.lineage import version_extras
from boxoffice.lifecycle.registry import Registry, alias_for


class RetrainError(RuntimeError):
    """A step of the retrain failed; the message says which."""


@dataclass
class RetrainResult:
    code: int
    version: str
    decision: Decision | None  # None: the retrained model is the one already in production
    train_rows_before: int
    train_rows_after: int
    feedback_rows: int
    production_version: str | None
    # The other profiles' outcomes: each is gated on its own, and a refusal counts.
    others: dict[str, Promotion] = field(default_factory=dict)
    # Why a passing gate moved nothing: production changed while it ran.
    changed: str | None = None


def feedback_row(request: dict[str, Any], schema: SchemaSpec) -> dict[str, Any]:
    """A labelled request in the schema's field form, values as the API logged them.

    Validation renames the fields to the raw columns and reads ISO dates as they are; id
    columns that are not features (the title) keep their raw name.
    """
    inputs = json.loads(request["inputs"])
    row: dict[str, Any] = {s.field: inputs.get(s.field) for s in schema.features}
    row[schema.target.field] = request["actual"]
    features = {s.column for s in schema.features}
    for column in schema.id_columns:
        if column not in features:
            row[column] = request.get("title") or f"request {request['request_id']}"
    return row


def write_feedback(path: Path, rows: list[dict[str, Any]]) -> None:
    """The lake is the source of truth: the feedback file is rebuilt whole each time."""
    write_text_atomic(
        path, "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in rows)
    )


def _rows(path: Path) -> int:
    return pq.read_metadata(path).num_rows if path.exists() else 0


def dvc_repro(root: Path) -> None:
    done = run_dvc(["repro"], root)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        raise RetrainError(f"dvc repro failed ({done.returncode}): {done.stderr.strip()[-400:]}")


def retrain(
    params: Params, root: Path, lake: Lake, registry: Registry, params_path: Path | None = None
) -> RetrainResult:
    layout = Layout(root)
    before = _rows(layout.train)
    requests = labelled_requests(lake)
    if params.data.feedback:
        write_feedback(
            root / params.data.feedback, [feedback_row(r, params.feature_schema) for r in requests]
        )
    dvc_repro(root)
    source = params_path or root / "params.yaml"
    others = {
        other: publish(registry, params, Layout(root, other), version_extras(root, source, other))
        for other in params.profiles  # every profile is registered and gated on its own aliases
        if other != params.serve_profile and Layout(root, other).export_dir.exists()
    }
    promotion = publish(registry, params, layout, version_extras(root, source, layout.profile))
    return RetrainResult(
        code=exit_code([promotion, *others.values()]),
        version=promotion.version,
        decision=promotion.decision,
        train_rows_before=before,
        train_rows_after=_rows(layout.train),
        feedback_rows=len(requests),
        production_version=promotion.current,
        others=others,
        changed=str(promotion.changed) if promotion.changed else None,
    )


def exit_code(promotions: list[Promotion]) -> int:
    """NOT_PROMOTED when any profile's gate refused its candidate; a version that already is
    production (nothing changed) is not a refusal."""
    if any(p.changed is not None for p in promotions):
        return ExitCode.PRODUCTION_CHANGED
    refused = [p for p in promotions if not p.promoted and p.decision is not None]
    return ExitCode.NOT_PROMOTED if refused else ExitCode.OK


def publish(
    registry: Registry, params: Params, layout: Layout, extras: dict[str, bytes]
) -> Promotion:
    """Register one profile's export and put it through the one promotion path."""
    version = registry.register(layout.export_dir, extras)
    registry.set_alias(alias_for("candidate", layout.profile), version, "retrain")
    return promote(registry, version, params, layout.holdout, layout.profile, source="retrain")


def _others_markdown(others: dict[str, Promotion]) -> str:
    lines = []
    for name, p in others.items():
        if p.decision is None:
            lines.append(f"- `{name}`: {p.version} is already its production model.")
        else:
            verdict = (
                "promoted"
                if p.promoted
                else f"**not promoted** ({p.changed})"
                if p.changed
                else "**not promoted**"
            )
            lines.append(f"- `{name}`: {p.version} {verdict}: " + "; ".join(p.decision.reasons))
    return "\n## Other profiles\n\n" + "\n".join(lines) + "\n" if lines else ""


def report_markdown(result: RetrainResult) -> str:
    keys = ("mae_log", "r2_log", "r2", "mdape", "coverage")
    if result.decision is None:
        return (
            f"# Retrain: {result.version} is already production\n\nThe retrained model is"
            " byte for byte the one serving: nothing to gate or promote.\n"
            + _others_markdown(result.others)
        )
    cand, prod = result.decision.candidate, result.decision.production or {}

    def row(k: str) -> str:
        if not prod:
            return f"| {k} | {cand.get(k, float('nan')):.4f} | — | — |"
        new, old = cand.get(k, float("nan")), prod.get(k, float("nan"))
        return f"| {k} | {new:.4f} | {old:.4f} | {new - old:+.4f} |"

    rows = "\n".join(row(k) for k in keys)
    verdict = (
        f"not promoted: {result.changed}"
        if result.changed
        else "promoted to production"
        if result.decision.promote
        else "not promoted"
    )
    reasons = "\n".join(f"- {r}" for r in result.decision.reasons)
    return (
        f"# Retrain: {result.version} {verdict}\n\n"
        f"Training rows: {result.train_rows_before} -> {result.train_rows_after} "
        f"({result.feedback_rows} labelled requests from the lake).\n\n"
        f"| metric (frozen holdout) | candidate | production ({result.production_version})"
        " | diff |\n"
        f"|---|---:|---:|---:|\n{rows}\n\n## Gate\n\n{reasons}\n\n## Plots\n\n"
        "![predicted vs actual](predicted_vs_actual.png)\n![residuals](residuals.png)\n"
        "![importance](importance.png)\n" + _others_markdown(result.others)
    )
