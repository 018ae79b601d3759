"""Response and error bodies of the API (request bodies come from ``request_model``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from boxoffice.serving.access import ADMIN_DISABLED, ADMIN_REFUSED, API_KEY_REFUSED, Denial


class Interval(BaseModel):
    low: float = Field(description="Lower bound of the prediction interval, US dollars.")
    high: float = Field(description="Upper bound of the prediction interval, US dollars.")
    level: float = Field(description="Nominal coverage of the interval.", examples=[0.8])


class ForecastWarning(BaseModel):
    field: str = Field(description="The request field the warning is about.")
    code: str = Field(
        description="unknown_value, read_as, out_of_range or horizon.", examples=["horizon"]
    )
    message: str = Field(description="What to know, naming the value and what is known.")


class Comp(BaseModel):
    title: str
    release_date: str
    production_budget: float = Field(description="US dollars of its release year.")
    worldwide_gross: float = Field(description="US dollars of its release year.")
    production_budget_constant: float = Field(description="Constant dollars (the model's).")
    worldwide_gross_constant: float = Field(description="Constant dollars (the model's).")
    distance: float = Field(description="In the model's weighted, standardised terms.")


class PredictionResponse(BaseModel):
    worldwide_gross: float = Field(description="Predicted worldwide gross, US dollars.")
    interval: Interval
    model_version: str
    profile: str = Field(description="Model profile: pre_release or retrospective.")
    warnings: list[ForecastWarning] = Field(
        default_factory=list, description="What to know about this forecast, if anything."
    )
    request_id: str
    comps: list[Comp] | None = Field(
        default=None, description="The nearest training films, when asked (?comps=5)."
    )


class PredictionsResponse(BaseModel):
    predictions: list[PredictionResponse] = Field(description="One per film, in request order.")
    model_version: str


class ModelInfo(BaseModel):
    profiles: dict[str, str] = Field(
        default_factory=dict, description="Every served profile and its prediction route."
    )
    version: str
    trained_at: str | None = Field(
        default=None,
        deprecated=True,
        description="Always null (deprecated): a clock time in the artifact made each"
        " retrain's bytes differ; `training_period` says what the model knows.",
    )
    profile: str | None = None
    training_period: dict[str, Any] | None = None
    accepted_release_dates: dict[str, str] | None = Field(
        default=None, description="First and last release date the model forecasts."
    )
    metrics: dict[str, float] = Field(description="Frozen-holdout metrics of the artifact.")
    backtest: dict[str, Any] | None = Field(
        default=None, description="Rolling-origin backtest figures (the headline)."
    )
    signature: dict[str, Any]


class Health(BaseModel):
    status: str
    model_version: str | None = None
    # Whether this instance's predictions reach its spool (None when logging is off) and,
    # when the last write failed, why: the API answers anyway, so readiness must say it.
    logging: bool | None = None
    logging_error: str | None = None
    logging_state: Literal["ok", "degraded"] | None = Field(
        default=None,
        description="degraded while prediction log writes fail (predictions are answered"
        " and counted as dropped); ok again once a write lands.",
    )
    last_reload: dict[str, str] | None = Field(
        default=None, description="This worker's last model change or refusal."
    )


class LatestReports(BaseModel):
    """What ``boxoffice monitor`` last published to the lake (None: nothing yet)."""

    drift: dict[str, Any] | None = Field(
        default=None, description="verdict, retrain, share, features, created_at"
    )
    accuracy: dict[str, Any] | None = Field(
        default=None, description="live metrics per model version, created_at"
    )
    error: str | None = Field(default=None, description="Why the lake could not be read.")


class ErrorDetail(BaseModel):
    field: str = Field(description="Dotted path of the offending field, or 'body'.")
    problem: str


class ErrorBody(BaseModel):
    status: int
    type: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


def _error(text: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": text}


def described(denial: Denial) -> str:
    """A refusal's message as the OpenAPI's sentence for its status."""
    message = denial[2]
    return f"{message[0].upper()}{message[1:]}."


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: _error(text)
    for code, text in (
        (400, "Body cannot be parsed (not UTF-8 JSON)."),
        (API_KEY_REFUSED[0], described(API_KEY_REFUSED)),
        (413, "Request body too large."),
        (415, "Body is not JSON."),
        (422, "Invalid request: the details name each field and problem."),
        (503, "No model loaded yet."),
    )
}


# What serving/access.py refuses on the admin token's routes, documented where they are.
ADMIN_REFUSALS: dict[int | str, dict[str, Any]] = {
    denial[0]: _error(described(denial)) for denial in (ADMIN_REFUSED, ADMIN_DISABLED)
}
ADMIN_RESPONSES = ERROR_RESPONSES | ADMIN_REFUSALS
