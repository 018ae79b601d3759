"""The gunicorn worker: uvicorn with read deadlines and a connection limit.

uvicorn times out idle keep-alive connections only: a client that sends its headers or its
body one byte at a time holds a connection (and, 200 of them, the worker) for as long as it
likes. Here each connection must finish its headers within ``BOXOFFICE_HEADER_TIMEOUT_S``
(10 s) of opening or of starting a request, and its body within ``BOXOFFICE_BODY_TIMEOUT_S``
(30 s) of the headers; late bodies get a 408, late headers a closed connection. Above
``BOXOFFICE_MAX_CONNECTIONS`` (200) connections per worker, new requests get a 503.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.workers import UvicornWorker


def _env_float(name: str, default: float) -> float:
    value = float(os.environ.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


_TIMEOUT_BODY = json.dumps(
    {
        "error": {
            "status": 408,
            "type": "request_timeout",
            "message": "the request body was not received in time",
            "details": [],
        }
    }
).encode()
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body read deadlines."""

    header_timeout_s = 10.0
    body_timeout_s = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, stage: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, stage)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, stage: str) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        # A body that is late gets an answer; late headers have no request to answer.
        if stage == "body" and self.cycle is not None and not self.cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_s, "headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_timeout_s, "headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout_s, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class Worker(UvicornWorker):
    """What ``initializer.sh`` runs: settings from the environment, read once per worker."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        DeadlineProtocol.header_timeout_s = _env_float("BOXOFFICE_HEADER_TIMEOUT_S", 10.0)
        DeadlineProtocol.body_timeout_s = _env_float("BOXOFFICE_BODY_TIMEOUT_S", 30.0)
        self.CONFIG_KWARGS = {
            "loop": "auto",
            "http": DeadlineProtocol,
            "limit_concurrency": int(_env_float("BOXOFFICE_MAX_CONNECTIONS", 200)),
        }
        super().__init__(*args, **kwargs)
