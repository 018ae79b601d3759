"""``GET /v1/reports/latest``: the newest drift and accuracy reports published to the lake."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import KINDS, latest_report
from boxoffice.serving.schemas import ERROR_RESPONSES, LatestReports

router = APIRouter(prefix="/v1", tags=["monitoring"])
# Pages poll this; one lake listing per worker every half minute is plenty for reports that
# `boxoffice monitor` writes a few times a day.
TTL_SECONDS = 30.0


def _cached(request: Request) -> dict[str, Any]:
    cache: dict[str, Any] = getattr(request.app.state, "latest_reports", {})
    if cache and time.monotonic() - cache["at"] < TTL_SECONDS:
        return cache
    lake = Lake(request.app.state.settings.lake_uri)
    fresh: dict[str, Any] = {"at": time.monotonic(), "error": None}
    try:
        fresh |= {kind: latest_report(lake, kind) for kind in KINDS}
    except (OSError, ValueError) as exc:  # the lake is down: say so, serve what we had
        fresh |= {kind: cache.get(kind) for kind in KINDS} | {"error": f"lake unreachable: {exc}"}
    request.app.state.latest_reports = fresh
    return fresh


@router.get("/reports/latest", response_model=LatestReports, responses=ERROR_RESPONSES)
def latest(request: Request) -> LatestReports:
    """The latest drift and accuracy reports that `boxoffice monitor` published, if any."""
    cache = _cached(request)
    return LatestReports(
        drift=cache.get("drift"), accuracy=cache.get("accuracy"), error=cache.get("error")
    )
