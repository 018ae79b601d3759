"""Reading over fsspec URLs: a local path by default, ``gs://``, ``s3://`` or ``https://``.

Writes are not here: every layer's atomic-write helpers live in :mod:`boxoffice.core.io`.
"""

from __future__ import annotations

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
