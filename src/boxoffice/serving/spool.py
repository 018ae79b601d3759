"""A crash-safe local spool for prediction log records.

Each worker process owns one directory (held by an exclusive ``flock``) and appends one line
per request (:func:`~boxoffice.lake.prediction_log.spool_line`) to its active segment with one
``write``: a record is in the kernel's page cache before the response leaves, so it survives
SIGKILL of the process. Full segments are sealed
(``.ready``) for the shipper. A directory whose owner died can be adopted by another worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from boxoffice.lake.prediction_log import read_spool_lines, spool_line

ACTIVE_SUFFIX = ".jsonl"
READY_SUFFIX = ".ready"
LOCK_NAME = "owner.lock"
log = logging.getLogger("boxoffice.spool")


class SpoolError(RuntimeError):
    """A batch of records could not be spooled (counted in ``Spool.dropped``)."""


class SpoolFullError(SpoolError):
    """The spool holds its maximum number of unshipped records."""


class SpoolWriteError(SpoolError):
    """The spool's disk refused the write (folder deleted, disk full, permissions...)."""


def segment_path(folder: Path, seq: int, suffix: str) -> Path:
    """The one name of segment ``seq`` (``seg-00000042.jsonl``): writers and shippers agree."""
    return folder / f"seg-{seq:08d}{suffix}"


def segment_seq(path: Path) -> int:
    """The sequence number in a segment's name: its lake object's, so a re-ship overwrites."""
    return int(path.name.split(".")[0].split("-")[1])


class SpoolDir:
    """One owned directory of segments ``seg-<seq>.jsonl`` / ``seg-<seq>.ready``."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self.name = path.name
        self._lock_fd = lock_fd

    @classmethod
    def try_claim(cls, path: Path) -> SpoolDir | None:
        """Own ``path`` if nobody alive does; None when another process holds it."""
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(path, fd)

    def heal(self) -> None:
        """Recreate the folder and its held lock file if someone deleted them."""
        if (self.path / LOCK_NAME).exists():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # The old lock lived on a deleted inode: hold the new file so no worker adopts us.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise
        os.close(self._lock_fd)
        self._lock_fd = fd

    def release(self, remove_if_empty: bool = False) -> None:
        if remove_if_empty and not any(self.segments()) and not any(self.actives()):
            (self.path / LOCK_NAME).unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a file appeared meanwhile: keep the folder
                self.path.rmdir()
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)

    def segments(self) -> list[Path]:
        return sorted(self.path.glob(f"seg-*{READY_SUFFIX}"), key=segment_seq)

    def actives(self) -> list[Path]:
        return sorted(self.path.glob(f"seg-*{ACTIVE_SUFFIX}"), key=segment_seq)

    def next_seq(self) -> int:
        seqs = [segment_seq(p) for p in (*self.segments(), *self.actives())]
        return max(seqs, default=-1) + 1

    def seal_leftovers(self) -> None:
        """Seal active segments a dead owner left behind."""
        for active in self.actives():
            active.rename(active.with_suffix(READY_SUFFIX))


def read_segment(path: Path) -> pa.Table:
    """Records of a segment as the lake's table; a torn last line is skipped."""
    return read_spool_lines(path.read_bytes())


class Spool:
    """The owning worker's writer: append, seal by count or age, count what is unshipped."""

    def __init__(
        self,
        owned: SpoolDir,
        *,
        seal_records: int,
        seal_seconds: float,
        max_records: int,
        on_drop: Callable[[int], object] | None = None,
        on_degraded: Callable[[bool], object] | None = None,
        on_pending: Callable[[int], object] | None = None,
    ):
        self.owned = owned
        self.seal_records = seal_records
        self.seal_seconds = seal_seconds
        self.max_records = max_records
        self._lock = threading.Lock()
        self._seq = owned.next_seq()
        self._fd: int | None = None
        self._count = 0
        self._opened_at = 0.0
        # Told the unshipped count whenever it changes (the gauge): set in one place, here.
        self._on_pending = on_pending
        self._pending = 0
        self.pending = sum(read_segment(p).num_rows for p in owned.segments())
        self.dropped = 0
        self._on_drop = on_drop  # told every count that is dropped (the Prometheus counter)
        # Told True when writes start failing and False when one lands again (the gauge).
        self._on_degraded = on_degraded
        # The last write's failure (None when the last write landed): readiness reports it.
        self._error: str | None = None

    @property
    def pending(self) -> int:
        """Records spooled and not yet shipped (what a lake outage lets grow)."""
        return self._pending

    @pending.setter
    def pending(self, count: int) -> None:
        self._pending = count
        if self._on_pending is not None:
            self._on_pending(count)

    @property
    def error(self) -> str | None:
        return self._error

    @error.setter
    def error(self, message: str | None) -> None:
        """Say it once when logging degrades and once when it recovers (log and gauge)."""
        was, self._error = self._error, message
        if (was is None) == (message is None):
            return
        if message is not None:
            log.warning("prediction logging degraded: %s", message)
        else:
            log.warning("prediction logging recovered (%d records dropped so far)", self.dropped)
        if self._on_degraded is not None:
            self._on_degraded(message is not None)

    def _open(self) -> int:
        self.owned.heal()
        self._fd = os.open(self._active(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._opened_at = time.monotonic()
        return self._fd

    def _active(self) -> Path:
        return segment_path(self.owned.path, self._seq, ACTIVE_SUFFIX)

    def _drop(self, n: int) -> None:
        self.dropped += n
        if self._on_drop is not None and n:
            self._on_drop(n)

    def _lost_locked(self) -> None:
        """Count the active segment's records as dropped: someone deleted them on disk."""
        self.pending = max(0, self.pending - self._count)
        self._drop(self._count)
        self.error = f"{self._count} spooled records were deleted from {self.owned.path}"

    def _abandon_locked(self) -> None:
        """Forget the active segment after a failed write; the next append opens a new one."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._count = None, 0
        self._seq += 1

    def _close_after_failure_locked(self) -> None:
        """After a failed write (a full disk), seal what the segment holds so far, so that the
        records already accepted ship once space returns; an empty segment is removed."""
        active = self._active()
        with contextlib.suppress(OSError):  # renames and unlinks need no free blocks
            if self._count > 0:
                active.rename(active.with_suffix(READY_SUFFIX))
            else:
                active.unlink(missing_ok=True)
        self._abandon_locked()

    def append_batch(self, records: list[dict[str, Any]]) -> None:
        """Append one request's records as one line with one ``write``.

        A line torn by a crash belongs to a request whose response was never sent.
        """
        data = spool_line(records)
        with self._lock:
            if self.pending + len(records) > self.max_records:
                self._drop(len(records))
                self.error = f"spool full: {self.pending} unshipped records"
                raise SpoolFullError(self.error)
            try:
                self._write_locked(data)
            except OSError as exc:
                self._drop(len(records))
                self.error = f"spool write failed: {type(exc).__name__}: {exc.strerror or exc}"
                self._close_after_failure_locked()
                raise SpoolWriteError(self.error) from exc
            self.error = None
            self._count += len(records)
            self.pending += len(records)
            if self._count >= self.seal_records:
                self._seal_locked()

    def _write_locked(self, data: bytes) -> None:
        if self._fd is not None and not (self.owned.path / LOCK_NAME).exists():
            # The folder was deleted under the open segment: its records are gone with it.
            self._lost_locked()
            self._abandon_locked()
        fd = self._fd if self._fd is not None else self._open()
        view = memoryview(data)
        while view:  # a regular file takes it all at once; loop in case it does not
            view = view[os.write(fd, view) :]

    def seal_if_due(self) -> None:
        with self._lock:
            if self._fd is not None and time.monotonic() - self._opened_at >= self.seal_seconds:
                self._seal_locked()

    def seal(self) -> None:
        with self._lock:
            self._seal_locked()

    def _seal_locked(self) -> None:
        if self._fd is None:
            return
        active = self._active()
        try:
            active.rename(active.with_suffix(READY_SUFFIX))
        except FileNotFoundError:  # deleted under us: its records are gone, nothing to ship
            self._lost_locked()
        self._abandon_locked()

    def shipped(self, n: int) -> None:
        with self._lock:
            self.pending = max(0, self.pending - n)


def orphans(root: Path, own: str) -> Iterator[SpoolDir]:
    """Directories under ``root`` whose owner is gone, claimed for this process."""
    if not root.exists():
        return
    # Only spool directories (they hold a lock file); anything else in the folder is not ours.
    candidates = (p for p in root.iterdir() if p.is_dir() and (p / LOCK_NAME).exists())
    for path in sorted(p for p in candidates if p.name != own):
        claimed = SpoolDir.try_claim(path)
        if claimed is not None:
            yield claimed


def live_owners(root: Path) -> list[str]:
    """Names of the spool directories under ``root`` whose owner is alive (lock held)."""
    if not root.exists():
        return []
    names = []
    for lock in sorted(root.glob(f"*/{LOCK_NAME}")):
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            # flock conflicts between open files even within one process: our own shows held.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            names.append(lock.parent.name)
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return names
