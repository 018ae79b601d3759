"""The input's edge through the API: unknown values and out-of-range numbers are warned
about, naming the field, the value and what is known; impossible numbers get a 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.serving import FILM

pytestmark = pytest.mark.slow


def _warnings(client: TestClient, **fields: object) -> list[dict[str, str]]:
    response = client.post("/v1/prediction", json=FILM | fields)
    assert response.status_code == 200, response.text
    notes: list[dict[str, str]] = response.json()["warnings"]
    return notes


@pytest.mark.parametrize("rating", ["PG13", "pg-13", "Pg 13"])
def test_variant_of_a_known_value_is_read_as_it(client: TestClient, rating: str) -> None:
    (note,) = _warnings(client, mpaa_rating=rating)
    assert (note["field"], note["code"]) == ("mpaa_rating", "read_as")
    assert "'PG-13'" in note["message"]
    exact = client.post("/v1/prediction", json=FILM).json()["worldwide_gross"]
    assert client.post("/v1/prediction", json=FILM | {"mpaa_rating": rating}).json()[
        "worldwide_gross"
    ] == pytest.approx(exact)


def test_unknown_genre_names_the_value_and_the_closest_known(client: TestClient) -> None:
    (note,) = _warnings(client, major_genre="Actoin")
    assert (note["field"], note["code"]) == ("major_genre", "unknown_value")
    assert "'Actoin'" in note["message"] and "'Action'" in note["message"]
    assert "treated as unknown" in note["message"]


def test_unknown_studio_says_its_track_record_counts_as_none(client: TestClient) -> None:
    (note,) = _warnings(client, distributor="Netflix")
    assert note["code"] == "unknown_value" and "'Netflix'" in note["message"]
    assert "track record" in note["message"]


def test_tiny_budget_is_forecast_with_a_range_warning(client: TestClient) -> None:
    (note,) = _warnings(client, production_budget=200)
    assert (note["field"], note["code"]) == ("production_budget", "out_of_range")
    assert "$200" in note["message"] and "learned from" in note["message"]


def test_budget_no_film_could_have_is_refused_naming_the_range(client: TestClient) -> None:
    response = client.post("/v1/prediction", json=FILM | {"production_budget": 5e12})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "production_budget"
    assert "accepts 1 to" in detail["problem"]


def test_batch_rows_carry_their_own_warnings(client: TestClient) -> None:
    films = [FILM, FILM | {"major_genre": "Sci-Fi"}]
    body = client.post("/v1/predictions", json={"films": films}).json()
    assert body["predictions"][0]["warnings"] == []
    assert body["predictions"][1]["warnings"][0]["field"] == "major_genre"


def test_comps_come_with_the_forecast_when_asked(client: TestClient) -> None:
    plain = client.post("/v1/prediction", json=FILM).json()
    assert plain.get("comps") is None  # only when asked: the hot path stays lean
    body = client.post("/v1/prediction?comps=5", json=FILM).json()
    assert len(body["comps"]) == 5
    first = body["comps"][0]
    assert {"title", "release_date", "production_budget", "worldwide_gross"} <= set(first)
    assert first["worldwide_gross_constant"] > 0
    distances = [c["distance"] for c in body["comps"]]
    assert distances == sorted(distances)
    assert body["worldwide_gross"] == pytest.approx(plain["worldwide_gross"])


def test_batch_takes_the_comps_option_per_film(client: TestClient) -> None:
    films = [FILM, FILM | {"production_budget": 2_000_000, "major_genre": "Horror"}]
    body = client.post("/v1/predictions?comps=3", json={"films": films}).json()
    big, small = (p["comps"] for p in body["predictions"])
    assert len(big) == len(small) == 3
    assert {c["title"] for c in big} != {c["title"] for c in small}


def test_comps_option_out_of_range_is_a_422_naming_it(client: TestClient) -> None:
    response = client.post("/v1/prediction?comps=500", json=FILM)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"].endswith("comps")


@pytest.mark.parametrize(
    "query", ["comps=NaN&comps=%2B0.0", "comps=2&comps=3", "comps=%2B0.0", "comps=2.0"]
)
def test_comps_given_twice_or_not_as_digits_is_a_422_naming_it(
    client: TestClient, query: str
) -> None:
    for route, body in (("prediction", FILM), ("predictions", {"films": [FILM]})):
        response = client.post(f"/v1/{route}?{query}", json=body)
        assert response.status_code == 422, (route, query, response.text)
        error = response.json()["error"]
        assert error["details"][0]["field"].endswith("comps"), error
        assert "once, as a whole number from 0 to 20" in error["message"]
