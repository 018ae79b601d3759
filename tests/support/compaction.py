"""A partition of many small objects, as many workers shipping segments leave it."""

from __future__ import annotations

from collections import Counter

from boxoffice.lake.prediction_log import Lake, log_table
from tests.support.serving import log_record

DAY = "2026-11-26"


def write_objects(lake: Lake, writer: str, seqs: range, per_object: int = 3) -> list[str]:
    """Objects ``<writer>-<seq>`` on DAY, ``per_object`` predictions each; their ids."""
    ids = []
    for seq in seqs:
        batch = [f"{writer}-{seq}-{i}" for i in range(per_object)]
        rows = [log_record(r, ts=f"{DAY}T10:00:00+00:00") for r in batch]
        lake.write_predictions(DAY, writer, seq, log_table(rows))
        ids += batch
    return ids


def read_counts(lake: Lake) -> Counter[str]:
    """How many times a reader sees each request id."""
    return Counter(lake.read_predictions(columns=["request_id"]).column("request_id").to_pylist())
