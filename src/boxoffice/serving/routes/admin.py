"""``POST /v1/admin/reload``: check for a new production model now (admin token)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from boxoffice.serving.config import Settings
from boxoffice.serving.deps import StateDep
from boxoffice.serving.schemas import ADMIN_RESPONSES

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


class WorkerReload(BaseModel):
    changed: bool | None = None
    model_version: str | None = None
    error: str | None = None


class ReloadResult(BaseModel):
    changed: bool = Field(description="Whether the worker that answered swapped its model.")
    model_version: str | None = Field(description="What the worker that answered serves now.")
    workers: dict[str, WorkerReload] = Field(
        default_factory=dict, description="Every worker of the instance that reloaded."
    )
    not_reached: list[str] = Field(
        default_factory=list, description="Live workers that did not answer in time."
    )


@router.post(
    "/reload", response_model=ReloadResult, responses=ADMIN_RESPONSES, openapi_extra=ADMIN_HEADER
)
async def reload(request: Request, state: StateDep) -> ReloadResult:
    """Check the model source now in every worker of the instance; swap where a new
    acceptable version is there. Returns once every worker answered (or the wait ran out)."""
    settings: Settings = request.app.state.settings
    channel = state.channel
    if channel is None:  # no lifespan (never in a served app): this worker alone
        return ReloadResult(**state.reload())
    token = channel.request()
    deadline = time.monotonic() + settings.reload_wait_seconds
    while True:
        acks, missing = channel.answers(token)
        if (not missing and channel.worker in acks) or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.05)
    own = acks.get(channel.worker) or state.reload()  # our own channel is late: do it here
    return ReloadResult(
        changed=bool(own.get("changed")),
        model_version=own.get("model_version"),
        workers={name: WorkerReload(**ack) for name, ack in acks.items()},
        not_reached=missing,
    )
