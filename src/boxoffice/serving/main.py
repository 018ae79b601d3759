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
from boxoffice.lifecycle.registry import Registry
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
from boxoffice.serving.profiles import ServedProfile, served_profiles
from boxoffice.serving.routes import admin, health, model, predictions, reports, ui
from boxoffice.serving.service import AppState
from boxoffice.serving.shipper import Shipper
from boxoffice.serving.spool import Spool, SpoolDir

log = logging.getLogger("boxoffice.api")


# Reading a signature: missing or unreachable (transient), or not a valid signature.
SIGNATURE_ERRORS = (*TRANSIENT_ERRORS, ValueError)


class SchemaUnavailableError(RuntimeError):
    """Neither the model's signature nor a params file gives the request schema."""


def _model_signature(settings: Settings, profile: ServedProfile) -> Signature:
    if settings.registry_uri:
        registry = Registry(settings.registry_uri)
        version = registry.resolve(profile.alias)
        data = registry.file(version, SIGNATURE_FILE)  # the signature alone, not the model
        if data is None:
            raise ModelNotFoundError(f"{version} has no {SIGNATURE_FILE}")
        return Signature.model_validate_json(data)
    return Signature.model_validate_json((Path(profile.folder) / SIGNATURE_FILE).read_bytes())


def serving_signature(settings: Settings, profile: ServedProfile) -> Signature:
    """The request schema: the model's signature, else the feature schema of params.yaml.

    Only JSON/YAML is read here; the model itself loads in the lifespan. The fallback lets a
    replica start (live, not ready) before its model or registry is reachable.
    """
    try:
        return _model_signature(settings, profile)
    except SIGNATURE_ERRORS as exc:
        reason = f"{settings.registry_uri or profile.folder}: {exc}"
    try:
        params = load_params(settings.params_path)
    except OSError as exc:
        raise SchemaUnavailableError(
            f"no request schema: cannot read {reason} nor {settings.params_path}"
        ) from exc
    log.warning("no model signature yet (%s); request schema from %s", reason, settings.params_path)
    inputs = [InputField.from_spec(spec) for spec in params.profile_features(profile.name)]
    return Signature(
        target=params.feature_schema.target.field,
        inputs=inputs,
        # No offsets yet (no model), but the level the pipeline calibrates at.
        interval=Interval(level=params.train.interval_level, low=0, high=0),
        profile=profile.name,
    )


def optional_signature(settings: Settings, profile: ServedProfile) -> Signature | None:
    """Another profile's signature when its model is there to serve (they are optional)."""
    try:
        return _model_signature(settings, profile)
    except SIGNATURE_ERRORS as exc:
        log.warning("profile %s not served: %s", profile.name, exc)
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
        on_degraded=lambda degraded: metrics.LOGGING_DEGRADED.set(1 if degraded else 0),
    )
    shipper = Shipper(spool, Lake(settings.lake_uri), root)
    shipper.start()
    return spool, shipper


def _source(settings: Settings, profile: ServedProfile) -> ModelSource:
    if settings.registry_uri:
        cache = Path(settings.model_cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        return RegistrySource(Registry(settings.registry_uri), cache, profile.alias)
    return FolderSource(profile.folder)


def _holder(settings: Settings, profile: ServedProfile, signature: Signature) -> ModelHolder:
    return ModelHolder(
        _source(settings, profile),
        signature,
        settings.model_retry_seconds,
        settings.reload_seconds,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    default, *declared_others = served_profiles(settings)
    signature = serving_signature(settings, default)
    state = AppState(holder=_holder(settings, default, signature), spool=None)
    state.routes[default.name] = default.route
    others: dict[ServedProfile, Signature] = {}
    for profile in declared_others:
        found = optional_signature(settings, profile)
        if found is not None:
            others[profile] = found
            state.profiles[profile.name] = _holder(settings, profile, found)
            state.routes[profile.name] = profile.route

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
        summary="Predict a film's worldwide box-office gross, with an"
        f" {signature.interval.level:.0%} interval.",
        lifespan=lifespan,
        docs_url=None,  # served from packaged assets below, not a CDN
        redoc_url=None,
    )
    docs.install(app)
    ui.install(app)
    app.state.settings = settings
    app.state.boxoffice = state
    app.state.field_notes = field_notes(signature)
    for other in others.values():
        app.state.field_notes |= field_notes(other)
    limit = settings.batch_limit
    # Names the setting, not only the number (it said "List should have at most 1000 items").
    app.state.field_notes[("films", "too_long")] = (
        f"at most {limit} films per request (the server's BOXOFFICE_BATCH_LIMIT): split the batch"
    )
    errors.install(app)
    app.include_router(
        predictions.router(film_model(signature), example_film(signature), limit, default.prefix)
    )
    for profile, other in others.items():  # one router per declared profile (params.yaml)
        app.include_router(
            predictions.router(
                film_model(other), example_film(other), limit, profile.prefix, profile.name
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
