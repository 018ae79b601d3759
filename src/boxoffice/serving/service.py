"""Prediction use case: validate -> encode -> ONNX -> log to the spool -> respond."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from boxoffice.serving import metrics
from boxoffice.serving.errors import ApiError
from boxoffice.serving.model_state import ModelHolder
from boxoffice.serving.schemas import Interval, PredictionResponse
from boxoffice.serving.spool import Spool, SpoolFullError

log = logging.getLogger("boxoffice.api")


@dataclass
class AppState:
    holder: ModelHolder
    spool: Spool | None
    batch_limit: int


def predict_films(state: AppState, films: list[BaseModel], route: str) -> list[PredictionResponse]:
    """Predict and log each film; the record is spooled before this returns."""
    start = time.perf_counter()
    model = state.holder.current  # one reference: a reload mid-request cannot mix models
    if model is None:
        raise ApiError(503, "model_unavailable", "no model is loaded yet; retry shortly")
    rows = [film.model_dump() for film in films]
    columns = {
        item.field: [row.get(item.field) for row in rows]
        for item in model.predictor.signature.inputs
    }
    out = model.predictor.predict(columns, n_rows=len(rows))
    level = model.predictor.signature.interval.level
    now = dt.datetime.now(dt.UTC).isoformat()
    latency_ms = (time.perf_counter() - start) * 1000 / max(len(rows), 1)
    responses = []
    for i, film in enumerate(films):
        response = PredictionResponse(
            worldwide_gross=float(out.value[i]),
            interval=Interval(low=float(out.low[i]), high=float(out.high[i]), level=level),
            model_version=model.version,
            request_id=uuid.uuid4().hex,
        )
        _log(state, response, film, route, now, latency_ms)
        responses.append(response)
        metrics.PREDICTED.observe(response.worldwide_gross)
    metrics.PREDICTIONS.labels(model.version).inc(len(responses))
    return responses


def _log(
    state: AppState,
    response: PredictionResponse,
    film: BaseModel,
    route: str,
    ts: str,
    latency_ms: float,
) -> None:
    if state.spool is None:
        return
    record: dict[str, Any] = {
        "request_id": response.request_id,
        "ts": ts,
        "model_version": response.model_version,
        "route": route,
        "inputs": json.dumps(film.model_dump(mode="json", exclude_none=True), sort_keys=True),
        "worldwide_gross": response.worldwide_gross,
        "low": response.interval.low,
        "high": response.interval.high,
        "level": response.interval.level,
        "latency_ms": round(latency_ms, 3),
    }
    try:
        state.spool.append(record)
    except SpoolFullError as exc:
        # Documented policy: answer anyway; the drop is counted and logged, never silent.
        metrics.SPOOL_DROPPED.inc()
        log.error("prediction %s not logged: %s", response.request_id, exc)
