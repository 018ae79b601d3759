"""bench/compaction.py compacts a generated lake and asks the same questions before and after."""

from __future__ import annotations

import json
from pathlib import Path

from bench.compaction import ASKED, main


def test_compaction_bench_gives_the_same_answers_from_one_object_a_day(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["--days", "2", "--objects", "6", "--per-object", "5", "--out", str(out)]) == 0
    result = json.loads((out / "compaction.json").read_text())
    assert (result["before"]["objects"], result["after"]["objects"]) == (12, 2)
    for name in ASKED:
        before, after = result["before"]["questions"][name], result["after"]["questions"][name]
        assert before["rows"] == after["rows"] > 0 and after["seconds"] > 0
    assert result["compaction_s_per_day"]["max"] > 0
    assert "| after | 2 |" in (out / "compaction.md").read_text()
