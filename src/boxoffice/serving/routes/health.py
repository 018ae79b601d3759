"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from boxoffice.serving import metrics
from boxoffice.serving.deps import StateDep
from boxoffice.serving.schemas import ADMIN_REFUSALS, Health
from boxoffice.serving.service import AppState

router = APIRouter(tags=["operations"])


def _health(state: AppState, status: str) -> Health:
    model = state.holder.current
    spool = state.spool
    return Health(
        status=status,
        model_version=model.version if model is not None else None,
        logging=None if spool is None else spool.error is None,
        logging_error=None if spool is None else spool.error,
        logging_state=None if spool is None else "ok" if spool.error is None else "degraded",
        last_reload=state.holder.last_reload,
    )


@router.get("/health/live", response_model=Health)
async def live(state: StateDep) -> Health:
    """The process is up."""
    return _health(state, "alive")


@router.get("/health/ready", response_model=Health, responses={503: {"model": Health}})
async def ready(state: StateDep) -> JSONResponse:
    """Ready once a model is loaded; ``logging`` says whether predictions are being logged.

    A failing spool does not make the instance unready (it still answers, by the documented
    policy, and the spool heals itself on the next write); it shows here and in
    ``boxoffice_spool_dropped_total``.
    """
    if state.holder.current is None:
        return JSONResponse(_health(state, "loading").model_dump(), status_code=503)
    return JSONResponse(_health(state, "ready").model_dump())


@router.get("/metrics", response_class=Response, responses=ADMIN_REFUSALS)
async def prometheus() -> Response:
    """Prometheus text exposition; behind the admin token when BOXOFFICE_METRICS_ACCESS is
    `admin` (production's default)."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
