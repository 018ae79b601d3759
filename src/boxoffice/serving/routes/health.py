"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from boxoffice.serving import metrics
from boxoffice.serving.deps import StateDep
from boxoffice.serving.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=Health)
async def live() -> Health:
    """The process is up."""
    return Health(status="alive")


@router.get("/health/ready", response_model=Health, responses={503: {"model": Health}})
async def ready(state: StateDep) -> JSONResponse:
    """Ready once a model is loaded."""
    model = state.holder.current
    if model is None:
        return JSONResponse(Health(status="loading").model_dump(), status_code=503)
    return JSONResponse(Health(status="ready", model_version=model.version).model_dump())


@router.get("/metrics", response_class=Response)
async def prometheus() -> Response:
    """Prometheus text exposition."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
