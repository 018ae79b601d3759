"""``POST /v1/admin/reload``: check for a new production model now (admin token)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from boxoffice.serving.deps import StateDep
from boxoffice.serving.schemas import ERROR_RESPONSES

# The admin token is checked by the access middleware (serving/access.py) for /v1/admin/*;
# this only documents the header.
ADMIN_HEADER = {
    "parameters": [
        {
            "name": "Authorization",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Bearer <BOXOFFICE_ADMIN_TOKEN>",
        }
    ]
}
router = APIRouter(prefix="/v1/admin", tags=["admin"])


class ReloadResult(BaseModel):
    changed: bool
    model_version: str | None


@router.post(
    "/reload", response_model=ReloadResult, responses=ERROR_RESPONSES, openapi_extra=ADMIN_HEADER
)
async def reload(state: StateDep) -> ReloadResult:
    """Check the model source now and swap if a new acceptable version is there."""
    changed = state.holder.check()
    for other in state.profiles.values():  # the other profiles reload with it
        other.check()
    current = state.holder.current
    return ReloadResult(changed=changed, model_version=current.version if current else None)
