"""Hot reload from the registry's production alias: swap, refuse, keep serving."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from boxoffice.core.artifact import version_of
from boxoffice.core.digest import sha256_bytes
from boxoffice.core.layout import Layout
from boxoffice.lifecycle.registry import Registry
from boxoffice.serving.main import create_app
from boxoffice.serving.model_state import RegistrySource, load_model
from boxoffice.serving.spool import live_owners
from tests.support.server import local_server
from tests.support.serving import FILM, make_settings
from tests.support.variants import resign, variant

pytestmark = pytest.mark.slow

POLL = 0.2
# An upper bound, not the expected time: the swap is awaited as an event (the served version
# changes), two polls on an idle machine; a loaded 2-core CI box may take many times that.
SWAP_LIMIT_S = 30.0


def _wait_for_version(client: TestClient, version: str, limit_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if client.post("/v1/prediction", json=FILM).json()["model_version"] == version:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{version} not served within {limit_s}s")


@pytest.fixture
def registry(trained: Layout, tmp_path: Path) -> tuple[Registry, str, str]:
    reg = Registry(str(tmp_path / "registry"))
    first = reg.register(trained.export_dir)
    second = reg.register(variant(trained.export_dir, tmp_path / "b", shift=1.0))
    reg.set_alias("production", first, "test")
    return reg, first, second


def test_promotion_reaches_the_replica_by_polling(
    registry: tuple[Registry, str, str], trained: Layout, tmp_path: Path
) -> None:
    reg, first, second = registry
    settings = make_settings(trained, tmp_path, registry_uri=reg.uri, reload_seconds=POLL)
    with TestClient(create_app(settings)) as client:
        before = client.post("/v1/prediction", json=FILM).json()
        assert before["model_version"] == first
        reg.set_alias("production", second, "test")
        _wait_for_version(client, second, limit_s=SWAP_LIMIT_S)
        after = client.post("/v1/prediction", json=FILM).json()
        assert after["worldwide_gross"] == pytest.approx(
            before["worldwide_gross"] * 2.718281828, rel=1e-3
        )
        assert client.get("/v1/model").json()["version"] == second


def test_incompatible_or_tampered_model_is_refused_and_old_keeps_serving(
    registry: tuple[Registry, str, str], trained: Layout, tmp_path: Path
) -> None:
    reg, first, _ = registry
    needs_more = reg.register(variant(trained.export_dir, tmp_path / "c", 0.5, "star_power"))
    tampered = reg.register(variant(trained.export_dir, tmp_path / "d", shift=2.0))
    stored = Path(reg.uri) / "versions" / tampered / "model.onnx"
    stored.write_bytes(stored.read_bytes()[:-10])
    settings = make_settings(
        trained, tmp_path, registry_uri=reg.uri, reload_seconds=POLL, admin_token="adm1n"
    )
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": "Bearer adm1n"}
        for bad in (needs_more, tampered):
            reg.set_alias("production", bad, "test")
            result = client.post("/v1/admin/reload", headers=auth).json()
            assert (result["changed"], result["model_version"]) == (False, first)
            time.sleep(2 * POLL)
            assert client.post("/v1/prediction", json=FILM).json()["model_version"] == first
        metrics = client.get("/metrics").text
        assert 'boxoffice_model_reloads_total{result="refused"}' in metrics


def test_admin_reload_needs_the_token(
    registry: tuple[Registry, str, str], trained: Layout, tmp_path: Path
) -> None:
    reg, _, _ = registry
    settings = make_settings(trained, tmp_path, registry_uri=reg.uri, admin_token="adm1n")
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/admin/reload").status_code == 401
        wrong = client.post("/v1/admin/reload", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "adm1n" not in wrong.text


def test_folder_model_rewritten_in_place_is_picked_up(trained: Layout, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(trained.export_dir, folder)
    settings = make_settings(trained, tmp_path, model_uri=str(folder), reload_seconds=POLL)
    with TestClient(create_app(settings)) as client:
        first = client.post("/v1/prediction", json=FILM).json()["model_version"]
        fresh = variant(trained.export_dir, tmp_path / "new", shift=0.25)
        for name in ("model.onnx", "signature.json", "metadata.json", "checksums.json"):
            shutil.copy(fresh / name, folder / name)  # checksums.json copied last
        second = json.loads((fresh / "metadata.json").read_text())["version"]
        assert second != first
        _wait_for_version(client, second, limit_s=SWAP_LIMIT_S)


def _reload(client: TestClient) -> dict[str, object]:
    """The answering worker's part of an admin reload."""
    response = client.post("/v1/admin/reload", headers={"Authorization": "Bearer adm1n"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["not_reached"] == []
    return {"changed": body["changed"], "model_version": body["model_version"]}


def test_garbage_graph_with_matching_checksums_is_refused_and_the_watcher_survives(
    registry: tuple[Registry, str, str], trained: Layout, tmp_path: Path
) -> None:
    reg, first, second = registry
    garbage = reg.register(variant(trained.export_dir, tmp_path / "g", shift=3.0))
    stored = Path(reg.uri) / "versions" / garbage
    (stored / "model.onnx").write_bytes(b"not a protobuf at all" * 50)
    checksums = json.loads((stored / "checksums.json").read_text())
    checksums["model.onnx"] = sha256_bytes((stored / "model.onnx").read_bytes())
    (stored / "checksums.json").write_text(json.dumps(checksums))  # "verified", yet broken
    settings = make_settings(
        trained, tmp_path, registry_uri=reg.uri, reload_seconds=POLL, admin_token="adm1n"
    )
    with TestClient(create_app(settings)) as client:
        reg.set_alias("production", garbage, "test")
        assert _reload(client) == {"changed": False, "model_version": first}
        time.sleep(3 * POLL)  # the watcher meets it too, and must live on
        assert client.post("/v1/prediction", json=FILM).json()["model_version"] == first
        failures = [
            line
            for line in client.get("/metrics").text.splitlines()
            if line.startswith("boxoffice_model_load_failures_total")
        ]
        assert failures and float(failures[0].split()[-1]) >= 1
        reg.set_alias("production", second, "test")  # hot reload still works
        _wait_for_version(client, second, limit_s=SWAP_LIMIT_S)


def test_served_version_is_the_verified_content_hash_not_metadata(
    trained: Layout, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(trained.export_dir, folder)
    settings = make_settings(
        trained, tmp_path, model_uri=str(folder), reload_seconds=60, admin_token="adm1n"
    )
    with TestClient(create_app(settings)) as client:
        first = client.post("/v1/prediction", json=FILM).json()["model_version"]
        fresh = variant(trained.export_dir, tmp_path / "new", shift=0.5)
        shutil.copy(fresh / "model.onnx", folder / "model.onnx")
        checksums = json.loads((folder / "checksums.json").read_text())
        checksums["model.onnx"] = sha256_bytes((folder / "model.onnx").read_bytes())
        (folder / "checksums.json").write_text(json.dumps(checksums))  # metadata.json unchanged
        expected = version_of(checksums)
        assert expected != first
        assert _reload(client) == {"changed": True, "model_version": expected}
        assert _reload(client) == {"changed": False, "model_version": expected}
        assert client.get("/v1/model").json()["version"] == expected


def _offsets_doubled(signature: dict[str, Any]) -> None:
    interval = signature["interval"]
    for cell in [interval, *interval["buckets"]]:  # every offset twice as far out
        cell["low"], cell["high"] = 2 * cell["low"], 2 * cell["high"]


def test_a_new_signature_on_the_same_graph_is_a_new_version_and_is_served(
    trained: Layout, tmp_path: Path
) -> None:
    """Retrained intervals alone (the same trees, new offsets) change the answers: the folder
    must read as a new version, or the server keeps the old ranges under the old name."""
    folder = tmp_path / "export"
    shutil.copytree(trained.export_dir, folder)
    settings = make_settings(
        trained, tmp_path, model_uri=str(folder), reload_seconds=60, admin_token="adm1n"
    )
    with TestClient(create_app(settings)) as client:
        before = client.post("/v1/prediction", json=FILM).json()
        expected = version_of(resign(folder, _offsets_doubled))  # model.onnx unchanged
        assert expected != before["model_version"]
        assert _reload(client) == {"changed": True, "model_version": expected}
        after = client.post("/v1/prediction", json=FILM).json()
        assert after["model_version"] == expected
        assert after["worldwide_gross"] == before["worldwide_gross"]  # the same trees
        assert after["interval"]["high"] > before["interval"]["high"]


@pytest.mark.parametrize(
    ("header", "status"),
    [("Bearer adm1n", 200), ("bearer adm1n", 200), ("BEARER  adm1n ", 200), ("adm1n", 401)],
)
def test_admin_header_scheme_is_parsed_case_insensitively(
    trained: Layout, tmp_path: Path, header: str, status: int
) -> None:
    settings = make_settings(trained, tmp_path, admin_token="adm1n")
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/admin/reload", headers={"Authorization": header}).status_code == (
            status
        )


def test_admin_routes_without_a_configured_token_say_they_are_disabled(
    trained: Layout, tmp_path: Path
) -> None:
    with TestClient(create_app(make_settings(trained, tmp_path))) as client:
        response = client.post("/v1/admin/reload", headers={"Authorization": "Bearer x"})
        assert response.status_code == 403
        assert "disabled" in response.json()["error"]["message"]


def test_admin_reload_reaches_every_worker_before_it_returns(
    registry: tuple[Registry, str, str], trained: Layout, tmp_path: Path
) -> None:
    reg, first, second = registry
    server = local_server(
        trained.export_dir,
        tmp_path,
        workers=3,
        BOXOFFICE_REGISTRY_URI=reg.uri,
        BOXOFFICE_RELOAD_SECONDS="600",  # only the admin call can make them reload in time
        BOXOFFICE_ADMIN_TOKEN="adm1n",
        BOXOFFICE_MODEL_CACHE_DIR=str(tmp_path / "cache"),
    )
    server.start()
    try:
        deadline = time.monotonic() + 60
        while len(live_owners(tmp_path / "spool")) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # ready means one worker is; wait for all three
        with httpx.Client(base_url=server.url, timeout=20) as client:
            assert {_served(client) for _ in range(12)} == {first}
            for target in (second, first):  # a promotion, then a rollback
                reg.set_alias("production", target, "test")
                answer = client.post(
                    "/v1/admin/reload", headers={"Authorization": "Bearer adm1n"}
                ).json()
                assert answer["not_reached"] == [], (answer, server.output())
                assert len(answer["workers"]) == 3
                assert {w["model_version"] for w in answer["workers"].values()} == {target}
                assert {_served(client) for _ in range(12)} == {target}
    finally:
        server.stop()


def _served(client: httpx.Client) -> str:
    # A new connection each time: gunicorn spreads them over the workers.
    response = client.post("/v1/prediction", json=FILM, headers={"Connection": "close"})
    assert response.status_code == 200, response.text
    version: str = response.json()["model_version"]
    return version


def test_workers_caching_the_same_version_at_once_both_load_it(
    registry: tuple[Registry, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, first, _ = registry
    cache = tmp_path / "cache"
    cache.mkdir()
    ours, theirs = RegistrySource(reg, cache), RegistrySource(reg, cache)
    real_download = Registry.download

    def racing(self: Registry, version: str, dest: Path) -> Path:
        monkeypatch.setattr(Registry, "download", real_download)
        theirs.directory(version)  # the other worker finishes first, while we download
        return real_download(self, version, dest)

    monkeypatch.setattr(Registry, "download", racing)
    loaded = load_model(ours.directory(first))  # was: OSError (directory not empty) -> 503
    assert loaded.version == first
    assert [p.name for p in cache.iterdir()] == [first]  # our copy cleaned up
