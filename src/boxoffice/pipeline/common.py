"""Shared plumbing for stage entry points: argument parsing, JSON output, failures."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from boxoffice.core.layout import DEFAULT_PROFILE, Layout
from boxoffice.core.params import Params, load_params
from boxoffice.lake.storage import write_text_atomic

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
    parser.add_argument("--profile", default=DEFAULT_PROFILE, help="model profile (params.yaml)")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
        params.profile_features(args.profile)  # refuses an unknown profile before any work
        body(params, Layout(Path(args.root), args.profile))
    except (RuntimeError, ValueError, OSError) as exc:  # StageError is a RuntimeError
        log(name, f"FAILED: {exc}")
        return 1
    return 0
