"""API conventions a walkthrough found broken: HEAD on the page, a batch limit that names
its setting, whole-dollar grosses, a first model load that is no reload."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.serving.main import create_app
from tests.support.serving import FILM, make_settings


def _loaded_reloads(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('boxoffice_model_reloads_total{result="loaded"}'):
            return float(line.split()[-1])
    return 0.0


def test_head_on_the_page_answers_like_get(client: TestClient) -> None:
    assert client.head("/").status_code == 200  # was 405


def test_a_batch_over_the_limit_names_the_setting(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path, batch_limit=2)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/predictions", json={"films": [FILM] * 3})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "films"
    assert "at most 2 films" in detail["problem"] and "BOXOFFICE_BATCH_LIMIT" in detail["problem"]


def test_grosses_come_back_in_whole_dollars(client: TestClient) -> None:
    body = client.post("/v1/prediction", json=FILM).json()
    values = [body["worldwide_gross"], body["interval"]["low"], body["interval"]["high"]]
    assert all(isinstance(v, int) for v in values)  # was 440134841.679578


def test_the_first_model_load_is_not_counted_as_a_reload(trained: Layout, tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(trained, tmp_path / "a"))) as first:
        before = _loaded_reloads(first)
    with TestClient(create_app(make_settings(trained, tmp_path / "b"))) as second:
        assert second.get("/health/ready").status_code == 200  # a model is loaded
        assert _loaded_reloads(second) == before
