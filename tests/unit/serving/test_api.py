from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.serving.config import Settings
from boxoffice.serving.main import create_app
from tests.support.serving import FILM, make_settings

pytestmark = pytest.mark.slow


def test_predict_one_returns_value_interval_version_and_id(client: TestClient) -> None:
    response = client.post("/v1/prediction", json=FILM)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["interval"]["low"] < body["worldwide_gross"] < body["interval"]["high"]
    assert body["interval"]["level"] == 0.8
    assert body["model_version"].startswith("sha-")
    assert len(body["request_id"]) == 32


def test_predict_with_only_required_fields(client: TestClient) -> None:
    response = client.post(
        "/v1/prediction", json={"production_budget": 1e6, "release_date": "2001-01-01"}
    )
    assert response.status_code == 200, response.text


def test_batch_keeps_request_order(client: TestClient) -> None:
    films = [FILM | {"production_budget": b} for b in (1e5, 1e7, 3e8)]
    response = client.post("/v1/predictions", json={"films": films})
    assert response.status_code == 200, response.text
    values = [p["worldwide_gross"] for p in response.json()["predictions"]]
    singles = [client.post("/v1/prediction", json=f).json()["worldwide_gross"] for f in films]
    assert values == pytest.approx(singles)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (FILM | {"production_budget": -5}, "production_budget"),
        (FILM | {"budget_typo": 3}, "budget_typo"),
        ({k: v for k, v in FILM.items() if k != "release_date"}, "release_date"),
        (FILM | {"release_date": "next week"}, "release_date"),
        (FILM | {"production_budget": "lots"}, "production_budget"),
        (FILM | {"production_budget": 1e300}, "production_budget"),
        (FILM | {"director": "x" * 10_000}, "director"),
    ],
    ids=[
        "negative",
        "unknown-field",
        "missing-required",
        "bad-date",
        "wrong-type",
        "absurd",
        "long",
    ],
)
def test_bad_film_is_422_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/v1/prediction", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert any(d["field"] == field for d in error["details"]), error
    assert "x" * 300 not in response.text


def test_invalid_json_and_wrong_content_type(client: TestClient) -> None:
    bad = client.post(
        "/v1/prediction", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_json"
    text = client.post(
        "/v1/prediction", content=b"budget=1", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 415


def test_nan_is_refused(client: TestClient) -> None:
    raw = b'{"production_budget": NaN, "release_date": "2001-01-01"}'
    response = client.post(
        "/v1/prediction", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_batch_limits(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path, batch_limit=3)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/predictions", json={"films": []}).status_code == 422
        over = client.post("/v1/predictions", json={"films": [FILM] * 4})
        assert over.status_code == 422 and over.json()["error"]["details"][0]["field"] == "films"


def test_body_over_limit_is_413(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path, max_body_bytes=2048)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/predictions", json={"films": [FILM] * 100})
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "payload_too_large"


def test_model_info_and_health(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["version"].startswith("sha-")
    assert "mae_log" in info["metrics"] and info["training_period"]["last_film"]
    assert info["trained_at"] is None  # deprecated: no clock time in a reproducible artifact
    assert info["signature"]["inputs"][0]["field"] == "production_budget"
    assert client.get("/health/live").json()["status"] == "alive"
    assert client.get("/health/ready").json()["model_version"] == info["version"]


def test_metrics_count_requests_and_predictions(client: TestClient) -> None:
    client.post("/v1/prediction", json=FILM)
    text = client.get("/metrics").text
    assert 'boxoffice_requests_total{route="/v1/prediction",status="200"}' in text
    assert "boxoffice_predictions_total" in text
    assert "boxoffice_spool_pending_records" in text
    assert "boxoffice_predicted_gross_dollars_bucket" in text


def test_api_key_enforced_when_set(trained: Layout, tmp_path: Path) -> None:
    settings = make_settings(trained, tmp_path, api_key="s3cret-key")
    with TestClient(create_app(settings)) as client:
        missing = client.post("/v1/prediction", json=FILM)
        assert missing.status_code == 401 and "s3cret-key" not in missing.text
        ok = client.post("/v1/prediction", json=FILM, headers={"X-API-Key": "s3cret-key"})
        assert ok.status_code == 200


def test_not_ready_without_model_then_ready_when_it_appears(
    trained: Layout, tmp_path: Path
) -> None:
    import shutil
    import time

    model_dir = tmp_path / "later"
    model_dir.mkdir()
    shutil.copy(trained.export_dir / "signature.json", model_dir)
    settings = make_settings(trained, tmp_path, model_uri=str(model_dir), model_retry_seconds=0.1)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/health/ready").status_code == 503
        assert client.post("/v1/prediction", json=FILM).status_code == 503
        shutil.copytree(trained.export_dir, model_dir, dirs_exist_ok=True)
        deadline = time.monotonic() + 5
        while client.get("/health/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health/ready").status_code == 200


def test_starts_without_any_model_from_the_params_schema(trained: Layout, tmp_path: Path) -> None:
    from tests.conftest import ROOT

    settings = make_settings(
        trained, tmp_path, model_uri=str(tmp_path / "absent"), params_path=str(ROOT / "params.yaml")
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/health/ready").status_code == 503
        refused = client.post("/v1/prediction", json=FILM)
        assert refused.status_code == 503
        assert refused.json()["error"]["type"] == "model_unavailable"


def test_no_signature_and_no_params_is_a_clear_start_error(trained: Layout, tmp_path: Path) -> None:
    from boxoffice.serving.startup import SchemaUnavailableError

    settings = make_settings(
        trained, tmp_path, model_uri=str(tmp_path / "absent"), params_path=str(tmp_path / "no.yaml")
    )
    with pytest.raises(SchemaUnavailableError, match="no request schema"):
        create_app(settings)


def test_every_prediction_reaches_the_lake_after_shutdown(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        ids = [client.post("/v1/prediction", json=FILM).json()["request_id"] for _ in range(7)]
        batch = client.post("/v1/predictions", json={"films": [FILM] * 5}).json()
        ids += [p["request_id"] for p in batch["predictions"]]
    table = Lake(settings.lake_uri).read_predictions()
    assert sorted(table.column("request_id").to_pylist()) == sorted(ids)
    files = Lake(settings.lake_uri).prediction_files()
    assert all("/predictions/date=" in f and "/test-" in f for f in files)


def test_docs_and_openapi_describe_every_field(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    film = spec["components"]["schemas"]["Film"]
    assert film["additionalProperties"] is False
    for name, prop in film["properties"].items():
        assert prop.get("description"), name
    assert set(film["required"]) == {"production_budget", "release_date"}
    assert client.get("/docs").status_code == 200


def test_production_refuses_missing_admin_token() -> None:
    with pytest.raises(ValueError, match="ADMIN_TOKEN"):
        Settings(environment="production")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"production_budget": 0, "release_date": "2001-01-01"}', "production_budget"),
        (
            b'{"production_budget": 1e6, "release_date": "2001-01-01", "imdb_rating": 11}',
            "imdb_rating",
        ),
        (b'{"production_budget": Infinity, "release_date": "2001-01-01"}', "production_budget"),
        (b'{"production_budget": true, "release_date": "2001-01-01"}', "production_budget"),
    ],
    ids=["zero-budget", "rating-out-of-scale", "infinity", "bool-as-number"],
)
def test_out_of_range_values_are_422(client: TestClient, raw: bytes, field: str) -> None:
    response = client.post(
        "/v1/prediction", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert any(d["field"] == field for d in response.json()["error"]["details"])


def test_one_megabyte_string_is_422_and_not_echoed(client: TestClient) -> None:
    big = "x" * 1_000_000
    response = client.post("/v1/prediction", json=FILM | {"director": big})
    assert response.status_code == 422
    assert len(response.content) < 10_000


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.options(
        "/v1/prediction",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_secrets_never_appear_in_logs_or_bodies(
    trained: Layout, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(trained, tmp_path, api_key="key-SECRET-1", admin_token="adm-SECRET-2")
    with TestClient(create_app(settings)) as client, caplog.at_level("DEBUG"):
        bodies = [
            client.post("/v1/prediction", json=FILM, headers={"X-API-Key": "wrong"}).text,
            client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"}).text,
        ]
    assert "SECRET" not in caplog.text + "".join(bodies) + repr(settings)


def test_registry_unreachable_at_start_then_appears(trained: Layout, tmp_path: Path) -> None:
    import time

    from boxoffice.lifecycle.registry import Registry
    from tests.conftest import ROOT

    registry_uri = str(tmp_path / "registry-not-yet")
    settings = make_settings(
        trained,
        tmp_path,
        registry_uri=registry_uri,
        model_retry_seconds=0.1,
        params_path=str(ROOT / "params.yaml"),
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/health/ready").status_code == 503
        registry = Registry(registry_uri)
        registry.set_alias("production", registry.register(trained.export_dir), "appears")
        deadline = time.monotonic() + 5
        while client.get("/health/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/health/ready").status_code == 200


def test_a_films_row_is_what_model_dump_gives(trained: Layout, retrospective: Layout) -> None:
    """The service reads a film's fields without pydantic's serialiser: the same dict for
    every field kind the signatures have (a nested model would make them differ)."""
    from boxoffice.core.request_model import film_model
    from boxoffice.core.signature import Signature
    from boxoffice.serving.service import film_row

    for layout in (trained, retrospective):
        signature = Signature.model_validate_json(
            (layout.export_dir / "signature.json").read_bytes()
        )
        model = film_model(signature)
        example = {i.field: i.example for i in signature.inputs if i.example is not None}
        required = {i.field: example[i.field] for i in signature.inputs if i.required}
        for film in (model.model_validate(example), model.model_validate(required)):
            assert film_row(film) == film.model_dump(exclude_none=True)


def test_a_missing_timestamp_is_told_as_null(trained: Layout) -> None:
    # pandas' NaT is a datetime: its .time() raised, told as pydantic's "Value error, ...".
    import pandas as pd
    from pydantic import ValidationError

    from boxoffice.core.request_model import film_model
    from boxoffice.core.signature import Signature

    signature = Signature.model_validate_json((trained.export_dir / "signature.json").read_bytes())
    with pytest.raises(ValidationError) as refused:
        film_model(signature).model_validate({**FILM, "release_date": pd.NaT})
    (error,) = refused.value.errors()
    assert error["type"] == "date_type" and error["msg"].endswith("not null")
