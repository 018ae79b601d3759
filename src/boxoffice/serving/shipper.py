"""Ships sealed spool segments to the lake as Parquet, in the background and at shutdown."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from boxoffice.lake.prediction_log import Lake, by_date
from boxoffice.serving import metrics
from boxoffice.serving.memory import release_freed_heap
from boxoffice.serving.spool import Spool, SpoolDir, orphans, read_segment, segment_seq

log = logging.getLogger("boxoffice.shipper")

MAX_BACKOFF_S = 60.0


def ship_segment(lake: Lake, owner: str, segment: Path) -> int:
    """Write one sealed segment to the lake and delete it; returns how many records went."""
    table = read_segment(segment)
    for date, rows in by_date(table):
        lake.write_predictions(date, owner, segment_seq(segment), rows)
    segment.unlink()
    return int(table.num_rows)


class Shipper:
    def __init__(self, spool: Spool, lake: Lake, spool_root: Path, poll_s: float = 0.5) -> None:
        self.spool = spool
        self.lake = lake
        self.spool_root = spool_root
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lake-shipper", daemon=True)
        self._backoff = 0.0

    def start(self) -> None:
        self._thread.start()

    def _ship_dir(self, owned: SpoolDir, own: bool) -> bool:
        """Ship every sealed segment of ``owned``; False (and backoff) on the first failure."""
        for segment in owned.segments():
            try:
                n = ship_segment(self.lake, owned.name, segment)
            except Exception as exc:  # any storage error: keep the segment, retry later
                metrics.SHIP_FAILURES.inc()
                self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
                log.warning(
                    "lake %s unreachable (%s); %d records wait in the spool, retry in %.0fs",
                    self.lake.uri,
                    type(exc).__name__,
                    self.spool.pending,
                    self._backoff,
                )
                return False
            release_freed_heap()  # the Parquet writer's buffers: freed, but still mapped
            metrics.SHIPPED.inc(n)
            if own:
                self.spool.shipped(n)
        self._backoff = 0.0
        return True

    def adopt_orphans(self) -> int:
        """Ship what dead workers left in their spool directories."""
        adopted = 0
        for orphan in orphans(self.spool_root, self.spool.owned.name):
            try:
                orphan.seal_leftovers()
                if self._ship_dir(orphan, own=False):
                    adopted += 1
            finally:
                orphan.release(remove_if_empty=True)
        return adopted

    def _run(self) -> None:
        self._survive(self.adopt_orphans)
        while not self._stop.wait(self.poll_s + self._backoff):
            self._survive(self._tick)

    def _tick(self) -> None:
        self.spool.seal_if_due()
        self._ship_dir(self.spool.owned, own=True)

    def _survive(self, step: Callable[[], object]) -> None:
        """Run one step of the loop; no error may end the thread that empties the spool."""
        try:
            step()
        except Exception:
            metrics.SHIP_FAILURES.inc()
            log.exception("lake shipper step failed; retrying in %.1fs", self.poll_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Seal and ship everything (graceful drain); what cannot go stays spooled."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self.spool.seal()
        self._backoff = 0.0
        if not self._ship_dir(self.spool.owned, own=True):
            log.warning("shutdown: %d records stay spooled for the next start", self.spool.pending)
