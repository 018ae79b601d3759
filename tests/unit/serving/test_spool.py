from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from boxoffice.lake.prediction_log import Lake, log_table, spool_line
from boxoffice.serving.shipper import Shipper, ship_segment
from boxoffice.serving.spool import (
    Spool,
    SpoolDir,
    SpoolFullError,
    SpoolWriteError,
    read_segment,
    segment_path,
    segment_seq,
)
from tests.support.serving import log_record


def _record(i: int) -> dict[str, Any]:
    return log_record(f"r{i:04d}")


def _spool(root: Path, name: str = "w1", **kw: Any) -> Spool:
    owned = SpoolDir.try_claim(root / name)
    assert owned is not None
    return Spool(
        owned,
        seal_records=kw.get("seal_records", 3),
        seal_seconds=60,
        max_records=kw.get("max_records", 100),
    )


def _ids(lake: Lake) -> list[str]:
    return sorted(lake.read_predictions().column("request_id").to_pylist())


def test_spool_seals_by_count_and_ships_once(tmp_path: Path) -> None:
    spool = _spool(tmp_path / "spool")
    for i in range(7):
        spool.append_batch([_record(i)])
    assert len(spool.owned.segments()) == 2  # 3 + 3 sealed, 1 active
    lake = Lake(str(tmp_path / "lake"))
    shipper = Shipper(spool, lake, tmp_path / "spool")
    shipper.stop()  # drains: seals the active segment and ships everything
    assert _ids(lake) == [f"r{i:04d}" for i in range(7)]
    assert spool.pending == 0 and spool.owned.segments() == []


def test_directory_of_a_dead_worker_is_adopted_and_shipped(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    dead = _spool(root, "dead", seal_records=1000)
    for i in range(5):
        dead.append_batch([_record(i)])
    dead.owned.release()  # the process died: its lock is gone, its active segment remains
    with (root / "dead" / "seg-00000000.jsonl").open("ab") as fh:
        fh.write(b'{"request_id": "torn')  # killed mid-write
    lake = Lake(str(tmp_path / "lake"))
    alive = _spool(root, "alive")
    assert Shipper(alive, lake, root).adopt_orphans() == 1
    assert _ids(lake) == [f"r{i:04d}" for i in range(5)]
    assert not (root / "dead").exists()


def test_live_worker_directory_is_not_adopted(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    other = _spool(root, "other")
    other.append_batch([_record(1)])
    other.seal()
    mine = _spool(root, "mine")
    assert Shipper(mine, Lake(str(tmp_path / "lake")), root).adopt_orphans() == 0
    assert len(other.owned.segments()) == 1


def test_unreachable_lake_keeps_records_until_it_returns(tmp_path: Path) -> None:
    blocker = tmp_path / "lake"
    blocker.write_text("a file where the lake folder should be")
    spool = _spool(tmp_path / "spool")
    for i in range(4):
        spool.append_batch([_record(i)])
    shipper = Shipper(spool, Lake(str(blocker)), tmp_path / "spool")
    shipper.stop()
    assert spool.pending == 4  # nothing lost, nothing shipped
    blocker.unlink()
    retry = Shipper(spool, Lake(str(blocker)), tmp_path / "spool")
    retry.stop()
    assert _ids(Lake(str(blocker))) == [f"r{i:04d}" for i in range(4)]


def test_full_spool_refuses_and_counts(tmp_path: Path) -> None:
    spool = _spool(tmp_path / "spool", max_records=2)
    spool.append_batch([_record(1)])
    spool.append_batch([_record(2)])
    with pytest.raises(SpoolFullError):
        spool.append_batch([_record(3)])
    assert spool.dropped == 1


def test_reshipping_a_segment_overwrites_the_same_object(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    rows = [_record(1) | {"ts": __import__("datetime").datetime(2026, 1, 1)}]
    first = lake.write_predictions("2026-01-01", "w", 3, log_table(rows))
    second = lake.write_predictions("2026-01-01", "w", 3, log_table(rows))
    assert first == second and len(lake.prediction_files()) == 1


def test_read_segment_skips_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "seg-00000001.ready"
    path.write_bytes(spool_line([_record(1)]) + b'{"records": [{"request_id": "torn')
    assert read_segment(path).column("request_id").to_pylist() == ["r0001"]
    assert path.exists()


def test_a_damaged_line_costs_only_itself(tmp_path: Path) -> None:
    """One unreadable line in the middle (a disk's garbage) must not hold the segment back
    forever: the lines around it ship."""
    path = tmp_path / "seg-00000001.ready"
    path.write_bytes(spool_line([_record(1)]) + b"\x00\x00garbage\n" + spool_line([_record(2)]))
    assert read_segment(path).column("request_id").to_pylist() == ["r0001", "r0002"]


def test_a_line_arrow_refuses_even_alone_costs_only_itself(tmp_path: Path) -> None:
    """Valid JSON with a value of the wrong type: salvaging once re-parsed the whole segment,
    which failed again the same way, without end (the segment would never ship)."""
    path = tmp_path / "seg-00000001.ready"
    wrong = spool_line([_record(2) | {"low": "not a number"}])
    path.write_bytes(spool_line([_record(1)]) + wrong + b"[3]\n" + spool_line([_record(4)]))
    assert read_segment(path).column("request_id").to_pylist() == ["r0001", "r0004"]


def test_a_segment_an_earlier_version_spooled_still_ships(tmp_path: Path) -> None:
    """Before the one-line contract a request was a JSON list with its inputs as an object;
    such a segment, left by the last release's worker, reads into today's records."""
    old = [_record(1) | {"inputs": {"title": "B", "budget": 5}}, _record(2)]
    path = tmp_path / "seg-00000001.ready"
    path.write_bytes(orjson.dumps(old) + b"\n")
    table = read_segment(path)
    assert table.column("request_id").to_pylist() == ["r0001", "r0002"]
    assert table.column("inputs").to_pylist() == ['{"budget":5,"title":"B"}', "{}"]


def test_a_segment_has_one_name_builder_and_one_parser(tmp_path: Path) -> None:
    path = segment_path(tmp_path, 42, ".ready")
    assert path.name == "seg-00000042.ready" and segment_seq(path) == 42


def test_the_pending_count_is_told_wherever_it_changes(tmp_path: Path) -> None:
    """The gauge is set in one place, the spool's callback: on append, on shipping, and at
    start for what a previous lifetime left sealed."""
    told: list[int] = []
    owned = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert owned is not None
    spool = Spool(owned, seal_records=2, seal_seconds=60, max_records=100, on_pending=told.append)
    spool.append_batch([_record(1)])
    spool.append_batch([_record(2), _record(3)])
    Shipper(spool, Lake(str(tmp_path / "lake")), tmp_path / "spool").stop()
    assert told == [0, 1, 3, 0]
    owned.release()
    again = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert again is not None
    spool = Spool(again, seal_records=1, seal_seconds=60, max_records=100)
    spool.append_batch([_record(4)])  # sealed, not shipped: the next lifetime starts with it
    again.release()
    last = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert last is not None
    told.clear()
    Spool(last, seal_records=1, seal_seconds=60, max_records=100, on_pending=told.append)
    assert told == [1]


def test_folders_that_are_not_spools_are_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    foreign = root / "model-cache"
    foreign.mkdir(parents=True)
    mine = _spool(root, "mine")
    assert Shipper(mine, Lake(str(tmp_path / "lake")), root).adopt_orphans() == 0
    assert foreign.is_dir() and not (foreign / "owner.lock").exists()


def test_spool_heals_after_its_folder_is_deleted(tmp_path: Path) -> None:
    drops: list[int] = []
    owned = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert owned is not None
    spool = Spool(owned, seal_records=10, seal_seconds=60, max_records=100, on_drop=drops.append)
    spool.append_batch([_record(1)])
    spool.append_batch([_record(2)])
    shutil.rmtree(tmp_path / "spool")
    spool.append_batch([_record(3)])  # no error: the folder and its lock come back
    # The two records deleted with the folder are counted as dropped, never silently.
    assert spool.dropped == 2 and drops == [2] and spool.pending == 1
    assert SpoolDir.try_claim(tmp_path / "spool" / "w1") is None  # still held by its owner
    lake = Lake(str(tmp_path / "lake"))
    Shipper(spool, lake, tmp_path / "spool").stop()
    assert _ids(lake) == ["r0003"]


def test_spool_deleted_before_sealing_counts_the_loss(tmp_path: Path) -> None:
    spool = _spool(tmp_path / "spool", seal_records=10)
    spool.append_batch([_record(1)])
    shutil.rmtree(tmp_path / "spool")
    spool.seal()  # the shipper's timer: the segment to seal is gone
    assert spool.dropped == 1 and spool.pending == 0 and spool.error is not None
    spool.append_batch([_record(2)])
    assert spool.error is None and spool.pending == 1


def test_write_error_is_counted_reported_and_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = _spool(tmp_path / "spool", seal_records=10)
    real_write = os.write

    def disk_full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(SpoolWriteError, match="No space left"):
        spool.append_batch([_record(1)])
    assert spool.dropped == 1 and spool.pending == 0 and "No space" in (spool.error or "")
    monkeypatch.setattr(os, "write", real_write)
    spool.append_batch([_record(2)])
    assert spool.error is None and spool.pending == 1


def test_a_restart_with_the_same_pid_names_its_writer_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from boxoffice.serving import config

    monkeypatch.setattr(config.os, "getpid", lambda: 7)  # a container's PIDs after a restart
    monkeypatch.setattr(config, "_INSTANCE", {})
    settings = config.Settings(replica="pod-a")
    first = settings.worker_id
    assert first == settings.worker_id  # stable within one process start
    monkeypatch.setattr(config, "_INSTANCE", {})  # the next process start
    second = config.Settings(replica="pod-a").worker_id
    assert first.startswith("pod-a-7-") and second.startswith("pod-a-7-")
    assert first != second


def test_restarted_writer_never_overwrites_the_earlier_runs_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boxoffice.serving import config

    monkeypatch.setattr(config.os, "getpid", lambda: 7)
    root, lake = tmp_path / "spool", Lake(str(tmp_path / "lake"))
    for run in range(2):
        monkeypatch.setattr(config, "_INSTANCE", {})  # each run a new process, same PID
        name = config.Settings(replica="pod-a").worker_id
        spool = _spool(root, name)
        spool.append_batch([_record(10 * run + i) for i in range(2)])
        Shipper(spool, lake, root).stop()  # the graceful drain: ships, removes its folder
        spool.owned.release(remove_if_empty=True)
    assert _ids(lake) == ["r0000", "r0001", "r0010", "r0011"]  # nothing of run 1 is lost


def test_after_kill_9_the_same_pid_adopts_the_dead_runs_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boxoffice.serving import config

    monkeypatch.setattr(config.os, "getpid", lambda: 7)
    root, lake = tmp_path / "spool", Lake(str(tmp_path / "lake"))
    monkeypatch.setattr(config, "_INSTANCE", {})
    dead = _spool(root, config.Settings(replica="pod-a").worker_id, seal_records=1000)
    dead.append_batch([_record(i) for i in range(4)])
    dead.owned.release()  # kill -9: the lock goes with the process, the active segment stays
    monkeypatch.setattr(config, "_INSTANCE", {})
    alive = _spool(root, config.Settings(replica="pod-a").worker_id)
    assert Shipper(alive, lake, root).adopt_orphans() == 1
    assert _ids(lake) == [f"r{i:04d}" for i in range(4)]


def test_full_disk_seals_what_was_accepted_and_leaves_no_empty_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "spool"
    spool = _spool(root, seal_records=1000)
    for i in range(4):  # accepted, answered, in the active segment
        spool.append_batch([_record(i)])
    real_write = os.write

    def disk_full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    for i in range(4, 7):  # sent while the disk is full: dropped and counted, as documented
        with pytest.raises(SpoolWriteError):
            spool.append_batch([_record(i)])
    monkeypatch.setattr(os, "write", real_write)
    assert spool.dropped == 3
    assert list((root / "w1").glob("*.jsonl")) == []  # no empty active segments left behind
    spool.append_batch([_record(7)])  # space is back
    lake = Lake(str(tmp_path / "lake"))
    Shipper(spool, lake, root).stop()
    assert _ids(lake) == [f"r{i:04d}" for i in (0, 1, 2, 3, 7)]


def test_degraded_logging_is_said_once_when_it_starts_and_once_when_it_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    told: list[bool] = []
    owned = SpoolDir.try_claim(tmp_path / "spool" / "w1")
    assert owned is not None
    spool = Spool(owned, seal_records=10, seal_seconds=60, max_records=100, on_degraded=told.append)
    spool.append_batch([_record(0)])
    real_write = os.write

    def disk_full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    for i in range(1, 4):
        with pytest.raises(SpoolWriteError):
            spool.append_batch([_record(i)])
    assert told == [True] and spool.error is not None
    monkeypatch.setattr(os, "write", real_write)
    spool.append_batch([_record(4)])
    spool.append_batch([_record(5)])
    assert told == [True, False] and spool.error is None
    said = [r.getMessage() for r in caplog.records if "prediction logging" in r.getMessage()]
    assert len(said) == 2 and "degraded" in said[0] and "recovered (3 records dropped" in said[1]


def test_a_crash_between_the_lake_write_and_the_removal_still_ships_each_record_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after the lake object is written and before the segment is deleted;
    the restart ships the segment again, under the same name: each record once."""
    root = tmp_path / "spool"
    spool = _spool(root, seal_records=3)
    for i in range(3):  # sealed at the third
        spool.append_batch([_record(i)])
    (segment,) = (root / "w1").glob("*.ready")
    lake = Lake(str(tmp_path / "lake"))
    real_unlink = Path.unlink

    def die(self: Path, missing_ok: bool = False) -> None:
        raise SystemExit("killed before the segment was removed")

    monkeypatch.setattr(Path, "unlink", die)
    with pytest.raises(SystemExit):
        ship_segment(lake, "w1", segment)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert segment.exists() and len(lake.prediction_files()) == 1  # written, not removed
    assert ship_segment(lake, "w1", segment) == 3  # the restart's shipper, same segment
    assert not segment.exists() and len(lake.prediction_files()) == 1
    assert _ids(lake) == [f"r{i:04d}" for i in range(3)]  # each once


def test_the_shipper_thread_lives_through_a_failing_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error no storage handler expects (here in sealing) is counted and logged; the
    thread goes on and ships on its next tick."""
    spool = _spool(tmp_path / "spool", seal_records=1000)
    lake = Lake(str(tmp_path / "lake"))
    shipper = Shipper(spool, lake, tmp_path / "spool", poll_s=0.02)
    real, failures = spool.seal_if_due, []

    def once_broken() -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("boom")
        spool.seal()  # then due at once: the next tick ships

    monkeypatch.setattr(spool, "seal_if_due", once_broken)
    spool.append_batch([_record(1), _record(2)])
    shipper.start()
    deadline = time.monotonic() + 30
    while spool.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    alive = shipper._thread.is_alive()
    monkeypatch.setattr(spool, "seal_if_due", real)
    shipper.stop()
    assert failures == [1] and alive
    assert _ids(lake) == ["r0001", "r0002"]


def test_a_failed_adoption_keeps_the_dead_workers_records_for_the_next_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "spool"
    dead = _spool(root, "dead", seal_records=1000)
    dead.append_batch([_record(i) for i in range(3)])
    dead.owned.release()
    blocker = tmp_path / "lake"
    blocker.write_text("a file where the lake folder should be")
    alive = _spool(root, "alive")
    assert Shipper(alive, Lake(str(blocker)), root).adopt_orphans() == 0
    assert (root / "dead").exists()  # released, not removed: its segment waits
    blocker.unlink()
    assert Shipper(alive, Lake(str(blocker)), root).adopt_orphans() == 1
    assert _ids(Lake(str(blocker))) == ["r0000", "r0001", "r0002"]
    assert not (root / "dead").exists()
