"""Dependencies shared by the routes (``Annotated`` aliases).

All are ``async def``: FastAPI runs plain ``def`` dependencies in a thread pool, and three
thread hand-offs per request cost more than the whole prediction.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from boxoffice.config import Settings
from boxoffice.serving.errors import ApiError
from boxoffice.serving.service import AppState


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.boxoffice
    return state


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def require_api_key(
    settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """Enforced only when BOXOFFICE_API_KEY is set."""
    if settings.api_key is not None and not _matches(
        x_api_key, settings.api_key.get_secret_value()
    ):
        raise ApiError(401, "unauthorized", "missing or wrong X-API-Key header")


async def require_admin(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    token = settings.admin_token.get_secret_value() if settings.admin_token else None
    given = authorization.removeprefix("Bearer ").strip() if authorization else None
    if token is None or not _matches(given, token):
        raise ApiError(401, "unauthorized", "admin routes need 'Authorization: Bearer <token>'")
