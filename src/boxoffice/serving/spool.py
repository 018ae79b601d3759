"""A crash-safe local spool for prediction log records.

Each worker process owns one directory (held by an exclusive ``flock``) and appends JSON lines
to its active segment with one ``write`` per record: a record is in the kernel's page cache
before the response leaves, so it survives SIGKILL of the process. Full segments are sealed
(``.ready``) for the shipper. A directory whose owner died can be adopted by another worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACTIVE_SUFFIX = ".jsonl"
READY_SUFFIX = ".ready"
LOCK_NAME = "owner.lock"


class SpoolFullError(RuntimeError):
    """The spool holds its maximum number of unshipped records."""


def _seq(path: Path) -> int:
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

    def release(self, remove_if_empty: bool = False) -> None:
        if remove_if_empty and not any(self.segments()) and not any(self.actives()):
            (self.path / LOCK_NAME).unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a file appeared meanwhile: keep the folder
                self.path.rmdir()
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)

    def segments(self) -> list[Path]:
        return sorted(self.path.glob(f"seg-*{READY_SUFFIX}"), key=_seq)

    def actives(self) -> list[Path]:
        return sorted(self.path.glob(f"seg-*{ACTIVE_SUFFIX}"), key=_seq)

    def next_seq(self) -> int:
        seqs = [_seq(p) for p in (*self.segments(), *self.actives())]
        return max(seqs, default=-1) + 1

    def seal_leftovers(self) -> None:
        """Seal active segments a dead owner left behind."""
        for active in self.actives():
            active.rename(active.with_suffix(READY_SUFFIX))


def read_segment(path: Path) -> list[dict[str, Any]]:
    """Records of a segment (one line per request); a torn last line is skipped."""
    records: list[dict[str, Any]] = []
    for line in path.read_bytes().splitlines():
        try:
            batch = json.loads(line)
        except json.JSONDecodeError:
            continue
        records.extend(batch if isinstance(batch, list) else [batch])
    return records


class Spool:
    """The owning worker's writer: append, seal by count or age, count what is unshipped."""

    def __init__(
        self, owned: SpoolDir, *, seal_records: int, seal_seconds: float, max_records: int
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
        self.pending = sum(len(read_segment(p)) for p in owned.segments())
        self.dropped = 0

    def _open(self) -> int:
        path = self.owned.path / f"seg-{self._seq:08d}{ACTIVE_SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._opened_at = time.monotonic()
        return self._fd

    def append(self, record: dict[str, Any]) -> None:
        self.append_batch([record])

    def append_batch(self, records: list[dict[str, Any]]) -> None:
        """Append one request's records as one line with one ``write``.

        A line torn by a crash belongs to a request whose response was never sent.
        """
        data = json.dumps(records, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self.pending + len(records) > self.max_records:
                self.dropped += len(records)
                raise SpoolFullError(f"spool holds {self.pending} unshipped records")
            fd = self._fd if self._fd is not None else self._open()
            view = memoryview(data.encode())
            while view:  # a regular file takes it all at once; loop in case it does not
                view = view[os.write(fd, view) :]
            self._count += len(records)
            self.pending += len(records)
            if self._count >= self.seal_records:
                self._seal_locked()

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
        os.close(self._fd)
        active = self.owned.path / f"seg-{self._seq:08d}{ACTIVE_SUFFIX}"
        active.rename(active.with_suffix(READY_SUFFIX))
        self._fd, self._count = None, 0
        self._seq += 1

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
