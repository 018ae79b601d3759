"""Model registry on fsspec storage (a local folder, ``gs://`` or ``s3://``).

Layout::

    <root>/versions/<version>/{model.onnx, signature.json, metadata.json, ..., checksums.json}
    <root>/aliases/<alias>/move-<generation>.json        one object per alias move
    <root>/runs/run-<n>.json                             when each retraining started

A version is published by writing ``checksums.json`` last: a version without it is invisible,
so a reader never sees half a version. Versions are content-addressed (``sha-`` + a hash of
the graph's and the signature's SHA-256s), so two writers registering the same artifact write
the same bytes.

An alias is an append-only log of moves, the n-th move in object ``move-<n>``. Each move is
created only if that object does not exist yet (the stores' own preconditions: If-None-Match
on S3, ifGenerationMatch=0 on GCS, a hard link on a local disk), so it is a compare-and-set
on the alias as it stood after move n-1: of two promoters that read the same alias, one
writes move n and the other is told production changed under it, never both recorded.
Retraining runs are claimed the same way (``claim_run``): of two overlapping runs, one
creates ``run-<n>`` and the other is told a run is already under way.
(Registries written before this carry timestamp-named moves; they sort first and count.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from boxoffice.core.artifact import (
    CHECKSUMS_FILE,
    SERVED_FILES,
    IntegrityError,
    legacy_version,
    read_verified,
    version_of,
)
from boxoffice.core.digest import sha256_bytes
from boxoffice.core.io import create_only, put_atomic, write_bytes_atomic
from boxoffice.core.params import DEFAULT_PROFILE

ALIASES = ("production", "candidate")
# The default profile's aliases are plain ``production``/``candidate``; another profile's carry
# its name (``production-retrospective``), so each profile is gated and rolled back alone.


def alias_for(kind: str, profile: str = DEFAULT_PROFILE) -> str:
    return kind if profile == DEFAULT_PROFILE else f"{kind}-{profile}"


def _known_alias(alias: str) -> bool:
    kind, _, profile = alias.partition("-")
    return kind in ALIASES and (not profile or profile.replace("_", "").isalnum())


class VersionNotFoundError(LookupError):
    """No published version of that name."""


class AliasNotSetError(LookupError):
    """The alias has never been set, or has no earlier version to go back to."""


class AliasChangedError(RuntimeError):
    """The alias moved after the caller read it: its compare-and-set lost."""

    def __init__(self, alias: str, expected: str | None, now: str | None) -> None:
        super().__init__(
            f"{alias} changed while this ran: it was {expected or 'unset'} and is now"
            f" {now or 'unset'}; nothing was moved (run again to compare with {now})"
        )
        self.alias, self.expected, self.now = alias, expected, now


@dataclass(frozen=True)
class AliasState:
    """An alias as read: the version it points at and how many moves made it so."""

    version: str | None
    generation: int


@dataclass(frozen=True)
class AliasMove:
    alias: str
    version: str
    at: str
    reason: str
    kind: str = "set"  # "set" pushes a version; "rollback" pops back to the one before


class Registry:
    def __init__(self, uri: str, **storage_options: Any) -> None:
        self.uri = uri.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.uri, **storage_options)
        self.root = self.root.rstrip("/")

    def _path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def register(self, directory: Path, extras: dict[str, bytes] | None = None) -> str:
        """Publish an exported model directory (plus ``extras`` files) as a version.

        Every file, extras included, gets its SHA-256 in the version's ``checksums.json``.
        """
        _, _, checksums = read_verified(directory)  # refuse a corrupt artifact up front
        version = version_of(checksums)
        if self.exists(version):
            return version
        legacy = legacy_version(checksums)
        if self.exists(legacy) and self._holds(legacy, checksums):
            return legacy  # registered before the signature counted in the name
        blobs = {name: (directory / name).read_bytes() for name in checksums}
        blobs |= {name: data for name, data in (extras or {}).items() if "/" not in name}
        target = self._path("versions", version)
        self.fs.makedirs(target, exist_ok=True)
        for name, data in sorted(blobs.items()):
            put_atomic(self.fs, f"{target}/{name}", data)
        digest = {name: sha256_bytes(data) for name, data in sorted(blobs.items())}
        # Published last: the version exists for readers only once this object does.
        put_atomic(self.fs, f"{target}/{CHECKSUMS_FILE}", json.dumps(digest, indent=2).encode())
        return version

    def exists(self, version: str) -> bool:
        self._fresh("versions", version)
        return bool(self.fs.exists(self._path("versions", version, CHECKSUMS_FILE)))

    def _fresh(self, *parts: str) -> None:
        # Object-store clients cache listings; a watcher must see moves made elsewhere.
        self.fs.invalidate_cache(self._path(*parts))

    def versions(self) -> list[str]:
        self._fresh("versions")
        found = self.fs.glob(self._path("versions", "*", CHECKSUMS_FILE))
        return sorted(str(p).rstrip("/").split("/")[-2] for p in found)

    def _checksums(self, version: str) -> tuple[bytes, dict[str, str]]:
        if not self.exists(version):
            raise VersionNotFoundError(f"no version {version!r} in {self.uri}")
        raw = self.fs.cat_file(self._path("versions", version, CHECKSUMS_FILE))
        return raw, json.loads(raw)

    def _holds(self, version: str, checksums: Mapping[str, str]) -> bool:
        """Whether ``version`` stores these served files, byte for byte."""
        _, stored = self._checksums(version)
        return all(stored.get(name) == checksums[name] for name in SERVED_FILES)

    def file(self, version: str, name: str) -> bytes | None:
        """One file of a version, checked against its recorded SHA-256 (None if not listed):
        reading a signature or metadata does not fetch the model."""
        _, checksums = self._checksums(version)
        return self._verified(version, name, checksums[name]) if name in checksums else None

    def _verified(self, version: str, name: str, digest: str) -> bytes:
        data: bytes = self.fs.cat_file(self._path("versions", version, name))
        if sha256_bytes(data) != digest:
            raise IntegrityError(f"{name} of {version} does not match its recorded sha256")
        return data

    def files(self, version: str) -> dict[str, bytes]:
        """A version's files, each checked against its recorded SHA-256."""
        raw, checksums = self._checksums(version)
        blobs = {CHECKSUMS_FILE: raw}
        for name, digest in checksums.items():
            blobs[name] = self._verified(version, name, digest)
        return blobs

    def download(self, version: str, dest: Path) -> Path:
        """Verified copy of a version into a local directory (checksums written last)."""
        blobs = self.files(version)
        dest.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(blobs.items(), key=lambda kv: kv[0] == CHECKSUMS_FILE):
            write_bytes_atomic(dest / name, data)
        return dest

    def metadata(self, version: str) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads(self.file(version, "metadata.json") or b"{}")
        return meta

    def record_decision(self, version: str, decision: dict[str, Any]) -> str:
        """Store a gate decision beside the version (outside its checksummed files)."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._path("versions", version, "decisions", f"{stamp}.json")
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        put_atomic(self.fs, path, json.dumps(decision, indent=2, sort_keys=True).encode())
        return path

    def decisions(self, version: str) -> list[dict[str, Any]]:
        paths = sorted(self.fs.glob(self._path("versions", version, "decisions", "*.json")))
        return [json.loads(self.fs.cat_file(p)) for p in paths]

    def set_alias(
        self,
        alias: str,
        version: str,
        reason: str = "",
        kind: str = "set",
        *,
        expect: AliasState | None = None,
    ) -> AliasMove:
        """Move ``alias`` to ``version``. With ``expect`` (the state a gate compared with),
        only if no move happened since, else :class:`AliasChangedError`; without, after
        whatever moves came first (a concurrent move is kept, not lost)."""
        if not _known_alias(alias):
            raise ValueError(
                f"alias must be one of {ALIASES} (or <alias>-<profile>), not {alias!r}"
            )
        if not self.exists(version):
            raise VersionNotFoundError(f"no version {version!r} in {self.uri}")
        self.fs.makedirs(self._path("aliases", alias), exist_ok=True)
        while True:
            state = expect or self.state(alias)
            move = AliasMove(alias, version, dt.datetime.now(dt.UTC).isoformat(), reason, kind)
            name = f"{MOVE_PREFIX}{state.generation + 1:08d}.json"
            try:
                create_only(self.fs, self._path("aliases", alias, name), _encode(move))
                return move
            except FileExistsError:
                if expect is not None:
                    raise AliasChangedError(alias, expect.version, self._current(alias)) from None

    def state(self, alias: str) -> AliasState:
        moves = self.history(alias)
        stack = _replay(moves)
        return AliasState(stack[-1] if stack else None, len(moves))

    def _current(self, alias: str) -> str | None:
        return self.state(alias).version

    def history(self, alias: str) -> list[AliasMove]:
        """Moves of ``alias``, oldest first."""
        self._fresh("aliases", alias)
        paths = sorted(self.fs.glob(self._path("aliases", alias, "*.json")))
        return [AliasMove(**json.loads(self.fs.cat_file(p))) for p in paths]

    def _stack(self, alias: str) -> list[str]:
        return _replay(self.history(alias))

    def resolve(self, alias: str) -> str:
        stack = self._stack(alias)
        if not stack:
            raise AliasNotSetError(f"alias {alias!r} is not set in {self.uri}")
        return stack[-1]

    def rollback(self, alias: str = "production", reason: str = "rollback") -> AliasMove:
        """Point ``alias`` back at the version it held before the current one was set (a
        compare-and-set too: a promotion landing meanwhile is not rolled over blindly)."""
        moves = self.history(alias)
        stack = _replay(moves)
        if len(stack) < 2:
            raise AliasNotSetError(f"alias {alias!r} has no earlier version to roll back to")
        state = AliasState(stack[-1], len(moves))
        return self.set_alias(alias, stack[-2], reason, kind="rollback", expect=state)


MOVE_PREFIX = "move-"  # sorts after the timestamp names of older registries ("2026...")


RUN_PREFIX = "run-"


def _run_number(path: str) -> int:
    return int(path.rsplit("/", 1)[-1].removeprefix(RUN_PREFIX).removesuffix(".json"))


class RunNotDueError(RuntimeError):
    """The last retraining started too recently, or another run claimed this slot."""


def claim_run(
    registry: Registry, now: dt.datetime, every: dt.timedelta | None = None
) -> dt.datetime | None:
    """Record that a retraining starts at ``now``; with ``every``, only if the last one
    started at least that long ago (else :class:`RunNotDueError`). Returns when the previous
    run started (None for the first). The record lives in the registry, beside the models
    it produces, not in git: a schedule reads it from any machine."""
    fs = registry.fs
    fs.makedirs(registry._path("runs"), exist_ok=True)
    registry._fresh("runs")
    paths = sorted(fs.glob(registry._path("runs", f"{RUN_PREFIX}*.json")), key=_run_number)
    last = (
        dt.datetime.fromisoformat(json.loads(fs.cat_file(paths[-1]))["started"]) if paths else None
    )
    if every is not None and last is not None and now - last < every:
        raise RunNotDueError(
            f"the last retraining started {last.isoformat()}; next due at "
            f"{(last + every).isoformat()}"
        )
    n = _run_number(paths[-1]) + 1 if paths else 1
    record = json.dumps({"started": now.isoformat()}).encode()
    try:
        create_only(fs, registry._path("runs", f"{RUN_PREFIX}{n:08d}.json"), record)
    except FileExistsError:
        raise RunNotDueError("another retraining claimed this run meanwhile") from None
    return last


def _encode(move: AliasMove) -> bytes:
    return json.dumps(move.__dict__).encode()


def _replay(moves: list[AliasMove]) -> list[str]:
    """Replay the moves: a set pushes its version, a rollback pops the current one."""
    stack: list[str] = []
    for move in moves:
        if move.kind == "rollback" and len(stack) > 1:
            stack.pop()
        elif move.kind != "rollback" and (not stack or stack[-1] != move.version):
            # Setting the version already there is no move: a rollback after it must
            # still go back to the version before.
            stack.append(move.version)
    return stack
