"""Shared fixtures: the project's params, a small training profile, a trained tiny project."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from boxoffice.params import Params, load_params
from boxoffice.pipeline import evaluate, export, featurize, ingest, train, validate
from boxoffice.pipeline.layout import Layout

ROOT = Path(__file__).resolve().parents[1]


def small_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """The project's params with a search small enough for the test suite."""
    raw = yaml.safe_load(yaml.safe_dump(raw))
    raw["train"]["cv_folds"] = 3
    raw["train"]["search"] = {
        "time_budget_s": 30,
        "max_candidates": 2,
        "space": {"max_iter": [60], "learning_rate": [0.1], "min_samples_leaf": [10, 20]},
    }
    raw["evaluate"] = {"permutation_repeats": 1}
    return raw


def write_project(dest: Path, raw_params: dict[str, Any]) -> Path:
    """Lay out a project folder with the sample data and the given params; return params path."""
    (dest / "data" / "sample").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "sample" / "movies.json", dest / "data" / "sample")
    path = dest / "params.yaml"
    path.write_text(yaml.safe_dump(raw_params, sort_keys=False))
    return path


def run_all(params: Params, layout: Layout) -> None:
    ingest.ingest(params.data, layout)
    validate.run(params, layout)
    featurize.run(params, layout)
    train.run(params, layout)
    evaluate.run(params, layout)
    export.run(params, layout)


@pytest.fixture(scope="session")
def project_params() -> Params:
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def project_raw() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((ROOT / "params.yaml").read_text())
    return raw


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, project_raw: dict[str, Any]) -> Layout:
    """The whole pipeline, run once on the sample with the small profile."""
    root = tmp_path_factory.mktemp("trained")
    params_path = write_project(root, small_profile(project_raw))
    params = load_params(params_path)
    # The data source in params is relative to the project root.
    params = params.model_copy(
        update={"data": params.data.model_copy(update={"source": str(root / params.data.source)})}
    )
    layout = Layout(root)
    run_all(params, layout)
    return layout
