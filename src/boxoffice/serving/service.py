"""Prediction use case: validate -> encode -> ONNX -> log to the spool -> respond.

Results are plain dicts serialised once by the route: per-row pydantic models and per-row
writes cost more than the inference for a 1,000-film batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from boxoffice.core.edges import Note
from boxoffice.core.predictor import OnnxPredictor, Prediction
from boxoffice.lake.prediction_log import log_record
from boxoffice.serving import metrics
from boxoffice.serving.broadcast import ReloadChannel
from boxoffice.serving.errors import ApiError
from boxoffice.serving.model_state import LoadedModel, ModelHolder
from boxoffice.serving.spool import Spool, SpoolError

log = logging.getLogger("boxoffice.api")


@dataclass
class AppState:
    holder: ModelHolder
    spool: Spool | None
    # Holders of the other served profiles (``retrospective``), by profile name.
    profiles: dict[str, ModelHolder] = field(default_factory=dict)
    # Every served profile's one-film route, as params.yaml declares it (the default first).
    routes: dict[str, str] = field(default_factory=dict)
    # Reaches the instance's other workers on an admin reload (set in the lifespan).
    channel: ReloadChannel | None = None

    def holders(self) -> list[ModelHolder]:
        return [self.holder, *self.profiles.values()]

    def reload(self) -> dict[str, Any]:
        """Check every profile's source now; what this worker serves afterwards."""
        changed = self.holder.check()
        for other in self.profiles.values():  # the other profiles reload with it
            other.check()
        current = self.holder.current
        return {"changed": changed, "model_version": current.version if current else None}


def predict_films(
    state: AppState,
    films: list[BaseModel],
    route: str,
    holder: ModelHolder | None = None,
    comps: int = 0,
) -> list[dict[str, Any]]:
    """Predict and log each film (with its ``comps`` nearest training films when asked);
    the records are spooled before this returns."""
    start = time.perf_counter()
    # One reference: a reload mid-request cannot mix models.
    model = (holder or state.holder).current
    if model is None:
        raise ApiError(503, "model_unavailable", "no model is loaded yet; retry shortly")
    rows = [film_row(film) for film in films]
    inputs = model.predictor.signature.inputs
    raw = {item.field: [row.get(item.field) for row in rows] for item in inputs}
    # Variants of known values are read as them; the input's edge is noted per row.
    columns, notes = model.predictor.edges.check(raw, len(rows))
    _as_read(rows, columns, notes)
    out = model.predictor.predict(columns, n_rows=len(rows))
    results = _results(model, out, notes)
    if comps:
        for result, near in zip(results, nearest(model.predictor, columns, comps), strict=True):
            result["comps"] = near
    latency_ms = (time.perf_counter() - start) * 1000 / max(len(rows), 1)
    _log(state, results, rows, route, latency_ms)
    metrics.observe_all(metrics.PREDICTED, out.value)
    metrics.PREDICTIONS.labels(model.version).inc(len(results))
    return results


def film_row(film: BaseModel) -> dict[str, Any]:
    """The fields a film sent, as it holds them: the request models are flat, so this is
    ``model_dump(exclude_none=True)`` without pydantic's serialiser (15% of a 1,000-film
    batch's time)."""
    return {name: value for name, value in vars(film).items() if value is not None}


def _results(model: LoadedModel, out: Prediction, notes: list[list[Note]]) -> list[dict[str, Any]]:
    signature = model.predictor.signature
    level = signature.interval.level
    return [
        {
            # Whole dollars: a forecast is not good to the cent (440134841.679578 was).
            "worldwide_gross": round(float(value)),
            "interval": {"low": round(float(low)), "high": round(float(high)), "level": level},
            "model_version": model.version,
            "profile": signature.profile,
            "warnings": note,
            "request_id": request_id,
        }
        for value, low, high, note, request_id in zip(
            out.value, out.low, out.high, notes, request_ids(len(notes)), strict=True
        )
    ]


def _as_read(rows: list[dict[str, Any]], columns: dict[str, list[Any]], notes: Any) -> None:
    """The logged inputs carry a variant as the model read it ("pg13" as "PG-13"): labelled
    later, the row is feedback that validation's rules accept."""
    for i, row_notes in enumerate(notes):
        for note in row_notes:
            if note["code"] == "read_as":
                rows[i][note["field"]] = columns[note["field"]][i]


def nearest(predictor: OnnxPredictor, columns: dict[str, list[Any]], k: int) -> list[Any]:
    """Per row, the ``k`` comparable training films (None when the model ships no table)."""
    table = predictor.signature.comps
    n_rows = len(next(iter(columns.values()))) if columns else 0
    if table is None:
        return [None] * n_rows
    matrix = predictor.encoder(columns, n_rows)
    return [table.nearest(row, k) for row in matrix]


def request_ids(n: int) -> list[str]:
    """``n`` random 128-bit hex ids (uuid4's entropy, one system call for the batch)."""
    raw = os.urandom(16 * n).hex()
    return [raw[i : i + 32] for i in range(0, 32 * n, 32)]


def _log(
    state: AppState,
    results: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    route: str,
    latency_ms: float,
) -> None:
    if state.spool is None:
        return
    ts = dt.datetime.now(dt.UTC).isoformat()
    records = [
        log_record(
            request_id=result["request_id"],
            ts=ts,
            model_version=result["model_version"],
            profile=result["profile"],
            route=route,
            inputs=row,
            worldwide_gross=result["worldwide_gross"],
            low=result["interval"]["low"],
            high=result["interval"]["high"],
            level=result["interval"]["level"],
            latency_ms=round(latency_ms, 3),
        )
        for result, row in zip(results, rows, strict=True)
    ]
    try:
        state.spool.append_batch(records)
    except SpoolError as exc:
        # Documented policy: answer anyway; the spool counted the drop (Prometheus too) and
        # heals itself on the next write; the loss is logged, never silent.
        log.error("%d predictions not logged: %s", len(records), exc)
