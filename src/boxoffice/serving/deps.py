"""Dependencies shared by the routes.

``StateDep`` is an ``async def`` dependency (FastAPI runs plain ``def`` ones in a thread pool,
and a thread hand-off costs more than a prediction). The prediction routes skip injection
altogether and call :func:`checked_state` with their Request: on the hot path each resolved
dependency costs more than the model's inference.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request

from boxoffice.config import Settings
from boxoffice.serving.errors import ApiError
from boxoffice.serving.service import AppState

API_KEY_PARAMETER: dict[str, Any] = {
    "name": "X-API-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Required when the server sets BOXOFFICE_API_KEY.",
}


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.boxoffice
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def _matches(given: str | None, expected: str) -> bool:
    # Constant-time: the comparison must not leak how much of the key was right.
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def checked_state(request: Request) -> AppState:
    """The app state, once the API key (enforced only when BOXOFFICE_API_KEY is set) matches."""
    settings: Settings = request.app.state.settings
    if settings.api_key is not None:
        given = request.headers.get("x-api-key")
        if not _matches(given, settings.api_key.get_secret_value()):
            raise ApiError(401, "unauthorized", "missing or wrong X-API-Key header")
    state: AppState = request.app.state.boxoffice
    return state
