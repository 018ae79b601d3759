"""A profile added to params.yaml alone is trained, exported, registered, gated and served on
its declared route; `dvc.yaml` gets its stages from the same list (DVC templating)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from boxoffice.core.layout import Layout
from boxoffice.core.params import load_params
from boxoffice.lifecycle.gate import promote
from boxoffice.lifecycle.lineage import version_extras
from boxoffice.lifecycle.registry import Registry
from boxoffice.pipeline import export, train
from boxoffice.serving.main import create_app
from tests.conftest import ROOT
from tests.support.serving import FILM, make_settings

pytestmark = pytest.mark.slow

STUDIO = {"available": ["pre_release"], "route": "/v1/studio/prediction"}


def _with_studio(trained: Layout, tmp_path: Path) -> Path:
    raw: dict[str, Any] = yaml.safe_load((trained.root / "params.yaml").read_text())
    raw["profiles"]["studio"] = STUDIO
    raw["gate"]["first_model_max_mae_log"] = 5.0  # the suite's tiny model: gate on coverage
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_a_third_profile_in_params_alone_is_trained_gated_and_served(
    trained: Layout, tmp_path: Path
) -> None:
    params_path = _with_studio(trained, tmp_path)
    params = load_params(params_path)
    layout = Layout(trained.root, "studio")
    train.run(params, layout)
    export.run(params, layout)
    registry = Registry(str(tmp_path / "registry"))
    version = registry.register(
        layout.export_dir, version_extras(trained.root, params_path, "studio")
    )
    promotion = promote(registry, version, params, layout.holdout, "studio")
    assert promotion.decision is not None and promotion.promoted, promotion.decision
    assert registry.resolve("production-studio") == version

    settings = make_settings(
        trained, tmp_path, params_path=str(params_path), models_dir=str(trained.root / "models")
    )
    with TestClient(create_app(settings)) as client:
        info = client.get("/v1/model").json()
        assert info["profiles"]["studio"] == "/v1/studio/prediction"
        body = client.post("/v1/studio/prediction", json=FILM)
        assert body.status_code == 200, body.text
        assert body.json()["profile"] == "studio"
        batch = client.post("/v1/studio/predictions", json={"films": [FILM, FILM]})
        assert batch.status_code == 200 and len(batch.json()["predictions"]) == 2
        assert client.get("/v1/model", params={"profile": "studio"}).json()["profile"] == "studio"


def test_dvc_yaml_takes_its_profile_stages_from_params(tmp_path: Path) -> None:
    raw: dict[str, Any] = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["profiles"]["studio"] = STUDIO
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    def dvc(*args: str) -> str:
        done = subprocess.run(
            ["dvc", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    dvc("init", "--no-scm", "-q")
    stages = dvc("stage", "list", "--name-only").split()
    for stage in ("train", "evaluate", "export"):
        assert {f"{stage}@pre_release", f"{stage}@retrospective", f"{stage}@studio"} <= set(stages)
