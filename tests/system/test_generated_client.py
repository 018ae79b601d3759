"""A client generated from the served OpenAPI with openapi-python-client (the common
generator) calls every operation. It used to drop both retrospective operations ("Attempted
to generate duplicate models with name Film") and name schemas after module paths."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.serving.main import create_app
from tests.conftest import ROOT
from tests.support.serving import FILM, make_settings

pytestmark = pytest.mark.slow
GENERATOR = ROOT / ".venv-tools" / "bin" / "openapi-python-client"  # make test installs it
TOKEN = "admin-token-for-the-generated-client"


@pytest.fixture
def served(trained: Layout, retrospective: Layout, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(trained, tmp_path, admin_token=TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def generated(served: TestClient, tmp_path: Path) -> ModuleType:
    assert GENERATOR.exists(), f"{GENERATOR} is missing: `make test` installs it (.venv-tools)"
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(served.get("/openapi.json").json()))
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(spec), "--meta", "none"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "Warning" not in said and "duplicate" not in said, said  # every operation made
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("boxoffice_client")
    finally:
        sys.path.remove(str(tmp_path))


def _op(package: ModuleType, tag: str, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")


def test_the_generated_client_calls_every_operation(
    generated: ModuleType, served: TestClient
) -> None:
    models = importlib.import_module(f"{generated.__name__}.models")
    client = generated.Client(base_url="http://testserver")
    client.set_httpx_client(served)
    retro_film = FILM | {"imdb_rating": 7.5}
    calls = {
        ("predictions", "predict_one_v1_prediction_post"): {
            "body": models.Film.from_dict(FILM),
            "comps": 3,
        },
        ("predictions", "predict_many_v1_predictions_post"): {
            "body": models.FilmBatch.from_dict({"films": [FILM, FILM]})
        },
        ("retrospective_predictions", "predict_one_v1_retrospective_prediction_post"): {
            "body": models.RetrospectiveFilm.from_dict(retro_film)
        },
        ("retrospective_predictions", "predict_many_v1_retrospective_predictions_post"): {
            "body": models.RetrospectiveFilmBatch.from_dict({"films": [retro_film]})
        },
        ("model", "model_info_v1_model_get"): {},
        ("operations", "live_health_live_get"): {},
        ("operations", "ready_health_ready_get"): {},
        ("operations", "prometheus_metrics_get"): {},
        ("monitoring", "latest_v1_reports_latest_get"): {},
        ("admin", "reload_v1_admin_reload_post"): {"authorization": f"Bearer {TOKEN}"},
    }
    operations = {
        (p.parent.name, p.stem)
        for p in (Path(generated.__file__).parent / "api").glob("*/*.py")
        if p.stem != "__init__"
    }
    assert operations == set(calls)  # every operation of the OpenAPI, no more, no less
    for (tag, name), kwargs in calls.items():
        response = _op(generated, tag, name).sync_detailed(client=client, **kwargs)
        assert response.status_code == 200, (name, response.content[:300])
    one = _op(generated, "predictions", "predict_one_v1_prediction_post")
    parsed = one.sync(client=client, body=models.Film.from_dict(FILM), comps=2)
    assert parsed.worldwide_gross > 0 and len(parsed.comps) == 2


def test_schema_names_carry_no_module_paths(served: TestClient) -> None:
    schemas = served.get("/openapi.json").json()["components"]["schemas"]
    assert not [name for name in schemas if "__" in name]
    titles = [s.get("title") for s in schemas.values() if s.get("title")]
    assert len(titles) == len(set(titles))  # two schemas titled "Film" broke generators
