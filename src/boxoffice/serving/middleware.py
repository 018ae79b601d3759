"""Pure ASGI middleware: access, request size limit, JSON content type, request metrics."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.serving import metrics
from boxoffice.serving.access import Access
from boxoffice.serving.errors import error_envelope


class _BodyTooLargeError(Exception):
    pass


async def _send_error(send: Send, status: int, kind: str, message: str) -> None:
    # Refused before the app runs, so no exception handler sees it; the shape is theirs.
    body = json.dumps(error_envelope(status, kind, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GuardAndMeasure:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        access: Access | None = None,
        paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access = access
        self.paths = paths  # the app's own: a request refused before routing is counted there
        self._counters: dict[tuple[str, int], Any] = {}
        self._histograms: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}
        headers = dict(scope.get("headers") or [])

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            rejected = self._reject(scope, headers)
            if rejected:
                status["code"] = rejected[0]
                await _send_error(send, *rejected)
            else:
                if b"content-length" not in headers and scope["method"] in ("POST", "PUT"):
                    # Chunked: read it all (up to the limit) here, where an oversize body is a
                    # 413; raised inside the framework's body parsing it would become a 400.
                    receive = _replay(await self._read_all(receive), receive)
                await self.app(scope, self._limited(receive), send_wrapper)
        except _BodyTooLargeError:
            status["code"] = 413
            await _send_error(send, 413, "payload_too_large", self._too_large_message())
        finally:
            label = self._route_label(scope)
            self._counter(label, status["code"]).inc()
            self._histogram(label).observe(time.perf_counter() - start)

    def _route_label(self, scope: Scope) -> str:
        """The matched route's path; for a request refused before routing (401, 413, 415),
        the path when it is one of the app's own: a 401 flood on /v1/prediction shows there,
        while any other path stays "unmatched" (a label per scanned URL would grow forever)."""
        path = getattr(scope.get("route"), "path", None)
        if path:
            return str(path)
        return str(scope["path"]) if scope["path"] in self.paths else "unmatched"

    def _counter(self, route: str, status: int) -> Any:
        # Labelled children cached: .labels() costs a lock and a dict build per call.
        key = (route, status)
        if key not in self._counters:
            self._counters[key] = metrics.REQUESTS.labels(route, str(status))
        return self._counters[key]

    def _histogram(self, route: str) -> Any:
        if route not in self._histograms:
            self._histograms[route] = metrics.LATENCY.labels(route)
        return self._histograms[route]

    def _too_large_message(self) -> str:
        return f"request body exceeds {self.max_body_bytes} bytes"

    def _reject(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        if self.access is not None:  # first: a caller without the key learns nothing more
            denied = self.access.deny(scope["path"], headers)
            if denied:
                return denied
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return 413, "payload_too_large", self._too_large_message()
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        if scope["method"] == "POST" and has_body and scope["path"].startswith("/v1/"):
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if ctype != b"application/json":
                return 415, "unsupported_media_type", "send the body as application/json"
        return None

    async def _read_all(self, receive: Receive) -> bytes:
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _BodyTooLargeError
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _limited(self, receive: Receive) -> Receive:
        seen = {"bytes": 0}

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > self.max_body_bytes:
                    raise _BodyTooLargeError
            return message

        return wrapped


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over the buffered body once, then the real channel (disconnects)."""
    sent = {"done": False}

    async def replay() -> Message:
        if sent["done"]:
            return await receive()
        sent["done"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
