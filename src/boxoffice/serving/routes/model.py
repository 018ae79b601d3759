"""``GET /v1/model``: what is being served."""

from __future__ import annotations

from fastapi import APIRouter

from boxoffice.serving.deps import StateDep
from boxoffice.serving.errors import ApiError
from boxoffice.serving.schemas import ERROR_RESPONSES, ModelInfo

router = APIRouter(prefix="/v1", tags=["model"])


@router.get("/model", response_model=ModelInfo, responses=ERROR_RESPONSES)
async def model_info(state: StateDep) -> ModelInfo:
    """The serving model's version, profile, training period, backtest figures and signature."""
    model = state.holder.current
    if model is None:
        raise ApiError(503, "model_unavailable", "no model is loaded yet")
    return ModelInfo(
        version=model.version,
        trained_at=model.metadata.get("trained_at"),
        profile=model.predictor.signature.profile,
        training_period=model.metadata.get("training_period"),
        metrics=model.metadata.get("holdout_metrics", {}),
        backtest=model.metadata.get("backtest"),
        # The track-record tables are the model's data, not its contract: fields only.
        signature=model.predictor.signature.model_dump(exclude={"history"})
        | {"history_fields": [h.field for h in model.predictor.signature.history]},
    )
