"""Every 15 hours, exactly: an hourly schedule asks the registry whether a run is due."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.exit_codes import ExitCode
from boxoffice.lifecycle.registry import Registry, RunNotDueError, claim_run

T0 = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
EVERY = dt.timedelta(hours=15)


def test_a_run_is_due_at_15_hours_not_a_minute_before(tmp_path: Path) -> None:
    registry = Registry(str(tmp_path / "registry"))
    assert claim_run(registry, T0, EVERY) is None  # the first run is always due
    with pytest.raises(RunNotDueError, match="next due at 2026-12-01T18:00:00"):
        claim_run(registry, T0 + dt.timedelta(hours=14, minutes=59), EVERY)
    assert claim_run(registry, T0 + EVERY, EVERY) == T0
    # A manual run (no interval) always runs, and later schedules count from it.
    assert claim_run(registry, T0 + EVERY + dt.timedelta(hours=1)) == T0 + EVERY
    with pytest.raises(RunNotDueError):
        claim_run(registry, T0 + 2 * EVERY, EVERY)


def test_two_overlapping_runs_cannot_both_claim(tmp_path: Path) -> None:
    registry = Registry(str(tmp_path / "registry"))
    claim_run(registry, T0, EVERY)
    later = T0 + EVERY
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def run() -> None:
        barrier.wait()
        try:
            claim_run(Registry(str(tmp_path / "registry")), later, EVERY)
            outcomes.append("claimed")
        except RunNotDueError:
            outcomes.append("refused")

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["claimed"] + ["refused"] * 5


def test_retrain_if_due_exits_with_its_own_code(tmp_path: Path) -> None:
    registry = Registry(str(tmp_path / "registry"))
    claim_run(registry, dt.datetime.now(dt.UTC))
    runner = CliRunner()
    args = ["retrain", "--registry", registry.uri, "--lake", str(tmp_path / "lake")]
    done = runner.invoke(app, [*args, "--if-due", "15h"])
    assert done.exit_code == ExitCode.NOT_DUE, done.output
    assert "not due" in done.output
    bad = runner.invoke(app, [*args, "--if-due", "15 hours"])
    assert bad.exit_code == 2 and "--if-due" in bad.output


def test_an_unusable_registry_is_a_clear_failure_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "registry"
    blocker.write_text("a file where the registry folder should be")
    done = CliRunner().invoke(app, ["retrain", "--registry", str(blocker), "--if-due", "15h"])
    assert done.exit_code == ExitCode.FAILED
    assert "cannot record the run" in done.output and "Traceback" not in done.output
