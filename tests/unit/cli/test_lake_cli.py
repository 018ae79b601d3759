"""`boxoffice lake compact`: a line per partition, clear errors, today's left alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.lake.prediction_log import Lake
from tests.support.compaction import DAY, read_counts, write_objects


def _compact(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["lake", "compact", *args])
    return result.exit_code, result.output


def test_compact_says_what_it_did_per_partition_and_then_that_nothing_is_left(
    tmp_path: Path,
) -> None:
    lake = Lake(str(tmp_path))
    ids = write_objects(lake, "w-1-t", range(7))
    code, output = _compact("--lake", str(tmp_path))
    assert code == 0 and output == f"{DAY}: 7 objects merged into 1 (21 predictions), 7 removed\n"
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    assert _compact("--lake", str(tmp_path), "--date", DAY) == (
        0,
        f"{DAY}: nothing to merge, 0 superseded objects removed\n",
    )


def test_compact_leaves_today_unless_asked(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path))
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for seq in range(3):
        lake.write_predictions(today, "w-1-t", seq, lake.read_predictions())
    assert _compact("--lake", str(tmp_path)) == (0, "nothing to compact\n")
    code, output = _compact("--lake", str(tmp_path), "--date", today)
    assert code == 0 and output.startswith(f"{today}: 3 objects merged into 1")


def test_compact_errors_name_the_option_or_the_lake(tmp_path: Path) -> None:
    code, output = _compact("--lake", str(tmp_path / "nope"))
    assert code == 1 and "no lake at" in output
    code, output = _compact("--lake", str(tmp_path), "--before", "26/11/2026")
    assert code == 1 and "--before must be a date as YYYY-MM-DD" in output


def test_a_partition_another_compaction_changes_is_left_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boxoffice.lake import compaction

    write_objects(Lake(str(tmp_path)), "w-1-t", range(3))

    def changed(lake: Lake, date: str) -> None:
        raise compaction.PartitionChangedError(date)

    monkeypatch.setattr(compaction, "compact_partition", changed)
    code, output = _compact("--lake", str(tmp_path))
    assert (
        code == 0
        and output == f"{DAY}: another compaction changed it meanwhile; left to that one\n"
    )
