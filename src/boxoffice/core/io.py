"""Atomic writes: every layer's helper (stages, registry, lake, server, CLI).

At the bottom of the package and importing none of it, so the lake, the lifecycle and the
server share one way to publish a file without any of them owning it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import fsspec


def is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in {"file", "local"}


def _temporary(path: str) -> str:
    # Unique per process and call: two writers of one path never share a temporary file.
    return f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"


def put_atomic(fs: Any, path: str, data: bytes) -> None:
    """Write one object so no reader sees it half-written.

    Object stores publish a PUT whole; a local disk gets write-then-rename.
    """
    if is_local(fs):
        tmp = _temporary(path)
        fs.pipe_file(tmp, data)
        fs.mv(tmp, path)
    else:
        fs.pipe_file(path, data)


def create_only(fs: Any, path: str, data: bytes) -> None:
    """Write one object whole, only if none is there: FileExistsError otherwise.

    Object stores check it themselves on the PUT (S3 If-None-Match: *, GCS ifGenerationMatch
    = 0, through ``mode="create"``), so two writers cannot both succeed; a local disk writes a
    temporary file and hard-links it into place (a link never replaces a file).
    """
    if not is_local(fs):
        try:
            fs.pipe_file(path, data, mode="create")
        except OSError as exc:  # s3fs reports a failed precondition as an OSError of its own
            # 412 PreconditionFailed; 409 ConditionalRequestConflict: a concurrent create won
            conflict = ("PreconditionFailed", "ConditionalRequestConflict")
            if isinstance(exc, FileExistsError) or any(c in str(exc) for c in conflict):
                raise FileExistsError(path) from exc
            raise
        return
    tmp = _temporary(path)
    fs.pipe_file(tmp, data)
    try:
        os.link(fs._strip_protocol(tmp), fs._strip_protocol(path))
    finally:
        fs.rm_file(tmp)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """A local file through :func:`put_atomic` (every writer of the package goes through it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    put_atomic(fsspec.filesystem("file"), str(path), data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode())
