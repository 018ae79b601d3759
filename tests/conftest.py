"""Shared fixtures: the project's params, a small training profile, a trained tiny project."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
import yaml

from boxoffice.core.layout import Layout
from boxoffice.core.params import Params, load_params
from boxoffice.pipeline import evaluate, export, featurize, ingest, train, validate
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def small_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """The project's params with a search small enough for the test suite."""
    raw = yaml.safe_load(yaml.safe_dump(raw))
    raw["train"]["cv_folds"] = 1
    # Both track records, whatever params.yaml ships: the tests exercise each one's table.
    raw["history"]["fields"] = ["director", "distributor"]
    raw["train"]["ensemble_size"] = 2
    raw["train"]["mask_copies"] = 1
    raw["train"]["calibration_years"] = 2
    raw["train"]["search"] = {
        "max_candidates": 2,
        "space": {"max_iter": [60], "learning_rate": [0.1], "min_samples_leaf": [10, 20]},
    }
    raw["train"]["horizon_fits"] = 1  # one older fit: the horizon bands, at a suite's cost
    raw["train"]["width_trees"] = 30  # the width models' path, at a suite's cost
    # One older fit reaches every horizon up to dollars.max_years_ahead.
    raw["evaluate"] = {"permutation_repeats": 1, "backtest_years": 2, "horizon_fits": 1}
    return raw


def tiny_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """Params for tests that run the whole pipeline as a subprocess (`dvc repro`, `make ct`,
    retrain) to check its plumbing, not its model: one candidate, one member, one backtest
    year and one calibration year (about 30 s a run on 2 cores, against 50 s)."""
    raw = small_profile(raw)
    raw["train"]["ensemble_size"] = 1
    raw["train"]["calibration_years"] = 1
    raw["train"]["width_trees"] = 20
    raw["train"]["search"] = {
        "max_candidates": 1,
        "space": {"max_iter": [40], "learning_rate": [0.15], "min_samples_leaf": [20]},
    }
    raw["evaluate"]["backtest_years"] = 1
    return raw


def write_project(dest: Path, raw_params: dict[str, Any]) -> Path:
    """Lay out a project folder with the sample data and the given params; return params path."""
    for folder, name in (("sample", "movies.json"), ("movie_profit", "movie_profit.csv")):
        (dest / "data" / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / folder / name, dest / "data" / folder)
    shutil.copytree(ROOT / "data" / "reference", dest / "data" / "reference", dirs_exist_ok=True)
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


def moto_env(port: int) -> dict[str, str]:
    """What points boto-based clients (s3fs) at a local moto server, as AWS_* env does."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


# Real-protocol local servers for the cloud lake and registry, reached through the clients'
# standard environment variables (as in production): moto's S3 server and a GCS emulator.
@pytest.fixture(scope="session")
def s3_lake() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in moto_env(port).items():
            patch.setenv(key, value)
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.makedirs("boxoffice-lake", exist_ok=True)  # moto keeps buckets across servers
        yield "s3://boxoffice-lake/prod"
        type(fs).clear_instance_cache()  # cached clients would keep this server's port
    server.stop()


@pytest.fixture(scope="session")
def gcs_lake() -> Iterator[str]:
    from gcp_storage_emulator.server import create_server

    from tests.support import gcs_preconditions

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="boxoffice-lake")
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        gcs_preconditions.install(patch)  # GCS's 412 on ifGenerationMatch=0 (the registry's CAS)
        patch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        yield "gs://boxoffice-lake/prod"
        type(fsspec.filesystem("gs")).clear_instance_cache()
    server.stop()


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
    params = load_params(params_path)  # its relative source paths are read under root
    layout = Layout(root)
    run_all(params, layout)
    return layout


@pytest.fixture(scope="session")
def retrospective(trained: Layout) -> Layout:
    """The retrospective profile trained beside ``trained`` (same data, all features)."""
    params = load_params(trained.root / "params.yaml")
    layout = Layout(trained.root, "retrospective")
    train.run(params, layout)
    evaluate.run(params, layout)
    export.run(params, layout)
    return layout
