"""The profiles a server offers: those ``params.yaml`` declares, each on its declared route.

The serve profile comes first (``/v1/prediction``); every other profile is served when its
model is there at start. Without a readable params file (an image built without one) the
built-in declaration holds: the same two profiles ``params.yaml`` ships with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from boxoffice.core.params import DEFAULT_PROFILE, ProfileParams, builtin_profiles, load_params
from boxoffice.lifecycle.registry import alias_for
from boxoffice.serving.config import Settings

log = logging.getLogger("boxoffice.api")
LEGACY_RETROSPECTIVE = "retrospective"  # BOXOFFICE_RETROSPECTIVE_MODEL_URI names its folder


@dataclass(frozen=True)
class ServedProfile:
    name: str
    route: str  # the one-film route; the batch route is the same path + "s"
    folder: str  # its exported model without a registry
    default: bool  # the serve profile: /v1's, the plain aliases, the page's first choice

    @property
    def prefix(self) -> str:
        return self.route.removesuffix("/prediction")

    @property
    def alias(self) -> str:
        return alias_for("production", self.name)


def declared(settings: Settings) -> tuple[dict[str, ProfileParams], str]:
    try:
        params = load_params(settings.params_path)
        return params.profiles, params.serve_profile
    except OSError as exc:
        log.warning("profiles: %s unreadable (%s); the built-in two", settings.params_path, exc)
        return builtin_profiles(), DEFAULT_PROFILE


def served_profiles(settings: Settings) -> list[ServedProfile]:
    """Every declared profile, the serve profile first."""
    profiles, serve = declared(settings)
    order = [serve, *(name for name in profiles if name != serve)]
    return [_served(settings, name, profiles[name].route, name == serve) for name in order]


def _served(settings: Settings, name: str, route: str, default: bool) -> ServedProfile:
    if default:
        folder = settings.model_uri
    elif name in settings.model_uris:
        folder = settings.model_uris[name]
    elif name == LEGACY_RETROSPECTIVE and settings.retrospective_model_uri:
        folder = settings.retrospective_model_uri
    else:
        folder = f"{settings.models_dir}/{name}/export"
    return ServedProfile(name, route, folder, default)
