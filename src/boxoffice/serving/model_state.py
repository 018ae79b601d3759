"""The model a worker serves, loaded in the app's lifespan and retried until it appears."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boxoffice.predictor import (
    METADATA_FILE,
    IntegrityError,
    ModelNotFoundError,
    OnnxPredictor,
    read_verified,
)
from boxoffice.serving import metrics

log = logging.getLogger("boxoffice.model")


@dataclass(frozen=True)
class LoadedModel:
    predictor: OnnxPredictor
    version: str
    metadata: dict[str, Any] = field(default_factory=dict)


def load_model(uri: str) -> LoadedModel:
    """Read and verify the artifact at ``uri``; raises ModelNotFoundError or IntegrityError."""
    directory = Path(uri)
    model_bytes, signature, checksums = read_verified(directory)
    metadata: dict[str, Any] = {}
    meta_path = directory / METADATA_FILE
    if meta_path.exists():
        metadata = json.loads(meta_path.read_text())
    version = metadata.get("version") or f"sha-{checksums['model.onnx'][:12]}"
    return LoadedModel(OnnxPredictor(model_bytes, signature), str(version), metadata)


class ModelHolder:
    """Holds the current model; a background thread keeps trying until one loads."""

    def __init__(self, uri: str, retry_s: float) -> None:
        self.uri = uri
        self.retry_s = retry_s
        self.current: LoadedModel | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_load(self) -> bool:
        try:
            self.current = load_model(self.uri)
        except (ModelNotFoundError, IntegrityError, OSError, ValueError) as exc:
            metrics.MODEL_LOAD_FAILURES.inc()
            log.error(
                "no model served yet: %s (%s); retrying every %.0fs", self.uri, exc, self.retry_s
            )
            return False
        log.info("serving model %s from %s", self.current.version, self.uri)
        return True

    def start(self) -> None:
        if self.try_load():
            return
        self._thread = threading.Thread(target=self._retry, name="model-loader", daemon=True)
        self._thread.start()

    def _retry(self) -> None:
        while not self._stop.wait(self.retry_s):
            if self.try_load():
                return

    def stop(self) -> None:
        self._stop.set()
