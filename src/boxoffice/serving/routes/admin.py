"""``POST /v1/admin/reload``: check for a new production model now (admin token)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from boxoffice.config import Settings
from boxoffice.serving.deps import StateDep
from boxoffice.serving.errors import ApiError
from boxoffice.serving.schemas import ERROR_RESPONSES


async def require_admin(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    settings: Settings = request.app.state.settings
    token = settings.admin_token.get_secret_value() if settings.admin_token else None
    given = authorization.removeprefix("Bearer ").strip() if authorization else ""
    # Constant-time comparison; with no token configured, admin routes are closed.
    if token is None or not hmac.compare_digest(given.encode(), token.encode()):
        raise ApiError(401, "unauthorized", "admin routes need 'Authorization: Bearer <token>'")


router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)])


class ReloadResult(BaseModel):
    changed: bool
    model_version: str | None


@router.post("/reload", response_model=ReloadResult, responses=ERROR_RESPONSES)
async def reload(state: StateDep) -> ReloadResult:
    """Check the model source now and swap if a new acceptable version is there."""
    changed = state.holder.check()
    for other in state.profiles.values():  # the other profiles reload with it
        other.check()
    current = state.holder.current
    return ReloadResult(changed=changed, model_version=current.version if current else None)
