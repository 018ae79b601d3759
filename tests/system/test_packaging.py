"""The serving package as shipped: Dockerfile lint, and the wheel in a fresh venv serving."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from boxoffice.core.layout import Layout
from tests.conftest import ROOT
from tests.support.server import Server
from tests.support.serving import FILM

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path = ROOT, timeout: int = 900) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_dockerfile_passes_hadolint() -> None:
    _run([str(BIN / "hadolint"), "docker/Dockerfile"])


def test_dockerfile_runs_non_root_with_healthcheck() -> None:
    text = (ROOT / "docker" / "Dockerfile").read_text()
    assert "\nUSER 10001:10001\n" in text and "HEALTHCHECK" in text
    assert "'.[serve]'" in text and "train" not in text.split("FROM python:3.11-slim\n")[-1]


def test_the_environment_make_builds_holds_bytecode() -> None:
    """`make` compiles what it installs: where PYTHONDONTWRITEBYTECODE is set (as on CI's
    machine) Python caches nothing it imports, and each DVC stage, CLI call and server worker
    compiled scikit-learn, pandas and DVC from source again (a small `dvc repro` 55 s, not 30)."""
    import importlib.util

    import dvc
    import pandas
    import sklearn

    for module in (sklearn, pandas, dvc):
        assert module.__file__
        cached = Path(importlib.util.cache_from_source(module.__file__))
        assert cached.exists(), f"{module.__name__} is not byte-compiled: {cached}"


@pytest.fixture(scope="module")
def serving_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the built wheel and its [serve] extra."""
    root = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"), "."])
    (wheel,) = (root / "dist").glob("boxoffice-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-compile",  # as the Makefile installs: half the time
            "--constraint",
            str(ROOT / "constraints.txt"),
            f"{wheel}[serve]",
        ]
    )
    return venv


def test_serving_install_carries_no_training_tools(serving_venv: Path) -> None:
    for module in ("sklearn", "pandas", "dvc", "skl2onnx"):
        found = subprocess.run(
            [str(serving_venv / "bin" / "python"), "-c", f"import {module}"], capture_output=True
        )
        assert found.returncode != 0, f"{module} is installed in the serving environment"


def test_initializer_from_installed_wheel_serves_a_prediction(
    serving_venv: Path, trained: Layout, tmp_path: Path
) -> None:
    site = _run(
        [
            str(serving_venv / "bin" / "python"),
            "-c",
            "import boxoffice, pathlib; print(pathlib.Path(boxoffice.__file__).parent)",
        ]
    )
    script = Path(site.strip()) / "initializer.sh"
    assert script.read_text() == (ROOT / "docker" / "initializer.sh").read_text()
    env = {
        "BOXOFFICE_MODEL_URI": str(trained.export_dir),
        "BOXOFFICE_LAKE_URI": str(tmp_path / "lake"),
        "BOXOFFICE_SPOOL_DIR": str(tmp_path / "spool"),
    }
    server = Server(script, env, serving_venv / "bin", workers=1)
    server.start()
    try:
        response = httpx.post(f"{server.url}/v1/prediction", json=FILM, timeout=10)
    finally:
        server.stop()
    assert response.status_code == 200, response.text
    assert response.json()["worldwide_gross"] > 0


def test_building_the_package_prints_no_deprecation(tmp_path: Path) -> None:
    """The `project.license` table made setuptools print a boxed deprecation warning, with a
    date after which builds stop, three times per install."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path), "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = done.stdout + done.stderr
    assert "is deprecated" not in said and "BuildBackendWarning" not in said, said[-3000:]
