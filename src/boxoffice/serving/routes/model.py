"""``GET /v1/model``: what is being served."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from boxoffice.core.request_model import date_range
from boxoffice.serving.deps import StateDep
from boxoffice.serving.errors import ApiError
from boxoffice.serving.schemas import ERROR_RESPONSES, ErrorResponse, ModelInfo
from boxoffice.serving.service import AppState

router = APIRouter(prefix="/v1", tags=["model"])


def _served(state: AppState) -> dict[str, str]:
    """Each served profile with a model loaded, and its declared prediction route."""
    names = list(state.routes)  # the serve profile first: state.holder's
    holders = dict(zip(names[:1], [state.holder], strict=False)) | state.profiles
    return {n: state.routes[n] for n in names if n in holders and holders[n].current is not None}


UNKNOWN_PROFILE: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "That profile is not served."}
}


@router.get("/model", response_model=ModelInfo, responses=ERROR_RESPONSES | UNKNOWN_PROFILE)
async def model_info(
    state: StateDep,
    profile: Annotated[str | None, Query(description="A served profile; default: /v1's")] = None,
) -> ModelInfo:
    """The serving model's version, profile, training period, backtest figures and signature."""
    served = _served(state)
    holder = state.holder
    if profile is not None and profile in state.profiles:
        holder = state.profiles[profile]
    elif profile is not None and profile not in served:
        raise ApiError(
            404, "unknown_profile", f"profile {profile!r} is not served: {sorted(served)}"
        )
    model = holder.current
    if model is None:
        raise ApiError(503, "model_unavailable", "no model is loaded yet")
    span = date_range(model.predictor.signature)
    return ModelInfo(
        profiles=served,
        accepted_release_dates={"first": str(span[0]), "last": str(span[1])} if span else None,
        version=model.version,
        profile=model.predictor.signature.profile,
        training_period=model.metadata.get("training_period"),
        metrics=model.metadata.get("holdout_metrics", {}),
        backtest=model.metadata.get("backtest"),
        # The track-record and comps tables are the model's data, not its contract (and a
        # megabyte the page would fetch on every load): the fields only.
        signature=model.predictor.signature.model_dump(exclude={"history", "comps"})
        | {"history_fields": [h.field for h in model.predictor.signature.history]},
    )
