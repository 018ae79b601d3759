"""A reload that reaches every worker of the instance, not just the one that answered.

gunicorn hands ``POST /v1/admin/reload`` to one worker. That worker writes a request token
into ``<spool root>/.control/reload-request``; every worker's channel thread notices it
within ``poll_s``, runs its own model check and writes ``ack-<worker>`` with the token and
the version it now serves. The route waits for the acks of every live worker (those holding
a spool directory's lock) and says which did not answer in time.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boxoffice.core.io import write_bytes_atomic
from boxoffice.serving.spool import live_owners

log = logging.getLogger("boxoffice.reload")

CONTROL_DIR = ".control"
REQUEST_FILE = "reload-request"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


class ReloadChannel:
    def __init__(
        self, root: Path, worker: str, reload: Callable[[], dict[str, Any]], poll_s: float = 0.1
    ) -> None:
        self.root = root
        self.folder = root / CONTROL_DIR
        self.worker = worker
        self.reload = reload
        self.poll_s = poll_s
        # A request older than this worker was for the workers before it: not ours to answer.
        current = _read(self.folder / REQUEST_FILE)
        self._seen = current["token"] if current else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reload-channel", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def request(self) -> str:
        """Ask every worker to reload; returns the request's token."""
        self.folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        write_bytes_atomic(self.folder / REQUEST_FILE, json.dumps({"token": token}).encode())
        return token

    def answers(self, token: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """(ack of each live worker that answered ``token``, live workers that did not)."""
        acks: dict[str, dict[str, Any]] = {}
        missing = []
        for worker in live_owners(self.root):
            ack = _read(self.folder / f"ack-{worker}")
            if ack is not None and ack.get("token") == token:
                acks[worker] = {k: v for k, v in ack.items() if k != "token"}
            else:
                missing.append(worker)
        return acks, missing

    def poll_once(self) -> None:
        request = _read(self.folder / REQUEST_FILE)
        if request is None or request.get("token") == self._seen:
            return
        self._seen = request["token"]
        try:
            result = self.reload()
        except Exception as exc:  # reported as this worker's answer; the channel lives on
            log.exception("reload requested by the instance failed")
            result = {"error": type(exc).__name__}
        answer = json.dumps(result | {"token": self._seen}).encode()
        write_bytes_atomic(self.folder / f"ack-{self.worker}", answer)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll_once()
            except OSError as exc:  # the folder deleted or unwritable: try again next tick
                log.warning("reload channel: %s", exc)
