"""A project whose data lacks some films ('unseen'), trained once by `dvc repro`.

The retrain and continuous-training tests both serve those films, label them and retrain: they
start from copies of the same trained project, so the suite pays for its first `dvc repro` once.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from boxoffice.core.params import Params
from boxoffice.pipeline.matching import title_key
from tests.conftest import ROOT, tiny_profile

UNSEEN = 60


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command with this environment's tools first on PATH; fail with its output."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        args,
        cwd=cwd,
        env=os.environ | {"PATH": path} | (env or {}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def unseen(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Films that pass every rule, so the API and validation both take them."""
    good = [
        r
        for r in records
        if (r.get("Worldwide Gross") or 0) > 0
        and (r.get("Production Budget") or 0) > 0
        and r.get("Title")
        and r.get("MPAA Rating") in {"G", "PG", "PG-13", "R"}
        and dt.datetime.strptime(r["Release Date"], "%b %d %Y").year <= 2010
    ]
    return good[-UNSEEN:]


def sample_unseen() -> list[dict[str, Any]]:
    return unseen(json.loads((ROOT / "data" / "sample" / "movies.json").read_text()))


def film(record: dict[str, Any], params: Params) -> dict[str, Any]:
    """The request a studio would send for a sample record: its pre-release fields."""
    out = {}
    for spec in params.profile_features(params.serve_profile):
        value = record.get(spec.column)
        if value is not None and spec.kind == "date":
            value = dt.datetime.strptime(value, spec.format or "%Y-%m-%d").date().isoformat()
        if value is not None:
            out[spec.field] = value
    return out


def _without_titles(source: Path, dest: Path, keys: set[str]) -> None:
    """The second source without the 'new' films: they must reach training only as labels."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [rows[0], *(r for r in rows[1:] if title_key(r[2]) not in keys)]
        )


def write_params(dest: Path, first_model_max_mae_log: float) -> None:
    """Tiny params whose gate lets a retrained model past production (tolerance, any
    coverage); with no production model yet, a candidate is held to the given floor alone.
    The floor is no DVC dependency: changing it changes the gate, not the pipeline."""
    raw = tiny_profile(yaml.safe_load((ROOT / "params.yaml").read_text()))
    for source in raw["data"]["sources"]:
        source["sha256"] = None
    raw["gate"] |= {
        "first_model_max_mae_log": first_model_max_mae_log,
        "mae_log_tolerance": 5.0,
        "coverage_band": [0.0, 1.0],
        "max_single_row_p99_ms": 10_000.0,
        "min_batch_rows_per_s": 1.0,
    }
    (dest / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


def build(work: Path) -> Path:
    """Lay out and train the project in ``work`` (a git work tree, nothing committed)."""
    work.mkdir(parents=True)
    for name in ("dvc.yaml", ".dvcignore", ".gitignore", "Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, work / name)
    shutil.copy(ROOT / "constraints.txt", work / "constraints.txt")
    shutil.copytree(ROOT / ".dvc", work / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "deploy" / "ct", work / "deploy" / "ct")
    shutil.copytree(ROOT / "data" / "reference", work / "data" / "reference")
    records = json.loads((ROOT / "data" / "sample" / "movies.json").read_text())
    held_out = unseen(records)
    (work / "data" / "sample").mkdir(parents=True)
    (work / "data" / "sample" / "movies.json").write_text(
        json.dumps([r for r in records if r not in held_out])
    )
    _without_titles(
        ROOT / "data" / "movie_profit" / "movie_profit.csv",
        work / "data" / "movie_profit" / "movie_profit.csv",
        {title_key(r["Title"]) for r in held_out},
    )
    (work / "data" / "feedback").mkdir()  # as a clone has it: the labels file is git-ignored
    shutil.copy(ROOT / "data" / "feedback" / "README.md", work / "data" / "feedback")
    write_params(work, first_model_max_mae_log=0.01)  # refuses any first candidate
    (work / "docs").mkdir()
    run(["git", "init", "-q", "-b", "main"], work)
    run(["dvc", "repro"], work)
    return work


def copy(trained: Path, dest: Path) -> Path:
    """A copy of the trained project, DVC cache and git included: it needs no `dvc repro`."""
    shutil.copytree(trained, dest, symlinks=True)
    return dest
