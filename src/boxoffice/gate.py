"""The promotion gate: candidate and production scored on the same frozen holdout."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boxoffice.metrics import regression_metrics
from boxoffice.params import GateParams
from boxoffice.predictor import OnnxPredictor
from boxoffice.registry import Registry


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
    pred = predictor.predict_log(columns, n_rows=len(y_log))
    interval = predictor.signature.interval
    return regression_metrics(y_log, pred, pred + interval.low, pred + interval.high)


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
    if production is None:
        floor_ok = candidate["mae_log"] <= gate.first_model_max_mae_log
        reasons.append(
            f"first model: mae_log {candidate['mae_log']:.4f}"
            f" {'<=' if floor_ok else '>'} floor {gate.first_model_max_mae_log}"
        )
        return Decision(coverage_ok and floor_ok, reasons, candidate, None)
    limit = production["mae_log"] + gate.mae_log_tolerance
    better = candidate["mae_log"] <= limit
    reasons.append(
        f"mae_log {candidate['mae_log']:.4f} vs production {production['mae_log']:.4f}"
        f" (+{gate.mae_log_tolerance} tolerance): {'not worse' if better else 'worse'}"
    )
    return Decision(coverage_ok and better, reasons, candidate, production)
