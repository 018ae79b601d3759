"""The model a worker serves: loaded in the lifespan, retried until it appears, hot-swapped.

A source says which version should be served (a folder's checksums, or the registry's
``production`` alias); the holder loads a new version beside the old one, checks its
integrity and that the serving request schema can feed it, then swaps one reference. A
request holds the model it started with, so in-flight requests finish on the old model.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from boxoffice.core.artifact import (
    CHECKSUMS_FILE,
    METADATA_FILE,
    SIGNATURE_FILE,
    ModelNotFoundError,
    read_verified,
    served_name,
    version_of,
)
from boxoffice.core.predictor import OnnxPredictor
from boxoffice.core.signature import Signature
from boxoffice.lifecycle.registry import AliasNotSetError, Registry, VersionNotFoundError
from boxoffice.serving import metrics
from boxoffice.serving.memory import release_freed_heap

log = logging.getLogger("boxoffice.model")

# Failures that may pass by themselves (a version not there yet, storage down): retried at the
# next poll. Any other failure to load a verified version (a corrupt graph, an incompatible
# schema) is refused for good, so it is logged and counted once, not every poll.
TRANSIENT_ERRORS = (ModelNotFoundError, VersionNotFoundError, AliasNotSetError, OSError)


class IncompatibleSignatureError(ValueError):
    """The serving request schema cannot feed this model."""


@dataclass(frozen=True)
class LoadedModel:
    predictor: OnnxPredictor
    # From the verified content hash, never from metadata.json (which can disagree with it).
    version: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # The source's name for what was loaded (a registry version, or the folder's hash).
    wanted: str = ""


class ModelSource(Protocol):
    def wanted(self) -> str:
        """The version that should be served now."""

    def directory(self, version: str) -> Path:
        """A local directory holding that version's verified files."""


class FolderSource:
    """An exported model directory (``make run``; the container's baked-in model)."""

    def __init__(self, uri: str) -> None:
        self.path = Path(uri)

    def wanted(self) -> str:
        try:
            checksums = json.loads((self.path / CHECKSUMS_FILE).read_text())
        except FileNotFoundError as exc:
            raise ModelNotFoundError(f"no exported model in {self.path}") from exc
        return version_of(checksums)

    def directory(self, version: str) -> Path:
        return self.path

    def signature_bytes(self) -> bytes:
        """The exported signature alone (the request schema), without loading the model."""
        return (self.path / SIGNATURE_FILE).read_bytes()


class RegistrySource:
    """A registry alias (``production`` by default); versions are cached once verified."""

    def __init__(self, registry: Registry, cache: Path, alias: str = "production") -> None:
        self.registry = registry
        self.cache = cache
        self.alias = alias

    def wanted(self) -> str:
        return self.registry.resolve(self.alias)

    def signature_bytes(self) -> bytes:
        """The alias's signature alone (the request schema), without downloading the model."""
        version = self.wanted()
        data = self.registry.file(version, SIGNATURE_FILE)
        if data is None:
            raise ModelNotFoundError(f"{version} has no {SIGNATURE_FILE}")
        return data

    def directory(self, version: str) -> Path:
        target = self.cache / version
        if not (target / CHECKSUMS_FILE).exists():
            fresh = self.registry.download(version, Path(tempfile.mkdtemp(dir=self.cache)))
            try:
                fresh.rename(target)
            except OSError:
                # Another worker of the instance cached it first: theirs is as good as ours.
                shutil.rmtree(fresh, ignore_errors=True)
                if not (target / CHECKSUMS_FILE).exists():
                    raise
        return target


def load_model(directory: Path, wanted: str = "") -> LoadedModel:
    """Read and verify an artifact; raises ModelNotFoundError or IntegrityError."""
    model_bytes, signature, checksums = read_verified(directory)
    metadata: dict[str, Any] = {}
    if (directory / METADATA_FILE).exists():
        metadata = json.loads((directory / METADATA_FILE).read_text())
    version = served_name(checksums, wanted)
    if metadata.get("version") not in (None, version):
        log.warning("metadata.json names %s; serving it as %s", metadata["version"], version)
    return LoadedModel(OnnxPredictor(model_bytes, signature), version, metadata, wanted or version)


def compatibility_problems(serving: Signature, model: Signature) -> list[str]:
    """Why requests valid for ``serving`` could not be fed to ``model`` (empty: they can)."""
    offered = {item.field: item for item in serving.inputs}
    problems = []
    for item in model.inputs:
        if item.field not in offered:
            if item.required:
                problems.append(f"model requires {item.field!r}, which requests do not carry")
        elif offered[item.field].kind != item.kind:
            problems.append(
                f"{item.field!r} is {item.kind} for the model, not {offered[item.field].kind}"
            )
    return problems


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ModelHolder:
    def __init__(self, source: ModelSource, serving: Signature, retry_s: float, poll_s: float):
        self.source = source
        self.serving = serving
        self.retry_s = retry_s
        self.poll_s = poll_s
        self.current: LoadedModel | None = None
        # The last attempt to change the served model: {at, result, version[, reason]}.
        self.last_reload: dict[str, str] | None = None
        self._refused: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="model-watcher", daemon=True)

    def check(self) -> bool:
        """Serve the wanted version if it differs and is acceptable; True if it changed."""
        with self._lock:
            version = ""
            try:
                version = self.source.wanted()
                if self.current is not None and version == self.current.wanted:
                    return False
                if version in self._refused:
                    return False
                candidate = load_model(self.source.directory(version), version)
                problems = compatibility_problems(self.serving, candidate.predictor.signature)
                if problems:
                    raise IncompatibleSignatureError("; ".join(problems))
            except TRANSIENT_ERRORS as exc:
                self._refuse(exc, version)
                return False
            except Exception as exc:  # a broken candidate never stops the model being served
                self._refused.add(version)
                self._refuse(exc, version)
                return False
            previous = self.current.version if self.current else None
            self.current = candidate  # one reference assignment: the swap is atomic
            self.last_reload = {"at": _now(), "result": "loaded", "version": candidate.version}
            if previous is not None:  # the first load is a start, not a reload
                metrics.MODEL_RELOADS.labels("loaded").inc()
            log.info("serving model %s (was %s)", candidate.version, previous)
        if previous is not None:
            release_freed_heap()  # the load's buffers, and the old model once unreferenced
        return True

    def _refuse(self, exc: Exception, version: str) -> None:
        self.last_reload = {
            "at": _now(),
            "result": "refused",
            "version": version,
            "reason": f"{type(exc).__name__}: {exc}"[:300],
        }
        metrics.MODEL_LOAD_FAILURES.inc()
        metrics.MODEL_RELOADS.labels("refused").inc()
        serving = self.current.version if self.current else "nothing"
        log.error("model not loaded: %s: %s; still serving %s", type(exc).__name__, exc, serving)

    def start(self) -> None:
        self.check()
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s if self.current else self.retry_s):
            try:
                self.check()
            except Exception:  # the watcher outlives every error: hot reload stays on
                metrics.MODEL_LOAD_FAILURES.inc()
                log.exception("model watcher: check failed; next try in %.1fs", self.poll_s)

    def stop(self) -> None:
        self._stop.set()
