"""A small lake whose oldest partition cannot be read: windows must not touch it."""

from __future__ import annotations

from pathlib import Path

from boxoffice.lake.prediction_log import Lake, log_table
from tests.support.serving import log_record


def lake_of_three_days(root: Path) -> Lake:
    """Two predictions a day on 25-27 Nov; the oldest day's object is not Parquet at all, so
    a reader that opens it fails: what a window does not need must not be read."""
    lake = Lake(str(root))
    for day in (25, 26, 27):
        ids = [f"{day}-a", f"{day}-b"]
        rows = [log_record(i, ts=f"2026-11-{day}T{h:02d}:00:00+00:00") for h, i in enumerate(ids)]
        lake.write_predictions(f"2026-11-{day}", "w", day, log_table(rows))
    (root / "predictions" / "date=2026-11-25" / "w-00000025.parquet").write_bytes(b"not parquet")
    return lake
