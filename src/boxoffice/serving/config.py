"""Runtime settings of the serving process: one class, environment prefix ``BOXOFFICE_``.

``PORT`` and ``WEB_CONCURRENCY`` (platform conventions) are read by ``docker/initializer.sh``.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from boxoffice.core.params import DEFAULT_PROFILE


def _default_replica() -> str:
    return socket.gethostname().split(".")[0] or "replica"


# One random token per process start, keyed by PID so that a forked worker draws its own:
# containers reuse PIDs after every restart and replicas may share a hostname, so neither
# the replica name nor the PID alone makes a writer's lake objects unique.
_INSTANCE: dict[int, str] = {}


def instance_token() -> str:
    return _INSTANCE.setdefault(os.getpid(), secrets.token_hex(4))


class Settings(BaseSettings):
    # No validation error may echo the input: it holds the API key and the admin token.
    model_config = SettingsConfigDict(
        env_prefix="BOXOFFICE_", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses insecure defaults"
    )
    model_uri: str = Field(
        default=f"models/{DEFAULT_PROFILE}/export",
        description="Exported model directory (local path).",
    )
    registry_uri: str | None = Field(
        default=None,
        description="Serve the registry's production alias (hot-reloaded) instead of model_uri.",
    )
    models_dir: str = Field(
        default="models",
        description="Each declared profile's model is <models_dir>/<profile>/export unless"
        " model_uris names another folder (the serve profile's: model_uri).",
    )
    model_uris: dict[str, str] = Field(
        default_factory=dict,
        description='Model folders by profile, as JSON: {"retrospective": "/m/retro"}.',
    )
    retrospective_model_uri: str | None = Field(
        default="models/retrospective/export",
        description="Exported retrospective model (POST /v1/retrospective/prediction); "
        "with a registry, its production-retrospective alias is served instead.",
    )
    reload_seconds: float = Field(
        default=10.0, gt=0, description="How often to check for a new model."
    )
    reload_wait_seconds: float = Field(
        default=15.0, gt=0, description="How long an admin reload waits for every worker."
    )
    params_path: str = Field(
        default="params.yaml", description="Feature schema used until a model's signature exists."
    )
    lake_uri: str = Field(
        default="lake",
        description="Data lake root: a local folder, gs://bucket/p or s3://bucket/p.",
    )
    spool_dir: str = Field(
        default="spool", description="Local folder for the prediction log spool."
    )
    model_cache_dir: str = Field(
        default="model-cache", description="Local copies of registry versions, verified."
    )
    replica: str = Field(default_factory=_default_replica, description="Name used in lake files.")
    batch_limit: int = Field(default=1000, ge=1, description="Most rows in one batch request.")
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest request body.")
    api_key: SecretStr | None = Field(default=None, description="If set, required on predictions.")
    admin_token: SecretStr | None = Field(default=None, description="Required by admin routes.")
    ship_every_records: int = Field(default=1000, ge=1)
    ship_every_seconds: float = Field(default=10.0, gt=0)
    spool_max_records: int = Field(default=1_000_000, ge=1)
    model_retry_seconds: float = Field(default=5.0, gt=0)
    cors_origins: list[str] = Field(default_factory=list, description="CORS is off when empty.")
    docs_access: Literal["open", "api_key"] = Field(
        default="api_key",
        description="/docs, /redoc, /openapi.json: need the API key when one is set, or open.",
    )
    metrics_access: Literal["open", "admin"] | None = Field(
        default=None,
        description="/metrics: open, or behind the admin token (Prometheus sends it as a "
        "bearer token). Default: open in development, admin in production.",
    )

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment == "production" and self.admin_token is None:
            raise ValueError(
                "BOXOFFICE_ADMIN_TOKEN must be set when BOXOFFICE_ENVIRONMENT=production"
            )
        return self

    @property
    def effective_metrics_access(self) -> str:
        if self.metrics_access is not None:
            return self.metrics_access
        return "admin" if self.environment == "production" else "open"

    @property
    def worker_id(self) -> str:
        """This process's writer name (its spool folder, its lake objects' prefix): the
        replica, the PID for people, and the process start's own token for uniqueness."""
        return f"{self.replica}-{os.getpid()}-{instance_token()}"
