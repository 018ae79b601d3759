"""bench/lake.py asks each question of generated lakes both ways, and both ways agree."""

from __future__ import annotations

import json
from pathlib import Path

from bench.lake import QUESTIONS, main


def test_the_window_and_the_whole_lake_give_the_same_answers(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["--days", "2", "8", "--objects", "2", "--per-object", "20", "--out", str(out)]
    assert main(args) == 0
    result = json.loads((out / "lake.json").read_text())
    assert [lake["predictions"] for lake in result["lakes"]] == [80, 320]
    for lake in result["lakes"]:
        for name in QUESTIONS:
            now, before = lake[name]["now"], lake[name]["before"]
            assert now["rows"] == before["rows"] > 0, (lake["days"], name)
            assert now["seconds"] > 0 and now["rss_mb"] > 0
    one_day = [lake["one-day query"]["now"]["rows"] for lake in result["lakes"]]
    assert one_day == [40, 40]  # the last day's predictions, whatever the lake's age
    drift = [lake["drift's read, the last 7 days"]["now"]["rows"] for lake in result["lakes"]]
    assert drift == [80, 280]  # a 2-day lake has 2 days of the week
    assert "| 320 (8) | logs tail -n 5 |" in (out / "lake.md").read_text()
