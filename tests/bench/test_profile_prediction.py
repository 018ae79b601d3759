"""bench/profile_prediction.py runs every step of the prediction path against a real model.

It once imported a helper the service no longer had, and nothing ran it: this test does, on
the suite's trained model, with few calls (the figures are the benchmark's, not the test's).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.profile_prediction import main

from boxoffice.core.layout import Layout


def test_every_step_is_timed_and_tabled(trained: Layout, tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["--model", str(trained.export_dir), "--out", str(out)]
    args += ["--features", str(trained.features_dir)]  # a fresh clone has no data/features
    assert main([*args, "--calls", "5", "--batch-calls", "1"]) == 0
    result = json.loads((out / "profile.json").read_text())
    steps = result["steps_us"] | result["batch_steps_us"]
    assert "log record + spool append (zero-loss log)" in steps
    assert "shipper: the records to Parquet in the lake (background thread)" in steps
    assert all(us > 0 for us in steps.values()), steps
    table = (out / "profile.md").read_text()
    assert all(name in table for name in steps)
