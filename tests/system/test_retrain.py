"""Continuous training end to end: unseen films served, labelled, retrained, gated, swapped."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.layout import Layout
from boxoffice.core.params import load_params
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.labels import add_labels, check_labels
from boxoffice.lifecycle.registry import Registry
from boxoffice.pipeline.featurize import in_holdout
from boxoffice.pipeline.rules import row_ids
from boxoffice.serving.main import create_app
from tests.support import unseen_project
from tests.support.serving import make_settings
from tests.support.unseen_project import film

pytestmark = pytest.mark.slow


@pytest.fixture
def project(unseen_trained: Path, tmp_path: Path) -> Path:
    """A copy of the trained project whose data lacks the films the test serves as 'new', with
    a gate that promotes: the test pins the swap (exit 0, replicas follow); a refusal's exit 3
    is pinned by test_registry's unreachable floor and by the continuous-training test."""
    project = unseen_project.copy(unseen_trained, tmp_path / "project")
    # The retrospective profile has no production model: its first one meets this floor.
    unseen_project.write_params(project, first_model_max_mae_log=5.0)
    return project


def test_retrain_grows_training_set_gates_and_replicas_follow(
    project: Path, tmp_path: Path
) -> None:
    params = load_params(project / "params.yaml")
    layout = Layout(project)
    registry = Registry(str(tmp_path / "registry"))
    first = registry.register(layout.export_dir)
    registry.set_alias("production", first, "bootstrap")
    unseen = unseen_project.sample_unseen()
    settings = make_settings(
        layout, tmp_path / "serve", registry_uri=registry.uri, reload_seconds=0.2
    )
    with TestClient(create_app(settings)) as client:
        served = [client.post("/v1/prediction", json=film(r, params)).json() for r in unseen]
        assert all(s["model_version"] == first for s in served)
        lake = Lake(settings.lake_uri)
        client.app.state.boxoffice.spool.seal()  # ship now rather than at shutdown
        deadline = time.monotonic() + 10
        while (
            lake.read_predictions().num_rows < unseen_project.UNSEEN and time.monotonic() < deadline
        ):
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
            version = client.post("/v1/prediction", json=film(unseen[0], params)).json()[
                "model_version"
            ]
            if version == expected:
                break
            time.sleep(0.1)
        assert version == expected
