"""``POST /v1/prediction`` and ``POST /v1/predictions``, typed by the feature schema.

No ``from __future__ import annotations`` here: FastAPI must see the request models built
at run time as real classes, not as strings.
"""

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, create_model

from boxoffice.serving.deps import API_KEY_PARAMETER, get_state
from boxoffice.serving.model_state import ModelHolder
from boxoffice.serving.schemas import ERROR_RESPONSES, PredictionResponse, PredictionsResponse
from boxoffice.serving.service import AppState, predict_films


def _json(payload: Any) -> Response:
    # Serialised once, without re-validating: the service built it from typed values. orjson:
    # a 1,000-film response takes 0.2 ms against the stdlib's 2.7 (bench/results/profile.md).
    return Response(orjson.dumps(payload), media_type="application/json")


def batch_model(film: type[BaseModel], limit: int) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        f"{film.__name__}Batch",
        __config__=ConfigDict(extra="forbid"),
        films=(
            list[film],  # type: ignore[valid-type]
            Field(min_length=1, max_length=limit, description=f"1 to {limit} films."),
        ),
    )
    return model


MAX_COMPS = 20
_WHOLE = re.compile(r"[0-9]{1,3}")
# ?comps=5: the nearest training films with each forecast (0, the default: none).
Comps = Annotated[
    int, Query(ge=0, le=MAX_COMPS, description="How many comparable training films to return.")
]


def _comps_once(request: Request) -> None:
    """Refuse ``comps`` given twice or not as digits: FastAPI reads a repeated query
    parameter's last value and pydantic reads "+0.0" as 0, neither the integer the schema
    promises (schemathesis sent ``?comps=NaN&comps=%2B0.0`` and got a 200)."""
    if not request.url.query:  # the hot path: no query string, nothing to check
        return
    given = request.query_params.getlist("comps")
    if len(given) > 1 or (given and not _WHOLE.fullmatch(given[0])):
        problem = f"must be given once, as a whole number from 0 to {MAX_COMPS}"
        error = {"loc": ("query", "comps"), "msg": problem, "type": "int_parsing"}
        raise RequestValidationError([error | {"input": given}])


# Whole on purpose: the two routes close over this profile's request models, route label
# and holder; split apart, each would need them passed in again.
def router(
    film: type[BaseModel],
    example: dict[str, Any],
    limit: int,
    prefix: str = "/v1",
    profile: str | None = None,
) -> APIRouter:
    """The two prediction routes of one profile under ``prefix`` (its declared route without
    ``/prediction``); ``profile`` None is the serve profile's."""
    batch = batch_model(film, limit)
    label = f"{profile}/" if profile else ""  # the route name logged with each prediction
    api = APIRouter(prefix=prefix, tags=[f"{profile} predictions" if profile else "predictions"])

    def holder(state: AppState) -> ModelHolder:
        return state.profiles[profile] if profile else state.holder

    # The hot routes take the Request and fetch the state themselves (the middleware checked
    # the key): each injected dependency costs a resolution per request, more than the model's
    # inference. The header is still documented in the OpenAPI.
    extra = {"parameters": [API_KEY_PARAMETER]}

    @api.post(
        "/prediction",
        response_model=PredictionResponse,
        responses=ERROR_RESPONSES,
        openapi_extra=extra,
    )
    async def predict_one(
        request: Request,
        body: Annotated[film, Body(examples=[example])],  # type: ignore[valid-type]
        comps: Comps = 0,
    ) -> Response:
        """Predict one film's worldwide gross with its interval."""
        _comps_once(request)
        state = await get_state(request)
        route = f"{label}prediction"
        return _json(predict_films(state, [body], route, holder(state), comps)[0])

    @api.post(
        "/predictions",
        response_model=PredictionsResponse,
        responses=ERROR_RESPONSES,
        openapi_extra=extra,
    )
    async def predict_many(
        request: Request,
        body: Annotated[batch, Body(examples=[{"films": [example, example]}])],  # type: ignore[valid-type]
        comps: Comps = 0,
    ) -> Response:
        """Predict a batch of films; results come back in request order."""
        _comps_once(request)
        state = await get_state(request)
        films: list[BaseModel] = getattr(body, "films")  # noqa: B009 (a run-time built model)
        results = predict_films(state, films, f"{label}predictions", holder(state), comps)
        return _json({"predictions": results, "model_version": results[0]["model_version"]})

    return api
