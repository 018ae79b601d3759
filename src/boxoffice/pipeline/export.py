"""Stage 6, export: ONNX graph + signature + SHA-256s, checked against the fitted model."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import onnx
import pandas as pd
from sklearn.ensemble import VotingRegressor

from boxoffice.core.artifact import (
    CHECKSUMS_FILE,
    METADATA_FILE,
    MODEL_FILE,
    SERVED_FILES,
    SIGNATURE_FILE,
    version_of,
)
from boxoffice.core.comps import Comps, build_comps
from boxoffice.core.digest import sha256_bytes
from boxoffice.core.io import write_bytes_atomic, write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.model import BoxOfficeRegressor, frame_columns
from boxoffice.core.params import Params
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.regression_metrics import regression_metrics
from boxoffice.core.signature import Signature
from boxoffice.pipeline.common import ROW_ID, StageError, log, run_stage, write_json
from boxoffice.pipeline.coverage import edges_to_bands
from boxoffice.pipeline.onnx_graph import convert, merge_targets, routed
from boxoffice.pipeline.recipe import xy

# ONNX Runtime works in float32; this bounds the relative gap on predicted dollars.
PARITY_RTOL = 1e-4


def to_onnx(model: BoxOfficeRegressor) -> bytes:
    """The fitted trees as ONNX, one merged tree node: output 0 the (averaged) forecast,
    output 1, with width models, the gap between the upper and the lower quantile model.
    With reduced trees, two such nodes, picked per call by the graph's boolean input."""
    n_columns = len(model.signature_.model_columns())
    name = model.signature_.onnx_input

    def merged(trees: Any) -> onnx.ModelProto:
        members = trees.estimators_ if isinstance(trees, VotingRegressor) else [trees]
        targets = [[(convert(m, name, n_columns), 1.0 / len(members)) for m in members]]
        widths = getattr(model, "width_", ())
        if widths:
            low, high = widths
            targets.append(
                [(convert(high, name, n_columns), 1.0), (convert(low, name, n_columns), -1.0)]
            )
        return merge_targets(targets)

    masked = merged(model.model_)
    reduced = getattr(model, "reduced_", None)
    graph = masked if reduced is None else routed(masked, merged(reduced))
    data: bytes = graph.SerializeToString()
    return data


def parity(model: BoxOfficeRegressor, predictor: OnnxPredictor, X: pd.DataFrame) -> float:
    """Largest relative gap between fitted-model and ONNX forecasts and interval bounds, in
    dollars."""
    if not len(X):
        return 0.0
    expected = np.exp(np.stack(model.predict_interval(X)))
    out = predictor.predict(frame_columns(X), n_rows=len(X))
    got = np.stack([out.value, out.low, out.high])
    return float(np.max(np.abs(got - expected) / expected))


def withheld(params: Params, profile: str) -> dict[str, str]:
    """Fields this profile does not take, each with the route of a profile that does."""
    taken = {f.field for f in params.profile_features(profile)}
    out = {}
    for name, other in params.profiles.items():
        for spec in params.profile_features(name):
            if spec.field not in taken and spec.field not in out:
                out[spec.field] = other.route
    return out


def with_bounds(signature: Signature, params: Params) -> Signature:
    """Copy each numeric feature's range rules into the signature: the API refuses what
    validation would have quarantined (a zero budget, a rating of 11)."""
    by_column = {f.field: f.column for f in params.feature_schema.features}
    inputs = []
    for item in signature.inputs:
        rules = [
            r
            for r in params.validation.rules
            # Only rules of every source that refuse a row: a scoped or blanking rule is no
            # bound on what a caller may send.
            if r.check == "range"
            and r.action == "quarantine"
            and r.sources is None
            and r.column == by_column.get(item.field)
        ]
        if item.kind == "numeric" and rules:
            lows = [float(r.min) for r in rules if r.min is not None]
            highs = [float(r.max) for r in rules if r.max is not None]
            item = item.model_copy(
                update={
                    "minimum": max(lows) if lows else None,
                    "maximum": min(highs) if highs else None,
                }
            )
        inputs.append(item)
    return signature.model_copy(
        update={"inputs": inputs, "withheld": withheld(params, signature.profile)}
    )


def with_horizon_coverage(signature: Signature, backtest: dict[str, Any] | None) -> Signature:
    """Each horizon band with the coverage the evaluate stage's backtest measured there: a
    forecast past the data says how often such ranges held."""
    measured = ((backtest or {}).get("coverage_cells") or {}).get("horizon", {})
    bands = signature.interval.horizons
    if not measured or not signature.last_film or not signature.latest_accepted:
        return signature
    # By each band's own bounds, not its position: the report's cells are evaluate's grid,
    # and a calibration band the report does not hold as it is gets no measured coverage.
    end = int(signature.latest_accepted[:4]) - int(signature.last_film[:4]) + 1
    names = edges_to_bands([float(b.min_years) for b in bands], end=end, unit=" years")
    updated = []
    for band, (name, _, _) in zip(bands, names, strict=True):
        cell = measured.get(name)
        if cell is not None:
            name = name.removesuffix(" years")
            band = band.model_copy(
                update={"name": name, "coverage": cell["coverage"], "films": cell["n"]}
            )
        updated.append(band)
    interval = signature.interval.model_copy(update={"horizons": updated})
    return signature.model_copy(update={"interval": interval})


def amount_field(model: BoxOfficeRegressor) -> str | None:
    """The amount a comp shows beside its gross: the required dollar amount (the budget),
    else the first required number; None when the schema has neither."""
    required = [s for s in model.features if s.required and s.kind == "numeric"]
    chosen = next((s for s in required if s.dollars), required[0] if required else None)
    return chosen.field if chosen else None


def comps_table(
    model: BoxOfficeRegressor,
    train: pd.DataFrame,
    titles: pd.Series,
    importance: dict[str, float],
    budget_field: str,
) -> Comps:
    """The training films as comps, in the model's encoding, each matrix column weighted by
    its field's permutation importance (shared by the columns the field feeds)."""
    fields = list(model.feature_names_in_)
    encoder = model.encoder_
    columns = frame_columns(train[fields])
    weights = np.zeros(encoder.width)
    for name, cols in encoder.groups.items():
        weights[cols] = max(importance.get(name, 0.0), 0.0) / len(cols)
    return build_comps(
        matrix=encoder(columns, len(train)),
        weights=weights,
        titles=[str(t) for t in titles],
        release_dates=[str(d)[:10] for d in train[encoder.date_field or fields[0]]],
        budget=train[budget_field].to_numpy(dtype=np.float64),
        gross=train[model.target].to_numpy(dtype=np.float64),
        log_deflator=encoder.log_deflator(columns, len(train)),
    )


def export(
    model: BoxOfficeRegressor,
    out: Path,
    check: pd.DataFrame,
    y_log: np.ndarray,
    signature: Signature | None = None,
    backtest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the artifact to ``out`` and refuse it if ONNX disagrees with the fitted model."""
    out.mkdir(parents=True, exist_ok=True)
    blobs = {
        MODEL_FILE: to_onnx(model),
        # Compact: the comps table is thousands of rows (tests/system: under 2 MB).
        SIGNATURE_FILE: ((signature or model.signature_).model_dump_json() + "\n").encode(),
    }
    predictor = OnnxPredictor(blobs[MODEL_FILE], signature or model.signature_)
    gap = parity(model, predictor, check)
    if gap > PARITY_RTOL:
        raise StageError(f"rule 'onnx_parity': ONNX differs from the model by {gap:.2e} relative")
    out_pred = predictor.predict(frame_columns(check), n_rows=len(check))
    sig = predictor.signature
    metadata = {
        "version": version_of({name: sha256_bytes(blobs[name]) for name in SERVED_FILES}),
        "profile": sig.profile,
        "training_period": {"first_film": sig.first_film, "last_film": sig.last_film},
        # Metrics of the served artifact itself (ONNX), on the frozen holdout.
        "holdout_metrics": regression_metrics(
            y_log, np.log(out_pred.value), np.log(out_pred.low), np.log(out_pred.high)
        ),
        # The headline: the recipe's rolling-origin backtest (evaluate stage).
        "backtest": _backtest_facts(backtest),
    }
    blobs[METADATA_FILE] = (json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode()
    for name, data in blobs.items():
        write_bytes_atomic(out / name, data)
    checksums = {name: sha256_bytes(data) for name, data in blobs.items()}
    # Written last: a reader that finds checksums.json finds complete files beside it.
    write_text_atomic(out / CHECKSUMS_FILE, json.dumps(checksums, indent=2, sort_keys=True) + "\n")
    return {"max_relative_gap": gap, "rows_checked": len(check), "checksums": checksums}


def _backtest_facts(backtest: dict[str, Any] | None) -> dict[str, Any] | None:
    if backtest is None:
        return None
    keys = (
        "test_years",
        "films_tested",
        "summary",
        "coverage_by_budget",
        "required_only",
        "coverage_cells",
    )
    return {k: backtest[k] for k in keys if k in backtest}


def run(params: Params, layout: Layout) -> dict[str, Any]:
    model: BoxOfficeRegressor = joblib.load(layout.model)
    check, y_log = xy(pd.read_parquet(layout.holdout), params.feature_schema)
    check = check[list(model.feature_names_in_)]
    backtest = json.loads(layout.backtest.read_text()) if layout.backtest.exists() else None
    signature = with_horizon_coverage(with_bounds(model.signature_, params), backtest)
    signature = signature.model_copy(update={"comps": _comps(model, params, layout)})
    summary = export(model, layout.export_dir, check, y_log, signature, backtest)
    write_json(layout.profile_reports / "export.json", summary)
    log("export", f"wrote {layout.export_dir} (ONNX parity {summary['max_relative_gap']:.2e})")
    return summary


def _comps(model: BoxOfficeRegressor, params: Params, layout: Layout) -> Comps | None:
    """Comps from the training films with their titles, when evaluate measured importance."""
    importance_csv = layout.plots / "importance.csv"
    budget_field = amount_field(model)
    if not importance_csv.exists() or budget_field is None:
        return None
    importance = dict(pd.read_csv(importance_csv).itertuples(index=False, name=None))
    train = pd.read_parquet(layout.train)
    title = params.feature_schema.id_columns[0]
    clean = pd.read_parquet(layout.clean, columns=[ROW_ID, title]).set_index(ROW_ID)[title]
    return comps_table(model, train, clean.reindex(train[ROW_ID]), importance, budget_field)


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("export", run, argv)


if __name__ == "__main__":
    sys.exit(main())
