"""The lake's prediction log: what the shipper writes, typed by the log's schema."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from boxoffice.lake.prediction_log import LOG_SCHEMA, Lake, log_table
from tests.conftest import ROOT
from tests.support.serving import log_record


def test_log_rows_are_typed_by_the_schema_whatever_they_carry() -> None:
    rows = [
        log_record("a", ts="2026-11-25T23:59:59.123456+00:00") | {"not_in_schema": 1},
        {"request_id": "b", "ts": dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC), "low": 2},
    ]
    table = log_table(rows)
    assert table.schema == LOG_SCHEMA
    assert table.column("ts").to_pylist() == [
        dt.datetime(2026, 11, 25, 23, 59, 59, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 1, tzinfo=dt.UTC),
    ]
    assert table.column("low").to_pylist() == [0.5, 2.0]
    assert table.column("worldwide_gross").to_pylist() == [1.0, None]  # missing: null
    assert log_table([]).num_rows == 0


def test_shipping_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas (about 50 MB) on any Python-object conversion when it is
    installed; a serving worker's lake writer must not pay that."""
    code = (
        "import sys\n"
        "from boxoffice.lake.prediction_log import Lake\n"
        "from tests.support.serving import log_record\n"
        f"lake = Lake({str(tmp_path / 'lake')!r})\n"
        "lake.write_predictions('2026-11-25', 'w', 1, [log_record('a'), log_record('b')])\n"
        "assert lake.prediction_files(), 'nothing written'\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
    assert Lake(str(tmp_path / "lake")).read_predictions().column("request_id").to_pylist() == [
        "a",
        "b",
    ]
