"""Comparison apps for ``bench/serving.py``, served exactly like the real API.

- ``echo_app()``: the same request model, no inference, no logging (the framework's limit).
- ``seed_app()``: what the reference course ships: pydantic -> one-row pandas DataFrame ->
  its scikit-learn pipeline's ``predict`` per request (unpickled with joblib).
"""

import os
import uuid
from pathlib import Path

import joblib
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
    """The course's recipe as the course ships it: a pickled scikit-learn pipeline (mean
    imputation + GradientBoostingRegressor on the numeric fields), a one-row DataFrame per
    request. ``SEED_MODEL`` is the pipeline bench/serving.py trained (joblib)."""
    film = _film()
    model = joblib.load(os.environ["SEED_MODEL"])
    columns = list(model.feature_names_in_)
    app = _app()

    @app.post("/v1/prediction")
    def predict(body: film) -> PredictionResponse:  # type: ignore[valid-type]
        frame = pd.DataFrame([body.model_dump()])[columns].astype(float)
        value = max(float(model.predict(frame)[0]), 1.0)  # the course predicts raw dollars
        return PredictionResponse(
            worldwide_gross=value,
            interval=Interval(low=value, high=value, level=0.8),  # the course gives no range
            model_version="seed",
            profile="pre_release",
            request_id=uuid.uuid4().hex,
        )

    return app
