"""gunicorn server hooks (``--config python:boxoffice.serving.gunicorn_hooks``)."""

from __future__ import annotations

import os
import shutil
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's live gauges leave the summed metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """Remove the metrics folder ``initializer.sh`` made for this run (only that one)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.environ.get("BOXOFFICE_REMOVE_METRICS_DIR") == "1":
        shutil.rmtree(folder, ignore_errors=True)
