"""Content hashes: of data snapshots (ingest) and of artifact files (export, registry)."""

from __future__ import annotations

import hashlib


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
