"""Comparison apps for ``bench/serving.py``, served exactly like the real API.

- ``echo_app()``: the same request model, no inference, no logging (the framework's limit).
- ``seed_app()``: what the reference course ships: pydantic -> one-row pandas DataFrame ->
  scikit-learn ``predict`` per request, on the same trained model (unpickled with joblib).
"""

import os
import uuid
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from fastapi import FastAPI

from boxoffice.core.request_model import film_model
from boxoffice.core.signature import Signature
from boxoffice.serving.schemas import Interval, PredictionResponse

MODEL_DIR = Path(os.environ.get("BOXOFFICE_MODEL_URI", "models/pre_release/export"))


def _film() -> type:
    return film_model(Signature.model_validate_json((MODEL_DIR / "signature.json").read_bytes()))


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def echo_app() -> FastAPI:
    film = _film()
    app = _app()

    @app.post("/v1/prediction")
    async def echo(body: film) -> PredictionResponse:  # type: ignore[valid-type]
        return PredictionResponse(
            worldwide_gross=1.0,
            interval=Interval(low=0.5, high=2.0, level=0.8),
            model_version="echo",
            profile="pre_release",
            request_id=uuid.uuid4().hex,
        )

    return app


def seed_app() -> FastAPI:
    film = _film()
    model = joblib.load(os.environ.get("SEED_MODEL", "models/pre_release/model.joblib"))
    app = _app()

    @app.post("/v1/prediction")
    def predict(body: film) -> PredictionResponse:  # type: ignore[valid-type]
        frame = pd.DataFrame([body.model_dump()])[list(model.feature_names_in_)]
        pred, low, high = model.predict_interval(frame)
        return PredictionResponse(
            worldwide_gross=float(np.exp(pred[0])),
            interval=Interval(low=float(np.exp(low[0])), high=float(np.exp(high[0])), level=0.8),
            model_version="seed",
            profile="pre_release",
            request_id=uuid.uuid4().hex,
        )

    return app
