"""Start the real server (docker/initializer.sh: gunicorn + uvicorn workers) on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(
        self,
        script: Path,
        env: dict[str, str],
        bin_dir: Path,
        workers: int = 1,
        command: list[str] | None = None,
        ready_path: str = "/health/ready",
    ) -> None:
        self.port = free_port()
        # Another server (a benchmark's peer) is given as a command; "{port}" is filled in.
        self.command = [a.format(port=self.port) for a in command or ["sh", str(script)]]
        self.ready_path = ready_path
        self.url = f"http://127.0.0.1:{self.port}"
        path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        self.env = (
            os.environ
            | env
            | {
                "PATH": path,
                "PORT": str(self.port),
                "BIND_HOST": "127.0.0.1",
                "WEB_CONCURRENCY": str(workers),
                "GRACEFUL_TIMEOUT": "20",
            }
        )
        self.script = script
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)

    def start(self, timeout_s: float = 60, probe: Callable[[], bool] | None = None) -> float:
        """Start and wait until ready (or until ``probe`` says so); seconds from spawn."""
        probe = probe or self.ready
        start = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file, not a pipe: an unread pipe fills and blocks the server
            start_new_session=True,
        )
        while time.monotonic() - start < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(self.output())
            try:
                if probe():
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("server did not become ready")

    def ready(self) -> bool:
        return httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-5000:]

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def local_server(export_dir: Path, tmp: Path, workers: int = 1, **env: str) -> Server:
    """docker/initializer.sh serving ``export_dir`` with lake, spool and metrics under ``tmp``."""
    root = Path(__file__).resolve().parents[2]
    base = {
        "BOXOFFICE_MODEL_URI": str(export_dir),
        "BOXOFFICE_LAKE_URI": str(tmp / "lake"),
        "BOXOFFICE_SPOOL_DIR": str(tmp / "spool"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prom"),
    }
    bin_dir = Path(sys.executable).parent
    return Server(root / "docker" / "initializer.sh", base | env, bin_dir, workers)
