"""What a server finds at start: each served profile's source, request schema and holder.

Only JSON/YAML is read here; the models themselves load in the app's lifespan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from boxoffice.core.params import load_params
from boxoffice.core.signature import InputField, Interval, Signature
from boxoffice.lifecycle.registry import Registry
from boxoffice.serving.config import Settings
from boxoffice.serving.model_state import (
    TRANSIENT_ERRORS,
    FolderSource,
    ModelHolder,
    RegistrySource,
)
from boxoffice.serving.profiles import ServedProfile, served_profiles

log = logging.getLogger("boxoffice.api")

# Reading a signature: missing or unreachable (transient), or not a valid signature.
SIGNATURE_ERRORS = (*TRANSIENT_ERRORS, ValueError)

Source = FolderSource | RegistrySource


class SchemaUnavailableError(RuntimeError):
    """Neither the model's signature nor a params file gives the request schema."""


@dataclass(frozen=True)
class Served:
    """One served profile: where it is declared, its request schema, its model's holder."""

    profile: ServedProfile
    signature: Signature
    holder: ModelHolder


def model_source(settings: Settings, profile: ServedProfile) -> Source:
    """The registry's alias of the profile when a registry is set, else its exported folder."""
    if settings.registry_uri:
        cache = Path(settings.model_cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        return RegistrySource(Registry(settings.registry_uri), cache, profile.alias)
    return FolderSource(profile.folder)


def _params_signature(settings: Settings, profile: ServedProfile, reason: str) -> Signature:
    """The request schema from params.yaml, for a replica whose model is not there yet."""
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


def serving_signature(
    settings: Settings, profile: ServedProfile, source: Source | None = None
) -> Signature:
    """The request schema: the model's signature, else the feature schema of params.yaml.

    The fallback lets a replica start (live, not ready) before its model or registry is
    reachable.
    """
    try:
        data = (source or model_source(settings, profile)).signature_bytes()
        return Signature.model_validate_json(data)
    except SIGNATURE_ERRORS as exc:
        reason = f"{settings.registry_uri or profile.folder}: {exc}"
    return _params_signature(settings, profile, reason)


def optional_signature(source: Source, profile: ServedProfile) -> Signature | None:
    """Another profile's signature when its model is there to serve (they are optional)."""
    try:
        return Signature.model_validate_json(source.signature_bytes())
    except SIGNATURE_ERRORS as exc:
        log.warning("profile %s not served: %s", profile.name, exc)
        return None


def _holder(settings: Settings, source: Source, signature: Signature) -> ModelHolder:
    return ModelHolder(source, signature, settings.model_retry_seconds, settings.reload_seconds)


def served(settings: Settings) -> list[Served]:
    """The serve profile (always, its schema from params.yaml if need be), then every other
    declared profile whose model's signature is there."""
    default, *others = served_profiles(settings)
    source = model_source(settings, default)
    signature = serving_signature(settings, default, source)
    found = [Served(default, signature, _holder(settings, source, signature))]
    for profile in others:
        source = model_source(settings, profile)
        other = optional_signature(source, profile)
        if other is not None:
            found.append(Served(profile, other, _holder(settings, source, other)))
    return found
