"""The app factory: ``create_app()`` builds the API; the model loads in ``lifespan``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from boxoffice import __version__
from boxoffice.core.artifact import SIGNATURE_FILE, ModelNotFoundError
from boxoffice.core.params import load_params
from boxoffice.core.request_model import example_film, field_notes, film_model
from boxoffice.core.signature import InputField, Interval, Signature
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.registry import Registry, alias_for
from boxoffice.serving import docs, errors, metrics
from boxoffice.serving.access import Access
from boxoffice.serving.broadcast import ReloadChannel
from boxoffice.serving.config import Settings
from boxoffice.serving.middleware import GuardAndMeasure
from boxoffice.serving.model_state import (
    TRANSIENT_ERRORS,
    FolderSource,
    ModelHolder,
    ModelSource,
    RegistrySource,
)
from boxoffice.serving.routes import admin, health, model, predictions, reports, ui
from boxoffice.serving.service import AppState
from boxoffice.serving.shipper import Shipper
from boxoffice.serving.spool import Spool, SpoolDir

log = logging.getLogger("boxoffice.api")
RETROSPECTIVE = "retrospective"


# Reading a signature: missing or unreachable (transient), or not a valid signature.
SIGNATURE_ERRORS = (*TRANSIENT_ERRORS, ValueError)


class SchemaUnavailableError(RuntimeError):
    """Neither the model's signature nor a params file gives the request schema."""


def _model_signature(settings: Settings, profile: str | None = None) -> Signature:
    if settings.registry_uri:
        registry = Registry(settings.registry_uri)
        alias = alias_for("production", profile) if profile else "production"
        version = registry.resolve(alias)
        data = registry.file(version, SIGNATURE_FILE)  # the signature alone, not the model
        if data is None:
            raise ModelNotFoundError(f"{version} has no {SIGNATURE_FILE}")
        return Signature.model_validate_json(data)
    folder = settings.retrospective_model_uri if profile else settings.model_uri
    if folder is None:
        raise ModelNotFoundError(f"no model folder configured for {profile}")
    return Signature.model_validate_json((Path(folder) / SIGNATURE_FILE).read_bytes())


def serving_signature(settings: Settings) -> Signature:
    """The request schema: the model's signature, else the feature schema of params.yaml.

    Only JSON/YAML is read here; the model itself loads in the lifespan. The fallback lets a
    replica start (live, not ready) before its model or registry is reachable.
    """
    try:
        return _model_signature(settings)
    except SIGNATURE_ERRORS as exc:
        reason = f"{settings.registry_uri or settings.model_uri}: {exc}"
    try:
        params = load_params(settings.params_path)
    except OSError as exc:
        raise SchemaUnavailableError(
            f"no request schema: cannot read {reason} nor {settings.params_path}"
        ) from exc
    log.warning("no model signature yet (%s); request schema from %s", reason, settings.params_path)
    inputs = [InputField.from_spec(spec) for spec in params.profile_features(params.serve_profile)]
    return Signature(
        target=params.feature_schema.target.field,
        inputs=inputs,
        interval=Interval(level=0.8, low=0, high=0),
        profile=params.serve_profile,
    )


def other_profile(settings: Settings) -> Signature | None:
    """The retrospective model's signature when one is there to serve (it is optional)."""
    try:
        return _model_signature(settings, RETROSPECTIVE)
    except SIGNATURE_ERRORS as exc:
        log.warning("retrospective profile not served: %s", exc)
        return None


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
    )
    shipper = Shipper(spool, Lake(settings.lake_uri), root)
    shipper.start()
    return spool, shipper


def _source(settings: Settings, profile: str | None = None) -> ModelSource:
    if settings.registry_uri:
        cache = Path(settings.model_cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        alias = alias_for("production", profile) if profile else "production"
        return RegistrySource(Registry(settings.registry_uri), cache, alias)
    return FolderSource(str(settings.retrospective_model_uri if profile else settings.model_uri))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    signature = serving_signature(settings)
    holder = ModelHolder(
        _source(settings), signature, settings.model_retry_seconds, settings.reload_seconds
    )
    state = AppState(holder=holder, spool=None)
    retrospective = other_profile(settings)
    if retrospective is not None:
        state.profiles[RETROSPECTIVE] = ModelHolder(
            _source(settings, RETROSPECTIVE),
            retrospective,
            settings.model_retry_seconds,
            settings.reload_seconds,
        )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The channel notes the standing reload request before the models load (they load
        # what is wanted now): any request written later is this worker's to answer.
        state.channel = ReloadChannel(Path(settings.spool_dir), settings.worker_id, state.reload)
        for each in state.holders():
            each.start()
        state.spool, shipper = _start_logging(settings)
        state.channel.start()
        try:
            yield
        finally:
            state.channel.stop()
            for each in state.holders():
                each.stop()
            shipper.stop()
            state.spool.owned.release(remove_if_empty=True)

    app = FastAPI(
        title="boxoffice",
        version=__version__,
        summary="Predict a film's worldwide box-office gross, with an 80% interval.",
        lifespan=lifespan,
        docs_url=None,  # served from packaged assets below, not a CDN
        redoc_url=None,
    )
    docs.install(app)
    ui.install(app)
    app.state.settings = settings
    app.state.boxoffice = state
    app.state.field_notes = field_notes(signature)
    if retrospective is not None:
        app.state.field_notes |= field_notes(retrospective)
    errors.install(app)
    app.include_router(
        predictions.router(film_model(signature), example_film(signature), settings.batch_limit)
    )
    if retrospective is not None:
        app.include_router(
            predictions.router(
                film_model(retrospective),
                example_film(retrospective),
                settings.batch_limit,
                RETROSPECTIVE,
            )
        )
    app.include_router(model.router)
    app.include_router(admin.router)
    app.include_router(health.router)
    app.include_router(reports.router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"])
    app.add_middleware(
        GuardAndMeasure,
        max_body_bytes=settings.max_body_bytes,
        access=Access.from_settings(settings),
    )
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` / gunicorn: settings from the environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings())
