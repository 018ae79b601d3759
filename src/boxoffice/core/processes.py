"""Independent fits in a process per core, sharing the active fit memo: the backtest's folds
and a model's calibration fits. Results come back in the tasks' order whatever order the
processes finish in, so the same tasks give the same figures on any number of cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from boxoffice.core import fit_memo


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_processes(
    task: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    workers: int,
    order: Sequence[int] | None = None,
) -> Iterator[Any]:
    """``task(*a)`` for each ``a`` of ``args``, yielded in that order as each is ready; in up
    to ``workers`` processes started in ``order`` (default: as given), else in this one."""
    if workers <= 1 or len(args) <= 1:
        for a in args:
            yield task(*a)
        return
    # spawn, not fork: a fork of a process whose OpenMP threads have run can hang in the child.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(args)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_start,
        initargs=(fit_memo.shared_directory(),),
    ) as pool:
        futures = {i: pool.submit(task, *args[i]) for i in (order or range(len(args)))}
        for i in range(len(args)):
            yield futures[i].result()


def worker_start(memo: Path | None) -> None:
    """A worker fits on one thread: the processes share the cores. Trees fitted on one
    thread or two came out identical (docs/performance.md), so the figures do not change. It
    joins its parent's fit memo, so a fit another process did is not done again."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # kept for the process's life (no context to leave)
    fit_memo.join(memo)
