"""Who may call what: one check per request, before the body is read or validated.

Checked in the ASGI middleware, so a caller without the key learns nothing about the
request model (a 401 comes before any 422) and no route can forget the check.

| paths                                   | needs                                          |
|-----------------------------------------|------------------------------------------------|
| ``/health/*``                           | nothing (probes)                               |
| ``/v1/admin/*``                         | ``Authorization: Bearer <admin token>``        |
| other ``/v1/*`` (predictions, model)    | ``X-API-Key`` when an API key is set           |
| ``/docs``, ``/redoc``, ``/openapi.json``| ``docs_access``: ``open`` or ``api_key``       |
| ``/metrics``                            | ``metrics_access``: ``open`` or ``admin``      |
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from boxoffice.serving.config import Settings

DOC_PATHS = ("/docs", "/redoc", "/openapi.json")
# (status, code, message): what a refused caller gets. The OpenAPI's descriptions of these
# statuses are the same messages (serving/schemas.py), so the two cannot drift apart.
Denial = tuple[int, str, str]
API_KEY_REFUSED: Denial = (401, "unauthorized", "missing or wrong X-API-Key header")
ADMIN_DISABLED: Denial = (
    403,
    "forbidden",
    "admin routes are disabled: BOXOFFICE_ADMIN_TOKEN is not set",
)
ADMIN_REFUSED: Denial = (401, "unauthorized", "admin routes need 'Authorization: Bearer <token>'")


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time: the comparison must not leak how much of the secret was right."""
    if given is None:
        return False
    given_b = given.encode() if isinstance(given, str) else given
    expected_b = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(given_b, expected_b)


def bearer_token(header: str | bytes | None) -> str | None:
    """The credentials of an ``Authorization: Bearer <token>`` header, else None.

    The scheme is case-insensitive (RFC 7235 section 2.1); a header without it is not a
    bearer token.
    """
    if header is None:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    scheme, _, credentials = text.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


@dataclass(frozen=True)
class Access:
    api_key: str | None
    admin_token: str | None
    docs: str
    metrics: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        return cls(
            api_key=settings.api_key.get_secret_value() if settings.api_key else None,
            admin_token=settings.admin_token.get_secret_value() if settings.admin_token else None,
            docs=settings.docs_access,
            metrics=settings.effective_metrics_access,
        )

    def deny(self, path: str, headers: dict[bytes, bytes]) -> Denial | None:
        """Why this request may not proceed, or None."""
        if path.startswith("/health/"):
            return None
        if path.startswith("/v1/admin/") or (path == "/metrics" and self.metrics == "admin"):
            return self._admin(headers.get(b"authorization"))
        if path.startswith("/v1/") or (path.startswith(DOC_PATHS) and self.docs == "api_key"):
            return self._api_key(headers.get(b"x-api-key"))
        return None

    def _api_key(self, given: bytes | None) -> Denial | None:
        if self.api_key is None or same_secret(given, self.api_key):
            return None
        return API_KEY_REFUSED

    def _admin(self, header: bytes | None) -> Denial | None:
        if self.admin_token is None:
            return ADMIN_DISABLED
        if same_secret(bearer_token(header), self.admin_token):
            return None
        return ADMIN_REFUSED
