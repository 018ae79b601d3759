"""Decode a base64 service-account key (the fallback to Workload Identity) into a private file.

The key is written with mode 0600 into a fresh temporary directory, never into the project,
and neither the key nor its decoded content ever appears in a message.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from pathlib import Path

KEY_ENV = "GCP_CREDENTIALS_B64"


class CredentialsError(ValueError):
    """The encoded key is missing or is not a base64 service-account JSON key."""


def write_service_account_key(encoded: str | None = None) -> Path:
    """Decode ``encoded`` (default: $GCP_CREDENTIALS_B64) to ``<tmpdir>/key.json`` (0600)."""
    encoded = encoded if encoded is not None else os.environ.get(KEY_ENV)
    if not encoded:
        raise CredentialsError(f"no key given and ${KEY_ENV} is not set")
    try:
        key = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise CredentialsError("the key is not base64-encoded JSON") from exc
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise CredentialsError("the decoded JSON is not a service-account key")
    directory = Path(tempfile.mkdtemp(prefix="boxoffice-key-"))  # 0700, owned by us
    path = directory / "key.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(key, handle)
    return path
