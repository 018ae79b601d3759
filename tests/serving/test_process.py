"""The real server under gunicorn: graceful drain on SIGTERM, spool replay after SIGKILL."""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from boxoffice.lake import Lake
from boxoffice.pipeline.layout import Layout
from tests.conftest import ROOT
from tests.serving.conftest import FILM
from tests.serving.server import Server, local_server

pytestmark = pytest.mark.slow


def _server(trained: Layout, tmp_path: Path, workers: int = 1) -> Server:
    # Nothing ships on time: only the drain and the replay count.
    return local_server(
        trained.export_dir,
        tmp_path,
        workers,
        BOXOFFICE_SHIP_EVERY_SECONDS="60",
        BOXOFFICE_SHIP_EVERY_RECORDS="1000",
    )


def _predict(url: str, n: int) -> list[str]:
    with httpx.Client(base_url=url, timeout=10) as client:
        responses = [client.post("/v1/prediction", json=FILM) for _ in range(n)]
    return [r.json()["request_id"] for r in responses if r.status_code == 200]


def test_sigkill_of_a_worker_loses_no_logged_prediction(trained: Layout, tmp_path: Path) -> None:
    server = _server(trained, tmp_path)
    server.start()
    try:
        ids = _predict(server.url, 40)
        (victim,) = server.worker_pids()
        os.kill(victim, signal.SIGKILL)  # no drain: the spool is all that is left
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # gunicorn starts a new worker, which adopts the spool
            pids = server.worker_pids()
            if pids and pids != [victim]:
                try:
                    if httpx.get(f"{server.url}/health/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        ids += _predict(server.url, 10)
    finally:
        server.stop(signal.SIGTERM)
    lake_ids = Lake(str(tmp_path / "lake")).read_predictions().column("request_id").to_pylist()
    assert len(ids) == 50
    assert sorted(lake_ids) == sorted(ids)  # every 200 is there, exactly once


def test_sigterm_drains_two_workers_into_the_lake(trained: Layout, tmp_path: Path) -> None:
    server = _server(trained, tmp_path, workers=2)
    server.start()
    try:
        ids = _predict(server.url, 30)
        metrics = httpx.get(f"{server.url}/metrics").text
        assert "boxoffice_predictions_total" in metrics
        # The example client against the real server: one single call and one batch of two.
        client = _example_client()
        assert client.main([server.url]) == 0
    finally:
        server.stop(signal.SIGTERM)
    lake_ids = Lake(str(tmp_path / "lake")).read_predictions().column("request_id").to_pylist()
    assert len(lake_ids) == len(ids) + 3
    assert set(ids) <= set(lake_ids)
    assert not list((tmp_path / "spool").rglob("seg-*"))


def _example_client() -> ModuleType:
    path = ROOT / "examples" / "endpoint_usage" / "client.py"
    spec = importlib.util.spec_from_file_location("endpoint_client", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
