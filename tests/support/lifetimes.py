"""Server lifetimes on one spool and one lake, as a container platform gives them: each in a
new PID namespace (every restart gets the same PIDs), ended by SIGTERM or ``kill -9``, the
spool on a small tmpfs that fills. Used by tests/system/test_lifetimes.py and bench/soak.py.

Needs root (``unshare --pid``, ``mount -t tmpfs``): :func:`check_privileges` says so plainly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from boxoffice.lake.prediction_log import Lake
from tests.support.server import Server
from tests.support.serving import FILM

ROOT = Path(__file__).resolve().parents[2]


def check_privileges() -> str | None:
    """Why this machine cannot run the lifetimes, or None when it can."""
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"unshare --pid refused: {probe.stderr.strip()}"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    return None


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into ``folder`` until its filesystem refuses (ENOSPC)."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as out:
        # Big blocks first, then smaller ones down to a byte: a gap the size of one log line
        # left free would take a record "sent while full".
        for size in (65536, 4096, 256, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


class NamespacedServer(Server):
    """``docker/initializer.sh`` as PID 1 of its own PID namespace (as in a container)."""

    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        script = ROOT / "docker" / "initializer.sh"
        command = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "sh", str(script)]
        super().__init__(script, env, Path(sys.executable).parent, workers, command=command)

    def inner_pid(self) -> int:
        """The host PID of the namespace's PID 1 (gunicorn's master, once exec'd)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # unshare forwards no signal: the namespace's PID 1 gets it. SIGKILL of PID 1 ends
        # every process of the namespace at once (a container killed).
        with contextlib.suppress(ProcessLookupError, FileNotFoundError, IndexError):
            os.kill(self.inner_pid(), sig)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


@dataclass
class Soak:
    """What the lifetimes accepted, what they dropped by the documented policy, and what
    the lake holds."""

    answered: list[str] = field(default_factory=list)  # request ids answered 200 and logged
    dropped: list[str] = field(default_factory=list)  # answered while the disk was full
    dropped_counted: int = 0  # boxoffice_spool_dropped_records_total, summed over lifetimes
    lifetimes: list[dict[str, Any]] = field(default_factory=list)

    def outcome(self, lake: Lake) -> dict[str, Any]:
        """Every prediction either reached the lake exactly once or was counted as dropped.
        (Sent while the disk was full, a record can still land: the shipper frees space as
        it ships the sealed segments, so a write may find room again.)"""
        found = Counter(lake.read_predictions().column("request_id").to_pylist())
        kept, full = set(self.answered), set(self.dropped)
        landed_while_full = len(full & set(found))
        return {
            "lifetimes": self.lifetimes,
            "accepted": len(self.answered),
            "sent_while_full": len(full),
            "landed_while_full": landed_while_full,
            "dropped_counted": self.dropped_counted,
            "accounted": landed_while_full + self.dropped_counted == len(full),
            "found_in_lake": sum(found.values()),
            "lost": len(kept - set(found)),
            "duplicated": sum(n - 1 for n in found.values() if n > 1),
            "unexpected": len(set(found) - kept - full),
        }


def _send(url: str, n: int, offset: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(n):
            film = FILM | {"production_budget": 1e6 * (1 + (offset + i) % 200)}
            response = client.post("/v1/prediction", json=film)
            response.raise_for_status()
            ids.append(response.json()["request_id"])
    return ids


def _dropped(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    lines = [x for x in text.splitlines() if x.startswith("boxoffice_spool_dropped_records_total")]
    return int(float(lines[0].split()[-1])) if lines else 0


def wait_adopted(spool: Path, dead: set[str], timeout_s: float = 30) -> None:
    """Wait until the earlier lifetimes' segments are shipped by this one's adoption. It runs
    beside the requests, and each segment it ships frees spool space: a disk filled before it
    ends has room again, and the records "sent while full" all land (seen once in a full
    suite run, where adoption was slow)."""
    deadline = time.monotonic() + timeout_s
    while left := [p for p in spool.glob("*/seg-*") if p.parent.name in dead]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the dead lifetimes' segments were not adopted: {left}")
        time.sleep(0.1)


def run_lifetimes(export_dir: Path, work: Path, per_phase: int = 30) -> dict[str, Any]:
    """Four lifetimes on one spool (a 2 MB tmpfs) and one lake: SIGTERM; ``kill -9`` before
    anything shipped; a full disk and its recovery; SIGTERM. Returns the tally."""
    soak, lake = Soak(), Lake(str(work / "lake"))
    env = {
        "BOXOFFICE_MODEL_URI": str(export_dir),
        "BOXOFFICE_RETROSPECTIVE_MODEL_URI": str(work / "none"),
        "BOXOFFICE_LAKE_URI": lake.uri,
        "BOXOFFICE_SPOOL_DIR": str(work / "spool"),
        "BOXOFFICE_REPLICA": "pod-a",  # every lifetime the same replica name
        # Only adoption at start and the drain at SIGTERM ship: nothing before the kill -9,
        # nothing while the disk is full.
        "BOXOFFICE_SHIP_EVERY_SECONDS": "600",
    }
    sent = 0
    with small_tmpfs(work / "spool"):
        for n, ending in enumerate(("sigterm", "kill -9", "disk full, then sigterm", "sigterm")):
            server = NamespacedServer(env | {"PROMETHEUS_MULTIPROC_DIR": str(work / f"prom{n}")})
            server.start()
            try:
                wait_adopted(work / "spool", {life["writer"] for life in soak.lifetimes})
                soak.answered += _send(server.url, per_phase, sent)
                sent += per_phase
                if ending.startswith("disk full"):
                    filler = fill(work / "spool")
                    soak.dropped += _send(server.url, per_phase, sent)
                    filler.unlink()
                    soak.answered += _send(server.url, per_phase, sent + per_phase)
                    sent += 2 * per_phase
                soak.dropped_counted += _dropped(server.url)
                before = {life["writer"] for life in soak.lifetimes}
                writers = [p.name for p in (work / "spool").iterdir() if p.is_dir()]
            finally:
                server.stop(signal.SIGKILL if ending == "kill -9" else signal.SIGTERM)
            # This lifetime's writer, <replica>-<pid in its namespace>-<token>.
            (writer,) = set(writers) - before
            soak.lifetimes.append({"ending": ending, "writer": writer})
            time.sleep(0.2)
    return soak.outcome(lake)
