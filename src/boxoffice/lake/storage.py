"""Storage over fsspec URLs: a local path by default, ``gs://``, ``s3://`` or ``https://``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import fsspec


class SourceUnavailableError(RuntimeError):
    """The source URI could not be read (missing file, network, credentials)."""


class HashMismatchError(RuntimeError):
    """Bytes read do not hash to the declared value."""


def read_bytes(uri: str) -> bytes:
    """Read a whole object from any fsspec URI."""
    try:
        with fsspec.open(uri, "rb") as fh:
            data: bytes = fh.read()
    except (OSError, ValueError, ImportError) as exc:
        raise SourceUnavailableError(f"cannot read {uri}: {exc}") from exc
    return data


def is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in {"file", "local"}


def put_atomic(fs: Any, path: str, data: bytes) -> None:
    """Write one object so no reader sees it half-written.

    Object stores publish a PUT whole; a local disk gets write-then-rename.
    """
    if is_local(fs):
        tmp = f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
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
            if isinstance(exc, FileExistsError) or "PreconditionFailed" in str(exc):
                raise FileExistsError(path) from exc
            raise
        return
    tmp = f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
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
