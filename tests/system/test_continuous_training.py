"""`make ct`, the target the continuous-training workflow calls, executed in a fresh clone.

Against a local DVC remote, a local registry and lake, a bare git repository as ``origin``
and a stand-in ``cml`` that records the comment it was given; with small params. A refused
candidate commits nothing; a promoted one pushes its data and models to the DVC remote,
commits exactly what it changed, pushes it, and a fresh clone of that commit reproduces it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from boxoffice.core.params import load_params
from boxoffice.lake.prediction_log import Lake, log_table
from boxoffice.lifecycle.labels import add_labels, check_labels
from boxoffice.lifecycle.registry import Registry
from tests.conftest import ROOT
from tests.support import unseen_project
from tests.support.serving import log_record
from tests.support.unseen_project import film, run

# Two `make ct` runs, each a tiny `dvc repro` from ingest on (the origin's is the shared
# fixture's): past the suite-wide default on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]
CML = """#!/bin/sh
# Stands in for CML: records how it was called and the report it was given.
echo "$@" >> "$CML_LOG"
for last in "$@"; do :; done
cat "$last" >> "$CML_LOG"
"""


def _git(args: list[str], cwd: Path) -> str:
    return run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args], cwd)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, unseen_trained: Path) -> dict[str, Path]:
    """A project whose data lacks some films, trained and pushed; its bare ``origin``."""
    tmp = tmp_path_factory.mktemp("ct")
    work = unseen_project.copy(unseen_trained, tmp / "work")  # refuses any first candidate
    run(["dvc", "remote", "modify", "local", "url", str(tmp / "dvc-remote")], work)
    run(["dvc", "push"], work)
    _git(["add", "-A"], work)
    _git(["commit", "-q", "-m", "trained"], work)
    _git(["clone", "-q", "--bare", str(work), str(tmp / "origin.git")], tmp)
    # The lake holds the 'new' films as served and later labelled.
    lake = Lake(str(tmp / "lake"))
    params = load_params(work / "params.yaml")
    unseen = unseen_project.sample_unseen()
    rows = [
        log_record(f"req{i:04d}", ts="2026-11-30T10:00:00+00:00")
        | {"inputs": json.dumps(film(r, params))}
        for i, r in enumerate(unseen)
    ]
    lake.write_predictions("2026-11-30", "w1", 0, log_table(rows))
    labels = [
        {"request_id": f"req{i:04d}", "title": r["Title"], "worldwide_gross": r["Worldwide Gross"]}
        for i, r in enumerate(unseen)
    ]
    add_labels(lake, check_labels(labels).accepted)
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "cml").write_text(CML)
    (bindir / "cml").chmod(0o755)
    return {"tmp": tmp, "origin": tmp / "origin.git", "lake": tmp / "lake", "cml": bindir / "cml"}


def _ct(paths: dict[str, Path], name: str, registry: Path) -> tuple[Path, str]:
    clone = paths["tmp"] / name
    _git(["clone", "-q", str(paths["origin"]), str(clone)], paths["tmp"])
    env = {
        "BOXOFFICE_LAKE_URI": str(paths["lake"]),
        "BOXOFFICE_REGISTRY_URI": str(registry),
        "CML": str(paths["cml"]),
        "CML_LOG": str(paths["tmp"] / f"{name}.cml.log"),
        "CT_GIT_NAME": "ct",
        "CT_GIT_EMAIL": "ct@localhost",
    }
    venv = ROOT / ".venv"
    # The project's own target, on this suite's environment (-o: do not reinstall it).
    out = run(["make", "ct", f"VENV={venv}", "-o", f"{venv}/.train"], clone, env)
    return clone, out


def _head(paths: dict[str, Path]) -> str:
    return _git(["rev-parse", "main"], paths["origin"]).strip()


def test_ct_refused_commits_nothing_promoted_commits_what_it_changed(
    origin: dict[str, Path],
) -> None:
    registry = origin["tmp"] / "registry"
    before = _head(origin)
    clone, out = _ct(origin, "refused", registry)
    assert ": not promoted;" in out
    assert _head(origin) == before  # nothing a later deploy would ship
    assert _git(["status", "--porcelain"], clone) == ""
    log = (origin["tmp"] / "refused.cml.log").read_text()
    assert log.startswith("comment create --commit-sha " + before) and "## Gate" in log
    assert Registry(str(registry)).versions()  # registered as a candidate, not production
    with pytest.raises(Exception, match="not set"):
        Registry(str(registry)).resolve("production")

    # The operator loosens the floor (a commit to origin); the next run promotes.
    work = origin["tmp"] / "loosen"
    _git(["clone", "-q", str(origin["origin"]), str(work)], origin["tmp"])
    unseen_project.write_params(work, first_model_max_mae_log=5.0)
    _git(["commit", "-qam", "gate: a floor the small model meets"], work)
    _git(["push", "-q", "origin", "HEAD:main"], work)
    loosened = _head(origin)
    remote_before = set((origin["tmp"] / "dvc-remote").rglob("*"))
    # The schedule's due check: the refused run started a minute ago.
    clone, out = _ct(origin, "promoted", registry)
    assert ": promoted;" in out and "not promoted" not in out
    after = _head(origin)
    assert after != loosened
    changed = set(_git(["diff", "--name-only", loosened, after], origin["origin"]).split())
    assert "dvc.lock" in changed and "data/feedback/feedback.jsonl" in changed
    assert "models/pre_release/export/model.onnx" in changed
    assert "docs/model-card.md" in changed
    allowed = ("dvc.lock", "data/feedback/", "models/", "reports/", "docs/model-card.md")
    assert all(name.startswith(allowed) for name in changed), changed
    assert set((origin["tmp"] / "dvc-remote").rglob("*")) > remote_before  # dvc push
    production = Registry(str(registry)).resolve("production")
    assert production in (origin["tmp"] / "promoted.cml.log").read_text()

    # A fresh clone of that commit plus the DVC remote reproduces it: nothing to run, clean.
    fresh = origin["tmp"] / "fresh"
    _git(["clone", "-q", str(origin["origin"]), str(fresh)], origin["tmp"])
    run(["dvc", "pull"], fresh)
    status = run(["dvc", "status"], fresh)
    assert "Data and pipelines are up to date" in status, status
    assert _git(["status", "--porcelain"], fresh) == ""


def test_a_scheduled_run_before_15_hours_does_nothing(origin: dict[str, Path]) -> None:
    registry = origin["tmp"] / "registry-due"
    Registry(str(registry)).fs.makedirs(str(registry), exist_ok=True)
    from boxoffice.lifecycle.registry import claim_run

    claim_run(Registry(str(registry)), dt.datetime.now(dt.UTC) - dt.timedelta(hours=14))
    before = _head(origin)
    clone = origin["tmp"] / "due"
    _git(["clone", "-q", str(origin["origin"]), str(clone)], origin["tmp"])
    env = {
        "BOXOFFICE_LAKE_URI": str(origin["lake"]),
        "BOXOFFICE_REGISTRY_URI": str(registry),
        "CML": str(origin["cml"]),
        "CML_LOG": str(origin["tmp"] / "due.cml.log"),
        "CT_IF_DUE": "15h",
    }
    venv = ROOT / ".venv"
    out = run(["make", "ct", f"VENV={venv}", "-o", f"{venv}/.train"], clone, env)
    assert "not due" in out
    assert _head(origin) == before and not (origin["tmp"] / "due.cml.log").exists()
