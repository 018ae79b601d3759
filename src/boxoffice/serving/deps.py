"""Dependencies shared by the routes.

``StateDep`` is an ``async def`` dependency (FastAPI runs plain ``def`` ones in a thread pool,
and a thread hand-off costs more than a prediction). The prediction routes skip injection
altogether and await :func:`get_state` with their Request: on the hot path each resolved
dependency costs more than the model's inference. Neither checks the API key: the middleware
has done that before the body was read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from boxoffice.serving.service import AppState

API_KEY_PARAMETER: dict[str, Any] = {
    "name": "X-API-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Required when the server sets BOXOFFICE_API_KEY.",
}


async def get_state(request: Request) -> AppState:
    """The app state the factory attached to the app."""
    state: AppState = request.app.state.boxoffice
    return state


StateDep = Annotated[AppState, Depends(get_state)]
