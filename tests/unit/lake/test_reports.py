"""Monitoring reports published to the lake: the latest one wins, history stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.lake.reports import latest_report, publish_report
from boxoffice.serving.main import create_app
from boxoffice.serving.routes import reports
from tests.support.serving import make_settings


def test_latest_report_is_the_last_published(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    assert latest_report(lake, "drift") is None
    publish_report(lake, "drift", {"verdict": "no retrain needed"})
    publish_report(lake, "drift", {"verdict": "retrain recommended"})
    publish_report(lake, "accuracy", {"versions": []})
    latest = latest_report(lake, "drift")
    assert latest is not None and latest["verdict"] == "retrain recommended"
    assert latest["kind"] == "drift" and latest["created_at"]
    assert len(list((tmp_path / "lake" / "reports" / "drift").glob("*.json"))) == 2


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drift"):
        publish_report(Lake(str(tmp_path)), "mood", {})


def test_api_reports_nothing_yet_then_what_the_lake_holds(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/reports/latest").json() == {
            "drift": None,
            "accuracy": None,
            "error": None,
        }
    publish_report(Lake(settings.lake_uri), "accuracy", {"versions": [{"n": 3}]})
    with TestClient(create_app(settings)) as client:  # a new app: no cached answer
        body = client.get("/v1/reports/latest").json()
    assert body["accuracy"]["versions"] == [{"n": 3}]


def test_api_says_when_the_lake_cannot_be_read(
    trained: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(lake: Lake, kind: str) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(reports, "latest_report", down)
    with TestClient(create_app(make_settings(trained, tmp_path))) as client:
        response = client.get("/v1/reports/latest")
    assert response.status_code == 200
    assert "lake unreachable: connection refused" in response.json()["error"]
