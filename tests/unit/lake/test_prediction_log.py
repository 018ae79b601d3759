"""The lake's prediction log: what the shipper writes, typed by the log's schema."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from boxoffice.lake.prediction_log import LOG_SCHEMA, Lake, by_date, log_table
from boxoffice.lake.prediction_log import log_record as build_record
from tests.conftest import ROOT
from tests.support.lake import lake_of_three_days
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
        "from boxoffice.lake.prediction_log import read_spool_lines, spool_line\n"
        "table = read_spool_lines(spool_line([log_record('a'), log_record('b')]))\n"
        "lake.write_predictions('2026-11-25', 'w', 1, table)\n"
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


def test_one_builder_makes_the_record_the_schema_declares() -> None:
    record = build_record(
        request_id="a",
        ts="2026-11-25T10:00:00+00:00",
        model_version="v",
        profile="pre_release",
        route="prediction",
        inputs={"title": "B", "budget_usd": 5},
        worldwide_gross=1.0,
        low=0.5,
        high=2.0,
        level=0.8,
        latency_ms=0.1,
    )
    assert list(record) == LOG_SCHEMA.names
    assert record["inputs"] == '{"budget_usd":5,"title":"B"}'  # sorted: one film, one text
    assert log_table([record]).to_pylist()[0]["inputs"] == record["inputs"]


def test_the_partition_is_the_utc_date_oldest_first() -> None:
    table = log_table(
        [
            log_record("late", ts="2026-11-26T00:00:01+00:00"),
            log_record("early", ts="2026-11-25T23:59:59+00:00"),
            log_record("also", ts="2026-11-26T01:00:00+01:00"),  # 00:00 UTC
        ]
    )
    parts = {date: part.column("request_id").to_pylist() for date, part in by_date(table)}
    assert list(parts) == ["2026-11-25", "2026-11-26"]
    assert parts == {"2026-11-25": ["early"], "2026-11-26": ["late", "also"]}


def test_a_window_reads_only_its_partitions(tmp_path: Path) -> None:
    lake = lake_of_three_days(tmp_path / "lake")
    assert lake.partitions() == ["2026-11-25", "2026-11-26", "2026-11-27"]
    table = lake.read_predictions(since=dt.date(2026, 11, 26), columns=["request_id", "ts"])
    assert table.column_names == ["request_id", "ts"]
    assert table.column("request_id").to_pylist() == ["26-a", "26-b", "27-a", "27-b"]
    with pytest.raises(pa.ArrowInvalid):  # the whole lake does open the oldest object
        lake.read_predictions()


def test_the_newest_predictions_come_from_the_newest_partitions(tmp_path: Path) -> None:
    lake = lake_of_three_days(tmp_path / "lake")
    assert lake.latest(2).column("request_id").to_pylist() == ["27-a", "27-b"]
    assert lake.latest(3).column("request_id").to_pylist() == ["27-a", "27-b", "26-a", "26-b"]
    assert lake.latest(1, columns=["inputs"]).column_names == ["inputs"]
    assert Lake(str(tmp_path / "empty")).latest(5).num_rows == 0


def test_a_column_the_log_lacks_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no column budget"):
        lake_of_three_days(tmp_path / "lake").read_predictions(columns=["budget"])


def test_an_object_written_before_a_column_existed_reads_it_as_null(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    old = log_table([log_record("old")]).drop_columns(["level", "latency_ms"])
    lake.write_predictions("2026-11-25", "w", 1, old)
    table = lake.read_predictions(columns=["request_id", "level"])
    assert table.to_pylist() == [{"request_id": "old", "level": None}]


def test_records_without_a_time_go_with_their_segments_newest_date_not_nowhere() -> None:
    a, b = (log_record(i, ts=f"2026-11-2{d}T10:00:00+00:00") for i, d in (("a", 5), ("b", 6)))
    table = log_table([a, b, {"request_id": "c"}])  # "c": a salvaged record, no ts
    parts = {date: part.column("request_id").to_pylist() for date, part in by_date(table)}
    assert parts == {"2026-11-25": ["a"], "2026-11-26": ["b", "c"]}
    alone = {date: t.column("request_id").to_pylist() for date, t in by_date(log_table([{}]))}
    assert alone == {"1970-01-01": [None]}  # from the content, not the clock: a re-ship agrees
