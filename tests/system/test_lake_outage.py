"""The lake's S3 server stops during load and comes back: no API error, nothing lost."""

from __future__ import annotations

import re
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest
from moto.server import ThreadedMotoServer

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from tests.conftest import ROOT, moto_env
from tests.support.server import Server, free_port
from tests.support.serving import FILM

pytestmark = pytest.mark.slow


def test_lake_outage_during_load_loses_nothing(
    trained: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    storage = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    storage.start()
    env = moto_env(port)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import fsspec

    fsspec.filesystem("s3", skip_instance_cache=True).makedirs("outage-lake", exist_ok=True)
    lake_uri = "s3://outage-lake/lake"
    server = Server(
        ROOT / "docker" / "initializer.sh",
        env
        | {
            "BOXOFFICE_MODEL_URI": str(trained.export_dir),
            "BOXOFFICE_LAKE_URI": lake_uri,
            "BOXOFFICE_SPOOL_DIR": str(tmp_path / "spool"),
            "BOXOFFICE_SHIP_EVERY_SECONDS": "0.5",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        },
        Path(sys.executable).parent,
    )
    server.start()
    ids: list[str] = []
    statuses: list[int] = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:

            def burst(n: int) -> None:
                for _ in range(n):
                    response = client.post("/v1/prediction", json=FILM)
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        ids.append(response.json()["request_id"])
                    time.sleep(0.005)

            burst(100)
            storage.stop()  # the lake is gone
            burst(150)
            time.sleep(1.5)  # segments seal and fail to ship meanwhile
            metrics = httpx.get(f"{server.url}/metrics").text
            waiting = re.search(r"^boxoffice_spool_pending_records (\S+)$", metrics, re.M)
            assert waiting and float(waiting.group(1)) > 0, "the backlog is not visible"
            storage = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            storage.start()  # moto keeps its buckets in-process: the lake is back as it was
            burst(50)
    finally:
        server.stop(signal.SIGTERM)  # drain: what is still spooled ships now
    assert statuses == [200] * 300
    got = Lake(lake_uri, skip_instance_cache=True).read_predictions().column("request_id")
    storage.stop()
    assert sorted(got.to_pylist()) == sorted(ids)
