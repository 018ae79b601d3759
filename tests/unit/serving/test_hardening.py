"""Defects found by a walkthrough and an adversarial probe (issue 9), one test each."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from boxoffice.core.layout import Layout
from boxoffice.serving.config import Settings
from boxoffice.serving.main import create_app
from boxoffice.serving.spool import Spool
from tests.support.serving import FILM, make_settings

KEY = "k3y-0123456789abcdefghij"


def _metric(client: TestClient, name: str) -> float:
    lines = [x for x in client.get("/metrics").text.splitlines() if x.startswith(name + " ")]
    return float(lines[0].split()[-1]) if lines else 0.0


def test_deleted_spool_folder_heals_and_readiness_reports_logging(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.post("/v1/prediction", json=FILM).status_code == 200
    shutil.rmtree(settings.spool_dir)
    assert client.post("/v1/prediction", json=FILM).status_code == 200  # was a 500
    assert Path(settings.spool_dir).is_dir()
    assert client.get("/health/ready").json()["logging"] is True

    def disk_full(self: Spool, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    dropped = _metric(client, "boxoffice_spool_dropped_records_total")
    monkeypatch.setattr(Spool, "_write_locked", disk_full)
    assert client.post("/v1/prediction", json=FILM).status_code == 200  # answered anyway
    ready = client.get("/health/ready").json()
    assert ready["logging"] is False and "No space" in ready["logging_error"]
    assert ready["logging_state"] == "degraded"
    assert _metric(client, "boxoffice_logging_degraded") == 1
    assert _metric(client, "boxoffice_spool_dropped_records_total") == dropped + 1
    monkeypatch.undo()
    assert client.post("/v1/prediction", json=FILM).status_code == 200
    recovered = client.get("/health/ready").json()
    assert recovered["logging"] is True and recovered["logging_state"] == "ok"
    assert _metric(client, "boxoffice_logging_degraded") == 0


def test_live_shows_the_model_version_like_ready(client: TestClient) -> None:
    live, ready = client.get("/health/live").json(), client.get("/health/ready").json()
    assert live["model_version"] is not None and live["model_version"] == ready["model_version"]


def test_settings_errors_never_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOXOFFICE_ENVIRONMENT", "production")
    monkeypatch.setenv("BOXOFFICE_API_KEY", KEY)
    monkeypatch.delenv("BOXOFFICE_ADMIN_TOKEN", raising=False)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "BOXOFFICE_ADMIN_TOKEN" in str(caught.value)
    assert KEY[:6] not in str(caught.value) and KEY[:6] not in repr(caught.value)
    monkeypatch.setenv("BOXOFFICE_ADMIN_TOKEN", KEY)
    monkeypatch.setenv("BOXOFFICE_BATCH_LIMIT", "zero")  # another field fails: still no echo
    with pytest.raises(ValidationError) as again:
        Settings()
    assert KEY[:6] not in str(again.value)


@pytest.fixture
def keyed(trained: Layout, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(trained, tmp_path, api_key=KEY, admin_token="adm1n")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/prediction", {"production_budget": "lots"}),
        ("/v1/predictions", {"films": "none"}),
    ],
)
def test_authentication_comes_before_validation(
    keyed: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = keyed.post(path, json=body)
    assert response.status_code == 401
    assert "production_budget" not in response.text and "films" not in response.text
    assert keyed.post(path, json=body, headers={"X-API-Key": KEY}).status_code == 422


def test_docs_model_info_and_metrics_are_protected_as_configured(
    keyed: TestClient, trained: Layout, tmp_path: Path
) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/v1/model"):
        assert keyed.get(path).status_code == 401, path
        assert keyed.get(path, headers={"X-API-Key": KEY}).status_code == 200, path
    assert keyed.get("/health/ready").status_code == 200  # probes stay open
    assert keyed.get("/metrics").status_code == 200  # development default: open
    production = make_settings(
        trained,
        tmp_path / "prod",
        api_key=KEY,
        admin_token="adm1n",
        environment="production",
        docs_access="open",
    )
    with TestClient(create_app(production)) as client:
        assert client.get("/metrics").status_code == 401  # production default: admin token
        ok = client.get("/metrics", headers={"Authorization": "Bearer adm1n"})
        assert ok.status_code == 200 and "boxoffice_requests_total" in ok.text
        assert client.get("/openapi.json").status_code == 200  # docs published on purpose


def test_oversize_chunked_body_is_413_like_with_content_length(
    trained: Layout, tmp_path: Path
) -> None:
    settings = make_settings(trained, tmp_path, max_body_bytes=2048)
    body = json.dumps({"films": [FILM] * 100}).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 512):
            yield body[i : i + 512]

    headers = {"content-type": "application/json"}
    with TestClient(create_app(settings)) as client:
        chunked = client.post("/v1/predictions", content=chunks(), headers=headers)
        sized = client.post("/v1/predictions", content=body, headers=headers)
        assert chunked.status_code == sized.status_code == 413
        assert chunked.json()["error"]["type"] == "payload_too_large"
        small = json.dumps({"films": [FILM]}).encode()
        fine = client.post(
            "/v1/predictions", content=iter([small[:50], small[50:]]), headers=headers
        )
        assert fine.status_code == 200


def test_openapi_lists_known_values_sorted(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    film = next(v for k, v in schema.items() if "mpaa_rating" in v.get("properties", {}))
    described = film["properties"]["mpaa_rating"]["description"]
    listed = described.split("Known values: ")[1].split(";")[0].split(", ")
    assert listed == sorted(listed) and len(listed) >= 3
    assert (
        "known values (GET /v1/model lists them)" in film["properties"]["director"]["description"]
    )


def test_docs_pages_load_their_assets_from_the_server_itself(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, page
        for source in sources:
            assert source.startswith("/"), f"{page} loads {source} from another origin"
            assert client.get(source).status_code == 200, source
        assert "fonts.googleapis" not in html and "cdn." not in html


def test_model_info_by_profile(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert info["profiles"][info["profile"]] == "/v1/prediction"
    assert client.get("/v1/model", params={"profile": info["profile"]}).json() == info
    unknown = client.get("/v1/model", params={"profile": "nope"})
    assert unknown.status_code == 404 and "not served" in unknown.json()["error"]["message"]
    documented = client.get("/openapi.json").json()["paths"]["/v1/model"]["get"]["responses"]
    assert "404" in documented


@pytest.mark.parametrize("value", [0, -9.18e-97, 1260000000])
def test_a_number_is_not_a_release_date(client: TestClient, value: float) -> None:
    # Found by schemathesis: pydantic read numbers as Unix timestamps (1970-01-01).
    response = client.post("/v1/prediction", json={**FILM, "release_date": value})
    assert response.status_code == 422
    assert any("release_date" in d["field"] for d in response.json()["error"]["details"])


@pytest.mark.parametrize(
    "value", ["1276819200", "2009-12-18T00:00:00", "2009-12-18 00:00:00", "2009-12-18Z", "20091218"]
)
def test_a_release_date_is_only_what_the_openapi_promises(client: TestClient, value: str) -> None:
    # pydantic alone read a string of digits as a Unix timestamp and took a date and time.
    response = client.post("/v1/prediction", json={**FILM, "release_date": value})
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "release_date" and "YYYY-MM-DD" in detail["problem"]
    assert "Value error" not in detail["problem"]  # pydantic's prefix, not our words


def test_a_null_release_date_is_told_as_null(client: TestClient) -> None:
    response = client.post("/v1/prediction", json={**FILM, "release_date": None})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "release_date: a date is text as YYYY-MM-DD, not null"
    )


@pytest.mark.parametrize("path", ["/v1/prediction", "/v1/predictions"])
@pytest.mark.parametrize(
    "body", [b'{"production_budget": 1e7,', b"\xff\xfe{}", b"{'a': 1}", b'{"director": "\xff\xfe"}']
)
def test_a_body_that_is_no_json_is_a_400_on_the_body(
    client: TestClient, path: str, body: bytes
) -> None:
    # Was a 422 whose "field" was the character offset ("60"); the OpenAPI documents a 400.
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_json" and error["message"].startswith("body: invalid JSON")
    assert [d["field"] for d in error["details"]] == ["body"]


def test_a_request_refused_before_routing_is_counted_on_its_route(keyed: TestClient) -> None:
    # 401/413/415 were all counted as route="unmatched": a key-less flood hid its target.
    def count(route: str, status: int) -> float:
        found = re.search(
            rf'boxoffice_requests_total{{route="{re.escape(route)}",status="{status}"}} (\S+)',
            keyed.get("/metrics").text,
        )
        return float(found.group(1)) if found else 0.0

    before = count("/v1/prediction", 401), count("unmatched", 401)
    assert keyed.post("/v1/prediction", json=FILM).status_code == 401
    assert keyed.post("/v1/nowhere", json=FILM).status_code == 401
    assert (count("/v1/prediction", 401), count("unmatched", 401)) == (before[0] + 1, before[1] + 1)


def test_a_415_is_counted_on_its_route(client: TestClient) -> None:
    plain = {"content-type": "text/plain"}
    refused = re.compile(r'boxoffice_requests_total\{route="/v1/predictions",status="415"\} (\S+)')
    found = refused.search(client.get("/metrics").text)
    was = float(found.group(1)) if found else 0.0
    assert client.post("/v1/predictions", content=b"x", headers=plain).status_code == 415
    found = refused.search(client.get("/metrics").text)
    assert found is not None and float(found.group(1)) == was + 1


def test_the_openapi_documents_the_admin_tokens_refusals(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/v1/admin/reload", "post"), ("/metrics", "get")):
        documented = paths[path][method]["responses"]
        assert {"401", "403"} <= set(documented), (path, documented)


def _said(response: Any) -> str:
    assert response.status_code in (401, 403), response.text
    return str(response.json()["error"]["message"])


def _described(app: TestClient, path: str, method: str, status: str, headers: Any = None) -> str:
    paths = app.get("/openapi.json", headers=headers).json()["paths"]
    return str(paths[path][method]["responses"][status]["description"]).rstrip(".").lower()


def test_the_openapi_describes_each_refusal_as_the_api_says_it(keyed: TestClient) -> None:
    """One home for the words: a refused caller reads what the OpenAPI promised."""
    key = {"X-API-Key": KEY}
    for path in ("/v1/prediction", "/v1/admin/reload"):
        message = _said(keyed.post(path, json=FILM))
        assert _described(keyed, path, "post", "401", key) == message.lower(), path


def test_the_openapi_describes_disabled_admin_routes_as_the_api_says_it(
    client: TestClient,
) -> None:
    message = _said(client.post("/v1/admin/reload"))
    assert _described(client, "/v1/admin/reload", "post", "403") == message.lower()
