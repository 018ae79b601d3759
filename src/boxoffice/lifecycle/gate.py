"""The promotion gate: candidate and production scored on the same frozen holdout."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from boxoffice.core.params import DEFAULT_PROFILE, GateParams, Params
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.regression_metrics import regression_metrics
from boxoffice.lifecycle import latency
from boxoffice.lifecycle.registry import AliasChangedError, AliasState, Registry, alias_for


@dataclass
class Decision:
    promote: bool
    reasons: list[str] = field(default_factory=list)
    candidate: dict[str, float] = field(default_factory=dict)
    production: dict[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "promote": self.promote,
            "reasons": self.reasons,
            "candidate": self.candidate,
            "production": self.production,
        }


def score(
    registry: Registry, version: str, columns: dict[str, Any], y_log: np.ndarray
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        predictor = OnnxPredictor.load(registry.download(version, Path(tmp)))
    # The intervals the API would give: offsets by the fields each film sends and its band.
    out = predictor.predict(columns, n_rows=len(y_log))
    metrics = regression_metrics(y_log, np.log(out.value), np.log(out.low), np.log(out.high))
    return metrics | latency.measure(predictor, columns, len(y_log))


def holdout_columns(path: Path, params: Params) -> tuple[dict[str, list[Any]], np.ndarray]:
    """The frozen holdout as request columns and log gross (films no model trained on)."""
    table = pq.read_table(path).to_pydict()
    schema = params.feature_schema
    y_log = np.log(np.asarray(table[schema.target.field], dtype=float))
    return {f.field: table[f.field] for f in schema.features}, y_log


@dataclass
class Promotion:
    version: str
    current: str | None  # production before the call
    decision: Decision | None  # None when the version already was production
    promoted: bool
    # Set when the gate passed but production moved meanwhile (nothing was moved).
    changed: AliasChangedError | None = None


def promote(
    registry: Registry,
    version: str,
    params: Params,
    holdout: Path,
    profile: str = DEFAULT_PROFILE,
    *,
    force: bool = False,
    reason: str = "",
    source: str = "cli",
) -> Promotion:
    """Gate ``version`` against the profile's production on the holdout; promote if it passes
    (or if forced). The one promotion path: ``models promote`` and ``retrain`` both call it.

    A version that already is production is left alone and nothing is recorded: a recorded
    no-op would make the next rollback return to the same version. The alias moves only if
    it still is what the gate compared against (compare-and-set): of two promotions at once,
    the loser gets ``changed`` set and moves nothing.
    """
    alias = alias_for("production", profile)
    before = registry.state(alias)
    current = before.version
    if current == version:
        return Promotion(version, current, None, promoted=False)
    columns, y_log = holdout_columns(holdout, params)
    candidate = score(registry, version, columns, y_log)
    production = score(registry, current, columns, y_log) if current else None
    decision = decide(candidate, production, params.gate)
    moves = decision.promote or force
    why = reason or f"{source}: gate passed"
    changed = _compare_and_set(registry, alias, version, why, before) if moves else None
    # What happened: a passing gate whose compare-and-set lost moved nothing.
    outcome = "production_changed" if changed else "promoted" if moves else "refused"
    forced = force and not decision.promote
    said = {"forced": forced, "reason": reason, "source": source, "outcome": outcome}
    registry.record_decision(
        version, decision.as_dict() | {"version": version, "production_version": current} | said
    )
    return Promotion(version, current, decision, promoted=moves and not changed, changed=changed)


def _compare_and_set(
    registry: Registry, alias: str, version: str, reason: str, before: AliasState
) -> AliasChangedError | None:
    """Move ``alias`` only if it still is ``before``; the refusal when another moved it."""
    try:
        registry.set_alias(alias, version, reason, expect=before)
    except AliasChangedError as exc:
        return exc
    return None


def decide(
    candidate: dict[str, float], production: dict[str, float] | None, gate: GateParams
) -> Decision:
    """Apply the thresholds of ``params.yaml`` → ``gate``; every reason is recorded."""
    reasons: list[str] = []
    low, high = gate.coverage_band
    coverage_ok = low <= candidate["coverage"] <= high
    reasons.append(
        f"coverage {candidate['coverage']:.3f} {'inside' if coverage_ok else 'outside'}"
        f" [{low}, {high}]"
    )
    fits_budget = _within_budget(candidate, gate, reasons)
    if production is None:
        floor_ok = candidate["mae_log"] <= gate.first_model_max_mae_log
        reasons.append(
            f"first model: mae_log {candidate['mae_log']:.4f}"
            f" {'<=' if floor_ok else '>'} floor {gate.first_model_max_mae_log}"
        )
        return Decision(coverage_ok and fits_budget and floor_ok, reasons, candidate, None)
    limit = production["mae_log"] + gate.mae_log_tolerance
    better = candidate["mae_log"] <= limit
    reasons.append(
        f"mae_log {candidate['mae_log']:.4f} vs production {production['mae_log']:.4f}"
        f" (+{gate.mae_log_tolerance} tolerance): {'not worse' if better else 'worse'}"
    )
    return Decision(coverage_ok and fits_budget and better, reasons, candidate, production)


def _within_budget(candidate: dict[str, float], gate: GateParams, reasons: list[str]) -> bool:
    """The latency budget; a candidate scored without timings (old decisions) is not judged."""
    p99, rate = candidate.get("single_row_p99_ms"), candidate.get("batch_rows_per_s")
    if p99 is None or rate is None:
        return True
    fast = p99 <= gate.max_single_row_p99_ms
    wide = rate >= gate.min_batch_rows_per_s
    reasons.append(
        f"latency: one row p99 {p99:.2f} ms {'<=' if fast else '>'} budget"
        f" {gate.max_single_row_p99_ms} ms; batch {rate:,.0f} rows/s"
        f" {'>=' if wide else '<'} {gate.min_batch_rows_per_s:,.0f}"
    )
    return fast and wide
