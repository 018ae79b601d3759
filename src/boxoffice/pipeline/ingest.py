"""Stage 1, ingest: copy the declared source into a raw snapshot, checking its hash."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from boxoffice.core.digest import sha256_bytes
from boxoffice.core.layout import Layout
from boxoffice.core.params import DataParams
from boxoffice.lake.storage import HashMismatchError, read_bytes, write_bytes_atomic
from boxoffice.pipeline.common import log, run_stage, write_json


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
    meta["feedback"] = _feedback(data_params, layout)
    write_json(layout.snapshot_meta, meta)
    log("ingest", f"wrote {target} ({meta['bytes']} bytes, sha256 {meta['sha256'][:12]}...)")
    return meta


def _feedback(data_params: DataParams, layout: Layout) -> dict[str, Any] | None:
    """Snapshot the feedback file beside the source, when it holds any rows."""
    if not data_params.feedback:
        return None
    source = layout.root / data_params.feedback
    data = source.read_bytes() if source.exists() else b""
    if not data.strip():
        return None
    target = layout.raw_dir / "feedback.jsonl"
    write_bytes_atomic(target, data)
    rows = sum(1 for line in data.splitlines() if line.strip())
    log("ingest", f"added {rows} feedback rows from {data_params.feedback}")
    return {
        "path": target.relative_to(layout.root).as_posix(),
        "rows": rows,
        "sha256": sha256_bytes(data),
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_stage("ingest", lambda params, layout: ingest(params.data, layout), argv)


if __name__ == "__main__":
    sys.exit(main())
