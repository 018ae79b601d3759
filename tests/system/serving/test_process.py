"""The real server under gunicorn: graceful drain on SIGTERM, spool replay after SIGKILL."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from tests.conftest import ROOT
from tests.support.server import Server, local_server
from tests.support.serving import FILM

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
        # initializer.sh's memory settings reach the workers (docs/performance.md).
        environ = Path(f"/proc/{victim}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environ
        assert b"ARROW_DEFAULT_MEMORY_POOL=system" in environ
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
        # The example client against the real server: a single call, a batch of two and a
        # film in production with its comps.
        client = _example_client()
        assert client.main([server.url]) == 0
    finally:
        server.stop(signal.SIGTERM)
    lake_ids = Lake(str(tmp_path / "lake")).read_predictions().column("request_id").to_pylist()
    assert len(lake_ids) == len(ids) + 4
    assert set(ids) <= set(lake_ids)
    assert not list((tmp_path / "spool").rglob("seg-*"))


def _example_client() -> ModuleType:
    path = ROOT / "examples" / "endpoint_usage" / "client.py"
    spec = importlib.util.spec_from_file_location("endpoint_client", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_serve_outside_the_venv_and_sigterm_leaves_no_orphans(
    trained: Layout, tmp_path: Path
) -> None:
    server = _server(trained, tmp_path, workers=2)
    bin_dir = Path(sys.executable).parent
    # Not activated: the venv's bin is not on PATH, yet its gunicorn must be found.
    server.env["PATH"] = "/usr/bin:/bin"
    server.command = [str(bin_dir / "boxoffice"), "serve", "--port", str(server.port)]
    server.start()
    assert server.process is not None
    workers = server.worker_pids()
    assert len(workers) == 2  # the PID we started is gunicorn's master itself (exec)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    assert _port_is_free(server.port)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_private_metrics_folder_is_removed_at_exit(trained: Layout, tmp_path: Path) -> None:
    server = _server(trained, tmp_path)
    del server.env["PROMETHEUS_MULTIPROC_DIR"]
    temp = tmp_path / "tmp"
    temp.mkdir()
    server.env["TMPDIR"] = str(temp)
    server.start()
    try:
        (folder,) = list(temp.glob("boxoffice-metrics.*"))  # gunicorn keeps its own files too
        assert folder.name[-8:].isalnum()
        assert folder.stat().st_mode & 0o777 == 0o700
        assert "boxoffice_requests_total" in httpx.get(f"{server.url}/metrics").text
    finally:
        server.stop(signal.SIGTERM)
    assert list(temp.glob("boxoffice-metrics.*")) == []


def _raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes; (closed in time, what it sent)."""
    sock.settimeout(seconds)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return False, data
    except ConnectionResetError:
        pass
    return True, data


def test_slow_clients_are_cut_and_connections_are_limited(trained: Layout, tmp_path: Path) -> None:
    server = _server(trained, tmp_path)
    server.env |= {
        "BOXOFFICE_HEADER_TIMEOUT_S": "1",
        "BOXOFFICE_BODY_TIMEOUT_S": "1.5",
        "BOXOFFICE_MAX_CONNECTIONS": "4",
    }
    server.start()
    sockets: list[socket.socket] = []
    try:
        idle = _raw(server.port)  # opens and sends nothing
        slow_headers = _raw(server.port)
        slow_headers.sendall(b"POST /v1/prediction HTTP/1.1\r\nHost: x\r\n")
        slow_body = _raw(server.port)
        slow_body.sendall(
            b"POST /v1/prediction HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 100\r\n\r\n{"
        )
        sockets += [idle, slow_headers, slow_body]
        start = time.monotonic()
        assert _closed_within(idle, 5)[0]
        assert _closed_within(slow_headers, 5)[0]
        closed, answer = _closed_within(slow_body, 5)
        assert closed and answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in answer
        assert time.monotonic() - start < 5
        # Four held connections fill the worker: a fifth request is refused, not queued.
        sockets += [_raw(server.port) for _ in range(4)]
        with httpx.Client(base_url=server.url, timeout=5) as client:
            # Polled: the held connections reach the worker when it accepts them.
            assert _status_becomes(client, 503)
        for sock in sockets:
            sock.close()
        with httpx.Client(base_url=server.url, timeout=5) as client:
            assert _status_becomes(client, 200)
    finally:
        for sock in sockets:
            sock.close()
        server.stop(signal.SIGTERM)


def _status_becomes(client: httpx.Client, status: int, limit_s: float = 15.0) -> bool:
    """Whether a prediction gets ``status`` before ``limit_s`` (an upper bound)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if client.post("/v1/prediction", json=FILM).status_code == status:
            return True
        time.sleep(0.05)
    return False


def test_example_client_with_the_server_down_prints_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.server import free_port

    code = _example_client().main([f"http://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
