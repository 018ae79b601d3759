"""Comparison apps for ``bench/serving.py``, served exactly like the real API.

The floors are the real app (``create_app()``: same middleware, routes, error handlers and
orjson serialiser) with one part of the work taken out, so the table shows where the time
goes:

- ``bare_app()``: the route reads the body and answers a prediction-shaped constant; no
  validation, no model, no log (the framework's own cost);
- ``echo_app()``: the route validates the request with its own model and answers the same
  constant (framework + validation: the fair floor the speed goals are measured against);
- ``nolog_app()``: the real route and model, with the prediction log switched off (the log's
  share is the prediction variant minus this one).
- ``seed_app()``: what the reference course ships: pydantic -> one-row pandas DataFrame ->
  its scikit-learn pipeline's ``predict`` per request (unpickled with joblib).
"""

import os
import uuid
from pathlib import Path
from typing import Any

import joblib
import orjson
import pandas as pd
from fastapi import APIRouter, FastAPI, Request, Response

from boxoffice.core.request_model import film_model
from boxoffice.core.signature import Signature
from boxoffice.serving import service
from boxoffice.serving.main import app_from_env
from boxoffice.serving.routes import predictions
from boxoffice.serving.schemas import Interval, PredictionResponse

MODEL_DIR = Path(os.environ.get("BOXOFFICE_MODEL_URI", "models/pre_release/export"))


def _answer(route: str) -> dict[str, Any]:
    """What the route answers for one film, without a model: the same keys and types."""
    return {
        "worldwide_gross": 1,
        "interval": {"low": 1, "high": 2, "level": 0.8},
        "model_version": "floor",
        "profile": "pre_release",
        "warnings": [],
        "request_id": service.request_ids(1)[0],
    }


def _constant(state: Any, films: list[Any], route: str, *_: Any, **__: Any) -> list[Any]:
    return [_answer(route) for _ in films]


def echo_app() -> FastAPI:
    # The route looks predict_films up in its module at call time: the validated body reaches
    # this constant instead of the model and the log.
    predictions.predict_films = _constant  # type: ignore[assignment]
    return app_from_env()


async def _bare(request: Request) -> Response:
    await request.body()
    return Response(orjson.dumps(_answer("prediction")), media_type="application/json")


def bare_app() -> FastAPI:
    # The one-film route swapped for one that reads the body and answers, before the app
    # includes the router (a built app's route table is not meant to be edited).
    build = predictions.router

    def router(*args: Any, **kwargs: Any) -> APIRouter:
        api = build(*args, **kwargs)
        api.routes[:] = [r for r in api.routes if not r.path.endswith("/prediction")]  # type: ignore[attr-defined]
        api.add_api_route("/prediction", _bare, methods=["POST"])
        return api

    predictions.router = router  # type: ignore[assignment]
    return app_from_env()


def nolog_app() -> FastAPI:
    service._log = lambda *_, **__: None  # type: ignore[assignment]
    return app_from_env()


def _film() -> type:
    return film_model(Signature.model_validate_json((MODEL_DIR / "signature.json").read_bytes()))


def seed_app() -> FastAPI:
    """The course's recipe as the course ships it: a pickled scikit-learn pipeline (mean
    imputation + GradientBoostingRegressor on the numeric fields), a one-row DataFrame per
    request. ``SEED_MODEL`` is the pipeline bench/serving.py trained (joblib)."""
    film = _film()
    model = joblib.load(os.environ["SEED_MODEL"])
    columns = list(model.feature_names_in_)
    app = FastAPI()

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

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
