"""bench/serving.py sends what the served model accepts, to the model `make run` serves."""

from __future__ import annotations

import importlib.util
import json
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


def _apps() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_apps", ROOT / "bench/apps.py")
    assert spec and spec.loader
    apps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(apps)
    return apps


def test_comparison_apps_answer_the_bench_film(
    trained: Layout, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from boxoffice.serving import service
    from boxoffice.serving.routes import predictions

    course, as_mlflow, columns = _bench().course_recipe(
        tmp_path, trained.train, trained.root / "params.yaml"
    )
    assert columns == ["production_budget", "running_time_min"]  # the numeric fields only
    # `make test` installs the `peers` extra: the recipe is saved for MLflow's scoring server.
    assert as_mlflow is not None and (as_mlflow / "MLmodel").exists()
    monkeypatch.setenv("BOXOFFICE_MODEL_URI", str(trained.export_dir))
    monkeypatch.setenv("BOXOFFICE_LAKE_URI", str(tmp_path / "lake"))
    monkeypatch.setenv("BOXOFFICE_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("SEED_MODEL", str(course))
    apps = _apps()
    film = _bench().FILM
    with TestClient(apps.app_from_env()) as real:
        answer = real.post("/v1/prediction", json=film)
    assert answer.status_code == 200, answer.text
    shapes = {}
    for make in (apps.bare_app, apps.nolog_app, apps.echo_app, apps.seed_app):
        # Each floor swaps a part of the real app out (in its own server process in the
        # bench); here the part comes back after each app.
        with monkeypatch.context() as swapped:
            swapped.setattr(predictions, "router", predictions.router)
            swapped.setattr(predictions, "predict_films", predictions.predict_films)
            swapped.setattr(service, "_log", service._log)
            with TestClient(make()) as client:
                response = client.post("/v1/prediction", json=film)
                assert response.status_code == 200, response.text
                assert response.json()["profile"] == "pre_release"
                shapes[make.__name__] = response
                if make is not apps.seed_app:
                    bad = client.post("/v1/prediction", json=film | {"mpaa_rating": 5})
                    # Only the bare floor skips the route's validation.
                    assert bad.status_code == (200 if make is apps.bare_app else 422), bad.text
    for name in ("bare_app", "echo_app", "nolog_app"):  # answered as the route answers
        response = shapes[name]
        assert set(response.json()) == set(answer.json()), name
        assert response.headers["content-type"] == answer.headers["content-type"], name
        assert response.headers.keys() == answer.headers.keys(), name
    assert shapes["nolog_app"].json()["worldwide_gross"] == answer.json()["worldwide_gross"]


@pytest.mark.slow
def test_serving_bench_rounds_are_interleaved_with_their_spread(
    trained: Layout, tmp_path: Path
) -> None:
    """Two rounds of short runs, no warm-up, MLflow's scoring server included: the variants
    the headline ratios and the batch figure need (each floor's app answers in the test above)."""
    bench = _bench()
    out = tmp_path / "results"
    chosen = ["prediction", "echo", "batch", "mlflow"]
    argv = ["--model", str(trained.export_dir), "--rounds", "2", "--seconds", "1"]
    argv += ["--warmup", "0", "--connections", "4", "--out", str(out)]
    argv += ["--variants", ",".join(chosen)]
    argv += ["--features", str(trained.features_dir), "--params", str(trained.root / "params.yaml")]
    assert bench.main(argv) == 0
    result = json.loads((out / "serving.json").read_text())
    order = result["config"]["order"]
    assert order == chosen
    for name in order:
        runs = result[name]["rounds"]
        assert len(runs) == 2, name
        values = sorted(r["rps"] for r in runs)
        # The headline is the median of the rounds, shown with its spread.
        assert result[name]["rps"] == round(sum(values) / 2, 3), name
        assert result[name]["rps_min"] == values[0] and result[name]["rps_max"] == values[1]
    ratio = result["ratios"]["prediction/echo rps"]
    per_round = sorted(
        a["rps"] / b["rps"]
        for a, b in zip(result["prediction"]["rounds"], result["echo"]["rounds"], strict=True)
    )
    assert ratio["min"] == round(per_round[0], 3) and ratio["max"] == round(per_round[1], 3)
    assert result["startup_s"] <= result["cold_start_s"]  # the same starts, ready first
    assert "rows_per_s" in result["batch"] and result["config"]["connections"] == 4
    table = (out / "serving.md").read_text()
    assert "| echo |" in table and "| mlflow |" in table and "(min-max)" in table
