from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.feedback import accuracy, check_labels, read_labels
from boxoffice.lake import Lake
from boxoffice.pipeline.layout import Layout
from boxoffice.serving.main import create_app
from tests.serving.conftest import FILM, make_settings


def test_check_labels_refuses_unkeyed_and_non_positive_rows() -> None:
    batch = check_labels(
        [
            {"request_id": "a", "worldwide_gross": 10.0},
            {"title": "T", "release_date": "2001-02-03T00:00:00", "worldwide_gross": 5},
            {"worldwide_gross": 3.0},
            {"request_id": "b", "worldwide_gross": 0},
            {"request_id": "c", "worldwide_gross": float("nan")},
        ]
    )
    assert [r["request_id"] for r in batch.accepted] == ["a", None]
    assert batch.accepted[1]["release_date"] == "2001-02-03"
    assert [r["row"] for r in batch.rejected] == [3, 4, 5]


@pytest.mark.slow
def test_labels_join_logged_predictions_per_model_version(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        served = [client.post("/v1/prediction", json=FILM).json() for _ in range(4)]
    labels = tmp_path / "labels.jsonl"
    lines = [
        {"request_id": p["request_id"], "worldwide_gross": p["worldwide_gross"] * 2}
        for p in served[:3]
    ]
    lines.append({"request_id": "unknown", "worldwide_gross": -1})
    labels.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    runner = CliRunner()
    added = runner.invoke(app, ["labels", "add", str(labels), "--lake", settings.lake_uri])
    assert added.exit_code == 0, added.output
    assert "3 labels stored" in added.output and "1 refused" in added.output
    # The same labels again: stored as a new object, counted once per request.
    runner.invoke(app, ["labels", "add", str(labels), "--lake", settings.lake_uri])
    assert read_labels(Lake(settings.lake_uri)).num_rows == 6
    (row,) = accuracy(Lake(settings.lake_uri))
    assert row["model_version"] == served[0]["model_version"] and row["n"] == 3
    assert row["mae_log"] == pytest.approx(math.log(2), rel=1e-6)
    shown = runner.invoke(app, ["monitor", "accuracy", "--lake", settings.lake_uri])
    assert shown.exit_code == 0 and served[0]["model_version"] in shown.output


def test_accuracy_without_labels_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["monitor", "accuracy", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0 and "no labelled predictions yet" in result.output
