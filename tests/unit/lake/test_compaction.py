"""Compaction: fewer objects, the same predictions, each once, however it is interrupted."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from boxoffice.lake import compaction
from boxoffice.lake.compaction import (
    PartitionChangedError,
    compact_partition,
    partitions_to_compact,
)
from boxoffice.lake.manifest import ManifestError, is_compacted
from boxoffice.lake.prediction_log import Lake
from tests.support.compaction import DAY, read_counts, write_objects


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(str(tmp_path / "lake"))


def test_a_partition_of_small_objects_becomes_one_with_the_same_predictions(lake: Lake) -> None:
    ids = write_objects(lake, "w-1-t", range(20))
    before = lake.read_predictions().sort_by("request_id")
    done = compact_partition(lake, DAY)
    assert (done.merged, done.rows, done.removed) == (20, 60, 20)
    assert [Path(p).name for p in lake.listed(DAY)] == [Path(str(done.written)).name]
    assert lake.read_predictions().sort_by("request_id").equals(before)
    assert read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_second_run_changes_nothing(lake: Lake) -> None:
    write_objects(lake, "w-1-t", range(5))
    compact_partition(lake, DAY)
    listed = lake.listed(DAY)
    again = compact_partition(lake, DAY)
    assert (again.merged, again.removed, again.written) == (0, 0, None)
    assert lake.listed(DAY) == listed


def test_new_objects_merge_with_the_compacted_one_and_it_is_replaced(lake: Lake) -> None:
    ids = write_objects(lake, "w-1-t", range(4))
    first = compact_partition(lake, DAY).written
    ids += write_objects(lake, "w-2-t", range(3))
    second = compact_partition(lake, DAY)
    assert second.merged == 4 and second.rows == len(ids)
    assert lake.listed(DAY) == [second.written] and first != second.written
    assert read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_segment_shipped_again_after_compaction_is_not_read_twice(lake: Lake) -> None:
    ids = write_objects(lake, "w-1-t", range(4))
    compact_partition(lake, DAY)
    write_objects(lake, "w-1-t", range(2, 3))  # a restarted worker re-ships segment 2
    assert len(lake.listed(DAY)) == 2
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    done = compact_partition(lake, DAY)  # the re-shipped object is held already: deleted
    assert (done.written, done.removed) == (None, 1) and len(lake.listed(DAY)) == 1
    assert read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_crash_between_the_write_and_the_deletes_loses_and_doubles_nothing(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = write_objects(lake, "w-1-t", range(6))

    def crash(fs: Any, paths: list[str]) -> int:
        raise KeyboardInterrupt  # the process is gone before its first delete

    monkeypatch.setattr(compaction, "_remove", crash)
    with pytest.raises(KeyboardInterrupt):
        compact_partition(lake, DAY)
    assert len(lake.listed(DAY)) == 7  # the new object and the six it holds
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    monkeypatch.undo()
    done = compact_partition(lake, DAY)  # the rerun: nothing to merge, six to delete
    assert (done.written, done.removed) == (None, 6)
    assert read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_crash_halfway_through_the_deletes_is_finished_by_the_next_run(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = write_objects(lake, "w-1-t", range(6))
    real_rm, calls = lake.fs.rm_file, []

    def rm_three(path: str) -> None:
        calls.append(path)
        if len(calls) > 3:
            raise KeyboardInterrupt
        real_rm(path)

    monkeypatch.setattr(lake.fs, "rm_file", rm_three)
    with pytest.raises(KeyboardInterrupt):
        compact_partition(lake, DAY)
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    monkeypatch.undo()
    left = len(lake.listed(DAY)) - 1  # what the stopped run did not delete
    assert 0 < left < 6 and compact_partition(lake, DAY).removed == left
    assert read_counts(lake) == dict.fromkeys(ids, 1) and len(lake.listed(DAY)) == 1


def test_two_operators_compacting_at_once_leave_each_prediction_once(lake: Lake) -> None:
    ids = write_objects(lake, "w-1-t", range(30))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            compact_partition(lake, DAY)
        except PartitionChangedError as exc:  # the other deleted what this one was reading
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    compact_partition(lake, DAY)
    assert len(lake.listed(DAY)) == 1 and read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_concurrent_writer_loses_nothing_and_readers_see_each_once(lake: Lake) -> None:
    written: list[str] = []

    def writer() -> None:  # a server shipping 150 segments while compactions run
        for seq in range(150):
            written.extend(write_objects(lake, "w-9-t", range(seq, seq + 1)))

    thread = threading.Thread(target=writer)
    thread.start()
    merges, snapshots = 0, []
    while thread.is_alive() or merges == 0:
        merges += compact_partition(lake, DAY).written is not None
        snapshots.append(read_counts(lake))
    thread.join(30)
    compact_partition(lake, DAY)
    assert merges >= 1 and all(max(s.values(), default=1) == 1 for s in snapshots)
    assert read_counts(lake) == dict.fromkeys(written, 1)  # nothing lost, nothing twice
    assert len(lake.listed(DAY)) == 1 and is_compacted(lake.listed(DAY)[0])


def test_which_partitions(lake: Lake) -> None:
    for day in ("2026-11-25", "2026-11-26", "2026-11-27"):
        lake.write_predictions(day, "w", 1, lake.read_predictions())
    assert partitions_to_compact(lake, None, "2026-11-27") == ["2026-11-25", "2026-11-26"]
    assert partitions_to_compact(lake, "2026-11-26", None) == ["2026-11-26"]
    assert partitions_to_compact(lake, "2026-12-01", None) == []


def test_a_reader_lists_again_when_an_object_vanishes_and_gives_up_saying_so(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = write_objects(lake, "w-1-t", range(3))
    real, calls = Lake._read, []

    def vanish_once(self: Lake, path: str, schema: Any) -> Any:
        calls.append(path)
        if len(calls) == 1:  # a compaction deleted it after this reader listed
            raise FileNotFoundError(path)
        return real(self, path, schema)

    monkeypatch.setattr(Lake, "_read", vanish_once)
    assert read_counts(lake) == dict.fromkeys(ids, 1)

    def always(self: Lake, path: str, schema: Any) -> Any:
        raise FileNotFoundError(path)

    monkeypatch.setattr(Lake, "_read", always)
    with pytest.raises(RuntimeError, match="kept changing while it was read"):
        lake.read_predictions()


def test_an_object_named_as_compacted_without_a_manifest_is_refused(lake: Lake) -> None:
    write_objects(lake, "w-1-t", range(1))
    source = lake.listed(DAY)[0]
    fake = source.rsplit("/", 1)[0] + "/compacted-" + "0" * 32 + ".parquet"
    lake.fs.copy(source, fake)
    with pytest.raises(ManifestError, match="has no manifest"):
        lake.read_predictions()


def test_interleaved_operators_leave_nested_objects_a_reader_can_read(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One operator's run pauses after its read while another's runs twice and a server
    ships: its late object holds a part of what the other's newest holds, never an overlap."""
    ids = write_objects(lake, "w-1-t", range(1, 4))
    real, reached, go = compaction.create_only, threading.Event(), threading.Event()

    def paused(fs: Any, path: str, data: bytes) -> None:
        if threading.current_thread().name == "slow":
            reached.set()
            go.wait(30)
        real(fs, path, data)

    monkeypatch.setattr(compaction, "create_only", paused)
    ids += write_objects(lake, "w-1-t", range(4, 5))
    slow = threading.Thread(name="slow", target=compact_partition, args=(lake, DAY))
    slow.start()
    assert reached.wait(30)  # the slow run has listed and read X1..X4
    compact_partition(lake, DAY)  # the other merges X1..X4 and deletes them
    ids += write_objects(lake, "w-1-t", range(5, 6))
    compact_partition(lake, DAY)  # and again, its own merged object included
    go.set()
    slow.join(30)  # the slow run's object lands: superseded by the other's newest
    assert read_counts(lake) == dict.fromkeys(ids, 1)
    compact_partition(lake, DAY)
    assert len(lake.listed(DAY)) == 1 and read_counts(lake) == dict.fromkeys(ids, 1)


def _torn_once(lake: Lake, monkeypatch: pytest.MonkeyPatch, torn: list[str]) -> None:
    """The next listing of the partition is ``torn``; the ones after it are the real ones."""
    real, calls = Lake.listed, []

    def listed(self: Lake, date: str) -> list[str]:
        calls.append(date)
        return torn if len(calls) == 1 else real(self, date)

    monkeypatch.setattr(Lake, "listed", listed)


def _half_compacted(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """w-1..w-4 merged, and only w-1 and w-2 deleted so far; their prediction ids."""
    ids = write_objects(lake, "w-1-t", range(1, 5))
    real_remove = compaction._remove
    monkeypatch.setattr(compaction, "_remove", lambda lake, paths: real_remove(lake, paths[:2]))
    compact_partition(lake, DAY)
    monkeypatch.undo()
    assert len(lake.listed(DAY)) == 3
    return ids


def test_a_listing_torn_by_a_compaction_is_read_again_not_short(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder is listed in batches and a bucket in pages: a compaction between two of them
    hides its merged object and the objects it deleted. The reader lists again and sees it."""
    ids = _half_compacted(lake, monkeypatch)
    w4 = [p for p in lake.listed(DAY) if p.endswith("00000004.parquet")]
    _torn_once(lake, monkeypatch, w4)  # saw w-4; the merged object and w-3 came too late
    assert read_counts(lake) == dict.fromkeys(ids, 1)


def test_a_compaction_from_a_torn_listing_writes_nothing(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    _half_compacted(lake, monkeypatch)
    before = lake.listed(DAY)
    loose = [p for p in before if "compacted-" not in p]
    _torn_once(lake, monkeypatch, loose)  # w-3 and w-4 without the object that holds them
    with pytest.raises(PartitionChangedError, match="another compaction ran meanwhile"):
        compact_partition(lake, DAY)
    assert lake.listed(DAY) == before  # nothing written, nothing deleted
