"""The app factory: ``create_app()`` assembles the API; the models load in ``lifespan``.

What a server serves (sources, request schemas, holders) is found in :mod:`.startup`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from boxoffice import __version__
from boxoffice.core.request_model import example_film, field_notes, film_model
from boxoffice.lake.prediction_log import Lake
from boxoffice.serving import docs, errors, metrics
from boxoffice.serving.access import Access
from boxoffice.serving.broadcast import ReloadChannel
from boxoffice.serving.config import Settings
from boxoffice.serving.memory import release_freed_heap
from boxoffice.serving.middleware import GuardAndMeasure
from boxoffice.serving.routes import admin, health, model, predictions, reports, ui
from boxoffice.serving.service import AppState
from boxoffice.serving.shipper import Shipper
from boxoffice.serving.spool import Spool, SpoolDir
from boxoffice.serving.startup import Served, served

log = logging.getLogger("boxoffice.api")
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _start_logging(settings: Settings) -> tuple[Spool, Shipper]:
    root = Path(settings.spool_dir)
    owned = SpoolDir.try_claim(root / settings.worker_id)
    if owned is None:
        raise RuntimeError(f"spool directory for {settings.worker_id} is held by another process")
    spool = Spool(
        owned,
        seal_records=settings.ship_every_records,
        seal_seconds=settings.ship_every_seconds,
        max_records=settings.spool_max_records,
        on_drop=metrics.SPOOL_DROPPED.inc,
        on_degraded=lambda degraded: metrics.LOGGING_DEGRADED.set(1 if degraded else 0),
        on_pending=metrics.SPOOL_PENDING.set,
    )
    shipper = Shipper(spool, Lake(settings.lake_uri), root)
    shipper.start()
    return spool, shipper


def _app_state(profiles: list[Served]) -> AppState:
    default, *others = profiles
    state = AppState(holder=default.holder, spool=None)
    state.routes[default.profile.name] = default.profile.route
    for other in others:
        state.profiles[other.profile.name] = other.holder
        state.routes[other.profile.name] = other.profile.route
    return state


def _lifespan(settings: Settings, state: AppState) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The channel notes the standing reload request before the models load (they load
        # what is wanted now): any request written later is this worker's to answer.
        state.channel = ReloadChannel(Path(settings.spool_dir), settings.worker_id, state.reload)
        for each in state.holders():
            each.start()
        state.spool, shipper = _start_logging(settings)
        state.channel.start()
        release_freed_heap()  # what the models' loading freed (about 13 MB per worker)
        try:
            yield
        finally:
            state.channel.stop()
            for each in state.holders():
                each.stop()
            shipper.stop()
            state.spool.owned.release(remove_if_empty=True)

    return lifespan


def _include_routers(app: FastAPI, profiles: list[Served], limit: int) -> frozenset[str]:
    """Include every router; returns the app's paths (the metrics' route labels): an
    included router's routes are not on ``app.routes`` with their paths."""
    routers = []
    for one in profiles:  # one prediction router per declared profile (params.yaml)
        name = None if one.profile.default else one.profile.name
        film, example = film_model(one.signature), example_film(one.signature)
        routers.append(predictions.router(film, example, limit, one.profile.prefix, name))
    routers += [each.router for each in (model, admin, health, reports)]
    for router in routers:
        app.include_router(router)
    own = (getattr(route, "path", None) for route in app.routes)  # the docs, the page
    included = (getattr(route, "path", None) for router in routers for route in router.routes)
    return frozenset(path for path in (*included, *own) if path)


def _field_notes(profiles: list[Served], limit: int) -> dict[tuple[str, str], str]:
    notes: dict[tuple[str, str], str] = {}
    for one in profiles:
        notes |= field_notes(one.signature)
    # Names the setting, not only the number (it said "List should have at most 1000 items").
    notes[("films", "too_long")] = (
        f"at most {limit} films per request (the server's BOXOFFICE_BATCH_LIMIT): split the batch"
    )
    return notes


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    profiles = served(settings)
    state = _app_state(profiles)
    level = profiles[0].signature.interval.level
    app = FastAPI(
        title="boxoffice",
        version=__version__,
        summary=f"Predict a film's worldwide box-office gross, with an {level:.0%} interval.",
        lifespan=_lifespan(settings, state),
        docs_url=None,  # served from packaged assets below, not a CDN
        redoc_url=None,
    )
    docs.install(app)
    ui.install(app)
    app.state.settings = settings
    app.state.boxoffice = state
    app.state.field_notes = _field_notes(profiles, settings.batch_limit)
    errors.install(app)
    paths = _include_routers(app, profiles, settings.batch_limit)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"])
    app.add_middleware(
        GuardAndMeasure,
        max_body_bytes=settings.max_body_bytes,
        access=Access.from_settings(settings),
        paths=paths,
    )
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` / gunicorn: settings from the environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings())
