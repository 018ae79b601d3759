"""Four server lifetimes on one spool and one lake, each in its own PID namespace (the same
PIDs every time, as after a container restart), ended by SIGTERM or kill -9, the spool on a
2 MB tmpfs that fills: every accepted prediction is in the lake exactly once. Run through the
soak benchmark's own entry point (bench/soak.py), so its tally is what this test checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import soak
from boxoffice.core.layout import Layout
from tests.support.lifetimes import check_privileges

pytestmark = pytest.mark.slow


def test_restarts_kill_9_and_a_full_disk_lose_and_duplicate_nothing(
    trained: Layout, tmp_path: Path
) -> None:
    why = check_privileges()
    assert why is None, f"this test needs PID namespaces and a tmpfs mount: {why}"
    args = ["--per-phase", "20", "--model", str(trained.export_dir), "--out", str(tmp_path)]
    assert soak.main(args) == 0
    tally = json.loads((tmp_path / "soak.json").read_text())
    writers = [life["writer"].rsplit("-", 2) for life in tally["lifetimes"]]
    assert len({pid for _, pid, _ in writers}) == 1, tally  # the same PID in every lifetime
    assert len({token for _, _, token in writers}) == 4, tally  # yet four distinct writers
    assert tally["accepted"] == 100 and tally["sent_while_full"] == 20
    assert tally["dropped_counted"] >= 1, tally  # the full disk refused writes, and said so
    assert tally["accounted"], tally  # each one sent while full: landed once, or counted
    assert tally["lost"] == 0 and tally["duplicated"] == 0 and tally["unexpected"] == 0, tally
    assert tally["found_in_lake"] == tally["accepted"] + tally["landed_while_full"]
    assert "| 100 |" in (tmp_path / "soak.md").read_text()
