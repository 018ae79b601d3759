"""Stage 1, ingest: copy each declared source into a raw snapshot, checking its hash."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from boxoffice.core.data_params import DataParams, SourceParams
from boxoffice.core.digest import sha256_bytes
from boxoffice.core.io import write_bytes_atomic
from boxoffice.core.layout import Layout
from boxoffice.lake.storage import HashMismatchError, read_bytes
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


def _read(source: SourceParams) -> tuple[bytes, dict[str, Any]]:
    log("ingest", f"reading {source.name} from {source.uri}")
    data = read_bytes(source.uri)
    return data, snapshot(data=data, source=source.uri, expected_sha256=source.sha256)


def _write(source: SourceParams, data: bytes, meta: dict[str, Any], layout: Layout) -> Any:
    target = layout.raw_snapshot(source.name, source.format)
    write_bytes_atomic(target, data)
    log("ingest", f"wrote {target} ({meta['bytes']} bytes, sha256 {meta['sha256'][:12]}...)")
    return meta | {
        "name": source.name,
        "path": target.relative_to(layout.root).as_posix(),
        "format": source.format,
    }


def ingest(data_params: DataParams, layout: Layout) -> dict[str, Any]:
    """Snapshot every source (all are read before any is written: a bad one writes none)."""
    data_params = data_params.with_uris(layout.root.as_posix())
    read = [_read(source) for source in data_params.sources]
    sources = [
        _write(source, data, meta, layout)
        for source, (data, meta) in zip(data_params.sources, read, strict=True)
    ]
    meta = {
        # One digest for the lineage of a model: of every source's, in declared order.
        "sha256": sha256_bytes("\n".join(s["sha256"] for s in sources).encode()),
        "sources": sources,
        "feedback": _feedback(data_params, layout),
    }
    write_json(layout.snapshot_meta, meta)
    return meta


def _feedback(data_params: DataParams, layout: Layout) -> dict[str, Any] | None:
    """Snapshot the feedback file beside the sources, when it holds any rows."""
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
