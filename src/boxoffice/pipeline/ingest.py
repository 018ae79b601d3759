"""Stage 1, ingest: copy the declared source into a raw snapshot, checking its hash."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from boxoffice.params import DataParams
from boxoffice.pipeline.common import log, run_stage, write_json
from boxoffice.pipeline.layout import Layout
from boxoffice.storage import HashMismatchError, read_bytes, sha256_bytes, write_bytes_atomic


def snapshot(*, data: bytes, source: str, expected_sha256: str | None) -> dict[str, Any]:
    """Describe a snapshot; refuse bytes that do not match the declared hash."""
    digest = sha256_bytes(data)
    if expected_sha256 and digest != expected_sha256.lower():
        raise HashMismatchError(
            f"rule 'source_hash': {source} has sha256 {digest}, params declare {expected_sha256}"
        )
    if not data:
        raise HashMismatchError(f"rule 'not_empty': {source} is empty")
    return {
        "source": source,
        "sha256": digest,
        "bytes": len(data),
        "verified": bool(expected_sha256),
    }


def ingest(data_params: DataParams, layout: Layout) -> dict[str, Any]:
    log("ingest", f"reading {data_params.source}")
    data = read_bytes(data_params.source)
    meta = snapshot(data=data, source=data_params.source, expected_sha256=data_params.sha256)
    target = layout.raw_snapshot(data_params.format)
    write_bytes_atomic(target, data)
    meta["path"] = target.relative_to(layout.root).as_posix()
    meta["format"] = data_params.format
    write_json(layout.snapshot_meta, meta)
    log("ingest", f"wrote {target} ({meta['bytes']} bytes, sha256 {meta['sha256'][:12]}...)")
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("ingest", lambda params, layout: ingest(params.data, layout), argv)


if __name__ == "__main__":
    sys.exit(main())
