"""Shared plumbing for stage entry points: argument parsing, JSON output, failures."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from boxoffice.core.io import write_text_atomic
from boxoffice.core.layout import Layout
from boxoffice.core.params import DEFAULT_PROFILE, Params, load_params

# The id validate gives each row (a hash of the source's id columns); featurize splits on it.
ROW_ID = "row_id"


class StageError(RuntimeError):
    """A stage cannot go on; the message names the rule or input that stopped it."""


def write_json(path: Path, payload: Any) -> None:
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def log(stage: str, message: str) -> None:
    print(f"[{stage}] {message}", file=sys.stderr, flush=True)


def run_stage(
    name: str, body: Callable[[Params, Layout], object], argv: Sequence[str] | None = None
) -> int:
    """Parse ``--params``/``--root``, run ``body`` and turn domain errors into exit code 1."""
    parser = argparse.ArgumentParser(prog=f"python -m boxoffice.pipeline.{name}")
    parser.add_argument("--params", default="params.yaml", help="params file")
    parser.add_argument("--root", default=".", help="project root the stage writes under")
    parser.add_argument("--profile", default=None, help="model profile (params.yaml)")
    args = parser.parse_args(argv)
    profile = args.profile or DEFAULT_PROFILE
    layout = Layout(Path(args.root), profile)
    start = time.monotonic()
    try:
        params = load_params(args.params)
        params.profile_features(profile)  # refuses an unknown profile before any work
        body(params, layout)
    except (RuntimeError, ValueError, OSError) as exc:  # StageError is a RuntimeError
        log(name, f"FAILED: {exc}")
        return 1
    record_timing(layout, f"{name}@{args.profile}" if args.profile else name, start)
    return 0


def record_timing(layout: Layout, stage: str, start: float) -> None:
    """Seconds per stage into ``reports/timings.json``: git-ignored and no DVC output, so a
    re-run on another machine leaves the tracked tree as it was (timings are not results)."""
    path = layout.timings
    try:
        timings = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:  # a torn file from an interrupted run: start again
        timings = {}
    timings[stage] = round(time.monotonic() - start, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, timings)
