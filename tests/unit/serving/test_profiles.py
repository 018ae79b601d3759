"""Profiles at the API: the pre-release model by default, the retrospective one on its own
route, fields that only exist after release refused with the route that takes them, and
release dates outside what the model can speak for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.serving.main import create_app
from tests.support.serving import FILM, make_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def both(trained: Layout, retrospective: Layout, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(trained, tmp_path))) as test_client:
        yield test_client


def test_default_route_serves_the_pre_release_profile(client: TestClient) -> None:
    body = client.post("/v1/prediction", json=FILM).json()
    assert body["profile"] == "pre_release"
    assert body["warnings"] == []
    info = client.get("/v1/model").json()
    assert info["profile"] == "pre_release"
    assert info["backtest"]["test_years"] == [2017, 2018]
    assert {"first_film", "last_film"} <= set(info["training_period"])
    assert info["accepted_release_dates"] == {"first": "1928-01-01", "last": "2028-12-31"}
    assert "imdb_votes" not in {i["field"] for i in info["signature"]["inputs"]}


def test_post_release_field_is_refused_naming_the_route_that_takes_it(
    client: TestClient,
) -> None:
    response = client.post("/v1/prediction", json=FILM | {"imdb_votes": 261439})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "imdb_votes"
    assert "POST /v1/retrospective/prediction" in detail["problem"]


@pytest.mark.parametrize("date", ["1900-01-01", "2040-06-01"])
def test_release_date_outside_the_models_range_is_refused_with_the_range(
    client: TestClient, date: str
) -> None:
    response = client.post("/v1/prediction", json=FILM | {"release_date": date})
    assert response.status_code == 422
    problem = response.json()["error"]["details"][0]["problem"]
    assert "1928-01-01" in problem and "2028-12-31" in problem


def test_release_after_the_data_carries_a_horizon_warning_with_its_coverage(
    client: TestClient,
) -> None:
    body = client.post("/v1/prediction", json=FILM | {"release_date": "2027-07-01"}).json()
    (note,) = body["warnings"]
    assert (note["field"], note["code"]) == ("release_date", "horizon")
    assert "9 years after the last film" in note["message"]
    assert "at horizons of 7-10 years the 80% range covered" in note["message"]


def test_retrospective_route_takes_post_release_fields_and_logs_its_profile(
    both: TestClient,
) -> None:
    film = FILM | {"imdb_votes": 261439, "imdb_rating": 8.0, "rotten_tomatoes_rating": 83}
    response = both.post("/v1/retrospective/prediction", json=film)
    assert response.status_code == 200, response.text
    assert response.json()["profile"] == "retrospective"
    batch = both.post("/v1/retrospective/predictions", json={"films": [film, film]})
    assert [p["profile"] for p in batch.json()["predictions"]] == ["retrospective"] * 2
    assert both.post("/v1/prediction", json=FILM).json()["profile"] == "pre_release"


def test_the_lake_record_names_the_profile(
    trained: Layout, retrospective: Layout, tmp_path: Path
) -> None:
    film = FILM | {"imdb_votes": 1000}
    with TestClient(create_app(make_settings(trained, tmp_path))) as test_client:
        assert test_client.post("/v1/prediction", json=FILM).status_code == 200
        assert test_client.post("/v1/retrospective/prediction", json=film).status_code == 200
    table = Lake(str(tmp_path / "lake")).read_predictions().to_pydict()
    assert sorted(zip(table["route"], table["profile"], strict=True)) == [
        ("prediction", "pre_release"),
        ("retrospective/prediction", "retrospective"),
    ]
