"""bench/serving.py sends what the served model accepts, to the model `make run` serves."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from boxoffice.core.layout import Layout
from boxoffice.core.request_model import film_model
from boxoffice.core.signature import Signature
from tests.conftest import ROOT


def _bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("serving_bench", ROOT / "bench/serving.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_film_is_a_valid_request_for_the_default_model(trained: Layout) -> None:
    signature = Signature.model_validate_json((trained.export_dir / "signature.json").read_bytes())
    film_model(signature).model_validate(_bench().FILM)  # raises on a post-release field


def test_bench_defaults_to_the_model_make_run_serves() -> None:
    from boxoffice.serving.config import Settings

    assert ROOT / Settings().model_uri == _bench().DEFAULT_MODEL


def test_comparison_apps_answer_the_bench_film(
    trained: Layout, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    course, as_mlflow, columns = _bench().course_recipe(
        tmp_path, trained.train, trained.root / "params.yaml"
    )
    assert columns == ["production_budget", "running_time_min"]  # the numeric fields only
    # Saved for MLflow's scoring server when the `peers` extra is installed.
    assert as_mlflow is None or (as_mlflow / "MLmodel").exists()
    monkeypatch.setenv("BOXOFFICE_MODEL_URI", str(trained.export_dir))
    monkeypatch.setenv("SEED_MODEL", str(course))
    spec = importlib.util.spec_from_file_location("bench_apps", ROOT / "bench/apps.py")
    assert spec and spec.loader
    apps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(apps)
    film = _bench().FILM
    for make in (apps.echo_app, apps.seed_app):
        response = TestClient(make()).post("/v1/prediction", json=film)
        assert response.status_code == 200, response.text
        assert response.json()["profile"] == "pre_release"
