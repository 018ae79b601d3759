"""Continuous training end to end: unseen films served, labelled, retrained, gated, swapped."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, load_params
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.labels import add_labels, check_labels
from boxoffice.lifecycle.registry import Registry
from boxoffice.pipeline.featurize import in_holdout
from boxoffice.pipeline.matching import title_key
from boxoffice.pipeline.rules import row_ids
from boxoffice.serving.main import create_app
from tests.conftest import ROOT, small_profile
from tests.support.serving import make_settings

pytestmark = pytest.mark.slow
UNSEEN = 60


def _run(args: list[str], cwd: Path) -> None:
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def _unseen(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _without_titles(source: Path, dest: Path, keys: set[str]) -> None:
    """The second source without the 'new' films: they must reach training only as labels."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [rows[0], *(r for r in rows[1:] if title_key(r[2]) not in keys)]
        )


def _film(record: dict[str, Any], params: Params) -> dict[str, Any]:
    film = {}
    for spec in params.profile_features(params.serve_profile):  # what a studio knows
        value = record.get(spec.column)
        if value is not None and spec.kind == "date":
            value = dt.datetime.strptime(value, spec.format or "%Y-%m-%d").date().isoformat()
        if value is not None:
            film[spec.field] = value
    return film


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh project whose sample lacks the films the test will serve as 'new'."""
    for name in ("dvc.yaml", ".dvcignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / ".dvc", tmp_path / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data" / "reference", tmp_path / "data" / "reference")
    records = json.loads((ROOT / "data" / "sample" / "movies.json").read_text())
    unseen = _unseen(records)
    kept = [r for r in records if r not in unseen]
    (tmp_path / "data" / "sample").mkdir(parents=True)
    (tmp_path / "data" / "sample" / "movies.json").write_text(json.dumps(kept))
    _without_titles(
        ROOT / "data" / "movie_profit" / "movie_profit.csv",
        tmp_path / "data" / "movie_profit" / "movie_profit.csv",
        {title_key(r["Title"]) for r in unseen},
    )
    (tmp_path / "data" / "feedback").mkdir()
    (tmp_path / "data" / "feedback" / "feedback.jsonl").write_text("")
    (tmp_path / "unseen.json").write_text(json.dumps(unseen))
    raw = small_profile(yaml.safe_load((ROOT / "params.yaml").read_text()))
    for source in raw["data"]["sources"]:
        source["sha256"] = None
    # A gate that lets the retrained model through: the test pins the swap (exit 0, replicas
    # follow); a refusal's exit 3 is pinned by test_registry's unreachable floor.
    raw["gate"] |= {
        "mae_log_tolerance": 5.0,
        "coverage_band": [0.0, 1.0],
        "max_single_row_p99_ms": 10_000.0,
        "min_batch_rows_per_s": 1.0,
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    _run(["git", "init", "-q"], tmp_path)
    _run(["dvc", "repro"], tmp_path)
    return tmp_path


def test_retrain_grows_training_set_gates_and_replicas_follow(
    project: Path, tmp_path: Path
) -> None:
    params = load_params(project / "params.yaml")
    layout = Layout(project)
    registry = Registry(str(tmp_path / "registry"))
    first = registry.register(layout.export_dir)
    registry.set_alias("production", first, "bootstrap")
    unseen = json.loads((project / "unseen.json").read_text())
    settings = make_settings(
        layout, tmp_path / "serve", registry_uri=registry.uri, reload_seconds=0.2
    )
    with TestClient(create_app(settings)) as client:
        served = [client.post("/v1/prediction", json=_film(r, params)).json() for r in unseen]
        assert all(s["model_version"] == first for s in served)
        lake = Lake(settings.lake_uri)
        client.app.state.boxoffice.spool.seal()  # ship now rather than at shutdown
        deadline = time.monotonic() + 10
        while lake.read_predictions().num_rows < UNSEEN and time.monotonic() < deadline:
            time.sleep(0.1)
        labels = [
            {
                "request_id": s["request_id"],
                "title": r["Title"],
                "worldwide_gross": r["Worldwide Gross"],
            }
            for s, r in zip(served, unseen, strict=True)
        ]
        add_labels(lake, check_labels(labels).accepted)
        before = pd.read_parquet(layout.train)

        result = CliRunner().invoke(
            app,
            [
                "retrain",
                "--params",
                str(project / "params.yaml"),
                "--lake",
                settings.lake_uri,
                "--registry",
                registry.uri,
                "--report",
                str(project / "reports" / "retrain.md"),
            ],
        )
        assert result.exit_code == 0, result.output

        after = pd.read_parquet(layout.train)
        frame = pd.DataFrame(
            {
                "Title": [r["Title"] for r in unseen],
                "Release Date": pd.to_datetime(
                    [r["Release Date"] for r in unseen], format="%b %d %Y"
                ),
            }
        )
        ids = row_ids(frame, ["Title", "Release Date"])
        to_train = set(ids[~in_holdout(ids, params.split)])
        assert set(after["row_id"]) - set(before["row_id"]) == to_train
        assert len(after) == len(before) + len(to_train)

        candidate = registry.resolve("candidate")
        decisions = registry.decisions(candidate)
        assert decisions and decisions[-1]["reasons"]
        report = (project / "reports" / "retrain.md").read_text()
        assert f"{len(before)} -> {len(after)}" in report and "## Gate" in report

        expected = candidate
        assert candidate != first and registry.resolve("production") == expected
        deadline = time.monotonic() + 3
        version = None
        while time.monotonic() < deadline:
            version = client.post("/v1/prediction", json=_film(unseen[0], params)).json()[
                "model_version"
            ]
            if version == expected:
                break
            time.sleep(0.1)
        assert version == expected
