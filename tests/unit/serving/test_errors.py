"""Errors leave in one shape, whether the middleware or an exception handler answers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from boxoffice.serving import errors
from boxoffice.serving.errors import ApiError
from boxoffice.serving.middleware import GuardAndMeasure


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.post("/v1/boom")
    async def boom() -> None:
        raise ApiError(409, "conflict", "no")

    app.add_middleware(GuardAndMeasure, max_body_bytes=10)
    return app


def _shape(body: dict[str, object]) -> dict[str, object]:
    error = body["error"]
    assert isinstance(error, dict)
    return {key: type(value) for key, value in error.items()}


def test_middleware_and_handler_envelopes_have_the_same_shape() -> None:
    with TestClient(_app()) as client:
        handled = client.post("/v1/boom", json={})
        refused = client.post("/v1/boom", content=b"x" * 11, headers={"content-type": "text/plain"})
        unsupported = client.post("/v1/boom", content=b"x", headers={"content-type": "text/plain"})
    assert handled.status_code == 409 and refused.status_code == 413
    assert unsupported.status_code == 415
    assert list(handled.json()) == list(refused.json()) == ["error"]
    assert _shape(handled.json()) == _shape(refused.json()) == _shape(unsupported.json())
    assert handled.json()["error"]["status"] == 409 and refused.json()["error"]["status"] == 413


def test_middleware_error_bytes_are_unchanged() -> None:
    # The envelope moved into errors.py; what the middleware sends stays byte for byte.
    with TestClient(_app()) as client:
        refused = client.post("/v1/boom", content=b"x" * 11, headers={"content-type": "text/plain"})
    assert refused.content == (
        b'{"error": {"status": 413, "type": "payload_too_large",'
        b' "message": "request body exceeds 10 bytes", "details": []}}'
    )
    assert refused.headers["content-type"] == "application/json"
