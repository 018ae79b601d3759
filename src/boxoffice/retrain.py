"""Continuous training: newest base data + labelled feedback -> dvc repro -> gate -> promote.

Exit codes of ``boxoffice retrain``: 0 promoted, 3 not better (gate refused), 1 failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess  # nosec B404
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from boxoffice.feedback import joined_rows
from boxoffice.gate import Decision, decide, score
from boxoffice.lake import Lake
from boxoffice.lineage import version_extras
from boxoffice.params import Params, SchemaSpec
from boxoffice.pipeline.layout import Layout
from boxoffice.registry import AliasNotSetError, Registry, alias_for

PROMOTED, FAILED, NOT_BETTER = 0, 1, 3

LABELLED_SQL = """
WITH latest AS (
    SELECT request_id, arg_max(worldwide_gross, added_at) AS actual,
           arg_max(title, added_at) AS title
    FROM labels WHERE request_id IS NOT NULL GROUP BY request_id
)
SELECT p.request_id, p.inputs, l.actual, l.title
FROM predictions p JOIN latest l USING (request_id) ORDER BY p.request_id
"""


class RetrainError(RuntimeError):
    """A step of the retrain failed; the message says which."""


@dataclass
class RetrainResult:
    code: int
    version: str
    decision: Decision
    train_rows_before: int
    train_rows_after: int
    feedback_rows: int
    production_version: str | None


def labelled_requests(lake: Lake) -> list[dict[str, Any]]:
    """Logged inputs of every labelled request, with its observed gross (latest label)."""
    return joined_rows(lake, LABELLED_SQL)


def to_raw(request: dict[str, Any], schema: SchemaSpec) -> dict[str, Any]:
    """A labelled request as a row of the raw data (raw column names and formats)."""
    inputs = json.loads(request["inputs"])
    row: dict[str, Any] = {schema.target.column: request["actual"]}
    for spec in schema.features:
        value = inputs.get(spec.field)
        if spec.kind == "date" and value is not None and spec.format:
            value = dt.date.fromisoformat(str(value)[:10]).strftime(spec.format)
        row[spec.column] = value
    for column in schema.id_columns:
        row.setdefault(column, request.get("title") or f"request {request['request_id']}")
    return row


def write_feedback(path: Path, rows: list[dict[str, Any]]) -> None:
    """The lake is the source of truth: the feedback file is rebuilt whole each time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in rows))
    tmp.replace(path)


def _rows(path: Path) -> int:
    return pq.read_metadata(path).num_rows if path.exists() else 0


def dvc_repro(root: Path) -> None:
    bin_dir = Path(sys.executable).parent
    # The stages run `python -m boxoffice...`: this environment's python must come first.
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(  # noqa: S603  # nosec B603
        [str(bin_dir / "dvc"), "repro"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        raise RetrainError(f"dvc repro failed ({done.returncode}): {done.stderr.strip()[-400:]}")


def gate(
    registry: Registry, version: str, params: Params, holdout: Path, profile: str = "pre_release"
) -> tuple[Decision, str | None]:
    """Candidate vs the profile's production on the frozen holdout: films neither trained on
    (membership is a stable hash of each film's id, so new labelled films join it too)."""
    table = pq.read_table(holdout).to_pydict()
    y_log = np.log(np.asarray(table[params.feature_schema.target.field], dtype=float))
    columns = {f.field: table[f.field] for f in params.feature_schema.features}
    try:
        current: str | None = registry.resolve(alias_for("production", profile))
    except AliasNotSetError:
        current = None
    candidate = score(registry, version, columns, y_log)
    production = (
        score(registry, current, columns, y_log) if current and current != version else None
    )
    if current == version:
        production = candidate
    return decide(candidate, production, params.gate), current


def retrain(
    params: Params, root: Path, lake: Lake, registry: Registry, params_path: Path | None = None
) -> RetrainResult:
    layout = Layout(root)
    before = _rows(layout.train)
    requests = labelled_requests(lake)
    if params.data.feedback:
        write_feedback(
            root / params.data.feedback, [to_raw(r, params.feature_schema) for r in requests]
        )
    dvc_repro(root)
    extras = version_extras(root, params_path or root / "params.yaml")
    for other in params.profiles:  # every profile is registered and gated on its own aliases
        if other != params.serve_profile and Layout(root, other).export_dir.exists():
            publish(registry, params, Layout(root, other), extras)
    version, decision, current, promoted = publish(registry, params, layout, extras)
    return RetrainResult(
        code=PROMOTED if promoted else NOT_BETTER,
        version=version,
        decision=decision,
        train_rows_before=before,
        train_rows_after=_rows(layout.train),
        feedback_rows=len(requests),
        production_version=current,
    )


def publish(
    registry: Registry, params: Params, layout: Layout, extras: dict[str, bytes]
) -> tuple[str, Decision, str | None, bool]:
    """Register one profile's export, gate it, promote it when it passes."""
    profile = layout.profile
    version = registry.register(layout.export_dir, extras)
    registry.set_alias(alias_for("candidate", profile), version, "retrain")
    decision, current = gate(registry, version, params, layout.holdout, profile)
    registry.record_decision(
        version,
        decision.as_dict()
        | {"version": version, "production_version": current, "source": "retrain"},
    )
    promoted = decision.promote and current != version
    if promoted:
        registry.set_alias(alias_for("production", profile), version, "retrain: gate passed")
    return version, decision, current, promoted


def report_markdown(result: RetrainResult) -> str:
    keys = ("mae_log", "r2_log", "r2", "mdape", "coverage")
    cand, prod = result.decision.candidate, result.decision.production or {}

    def row(k: str) -> str:
        if not prod:
            return f"| {k} | {cand.get(k, float('nan')):.4f} | — | — |"
        new, old = cand.get(k, float("nan")), prod.get(k, float("nan"))
        return f"| {k} | {new:.4f} | {old:.4f} | {new - old:+.4f} |"

    rows = "\n".join(row(k) for k in keys)
    verdict = "promoted to production" if result.code == PROMOTED else "not promoted"
    reasons = "\n".join(f"- {r}" for r in result.decision.reasons)
    return (
        f"# Retrain: {result.version} {verdict}\n\n"
        f"Training rows: {result.train_rows_before} -> {result.train_rows_after} "
        f"({result.feedback_rows} labelled requests from the lake).\n\n"
        f"| metric (frozen holdout) | candidate | production ({result.production_version})"
        " | diff |\n"
        f"|---|---:|---:|---:|\n{rows}\n\n## Gate\n\n{reasons}\n\n## Plots\n\n"
        "![predicted vs actual](predicted_vs_actual.png)\n![residuals](residuals.png)\n"
        "![importance](importance.png)\n"
    )
