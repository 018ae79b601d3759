"""Workflows and deployment manifests: linted, least privilege, and their commands known."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
# Every command a workflow runs, and the test (file::function) that executes it here.
EXERCISED = {
    "make test": "tests/system/test_deploy.py::test_make_test_is_what_ci_runs",
    "make quality": "tests/system/test_static.py::test_static_check_is_clean",
    "make model": (
        "tests/system/test_dvc.py::test_dvc_push_then_pull_restores_outputs_from_local_remote"
    ),
    "make image-context": (
        "tests/system/test_image_context.py"
        "::test_the_context_holds_exactly_what_the_dockerfile_copies"
    ),
    "make compact": (
        "tests/system/test_compaction.py"
        "::test_make_compact_the_workflows_command_compacts_the_lake_it_is_given"
    ),
    "make ct": (
        "tests/system/test_continuous_training.py"
        "::test_ct_refused_commits_nothing_promoted_commits_what_it_changed"
    ),
}
# Steps that need a cloud or a Docker engine, which this machine does not have.
CLOUD_ONLY = (
    "gcloud auth configure-docker",
    "docker build",
    "docker push",
)


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    return data


def test_actionlint_passes_on_every_workflow() -> None:
    done = subprocess.run(
        [str(BIN / "actionlint"), *map(str, WORKFLOWS)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_least_privilege_bounded_and_grouped(path: Path) -> None:
    flow = _load(path)
    assert "permissions" in flow and "write-all" not in str(flow["permissions"])
    assert "concurrency" in flow
    for name, job in flow["jobs"].items():
        assert job.get("timeout-minutes"), f"{path.name}:{name} has no timeout"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_command_is_exercised_or_cloud_only(path: Path) -> None:
    for job in _load(path)["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                command = line.strip()
                if command:
                    exercised = any(command.startswith(known) for known in EXERCISED)
                    assert exercised or command.startswith(CLOUD_ONLY), command


def test_each_exercised_command_names_a_test_that_exists() -> None:
    for command, where in EXERCISED.items():
        path, name = where.split("::")
        assert f"\ndef {name}(" in (ROOT / path).read_text(), (command, where)


def test_make_test_is_what_ci_runs() -> None:
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1].endswith("make test")


ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_tag(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "uses:" in line:
            ref = line.split("uses:", 1)[1].strip()
            assert ACTION.match(ref), f"{path.name}: {ref} is not pinned to a full commit SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_explicit_permissions(path: Path) -> None:
    flow = _load(path)
    for name, job in flow["jobs"].items():
        assert job.get("timeout-minutes"), f"{path.name}:{name} has no timeout-minutes"
        assert "permissions" in job or "permissions" in flow, f"{path.name}:{name}"


def test_dependabot_covers_actions_and_pip() -> None:
    config = _load(ROOT / ".github" / "dependabot.yml")
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip"}


def test_make_targets_named_by_workflows_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for command in (c for c in EXERCISED if c.startswith("make ")):
        assert f"\n{command.split()[1]}:" in makefile


def test_deploy_uses_workload_identity_not_keys() -> None:
    flow = (ROOT / ".github" / "workflows" / "ci-cd.yml").read_text()
    assert "workload_identity_provider" in flow and "id-token: write" in flow
    assert "credentials_json:" not in flow


def test_kubernetes_manifests_have_probes_resources_and_budget() -> None:
    docs = {p.stem: _load(p) for p in (ROOT / "deploy" / "k8s").glob("*.yaml")}
    assert {d["kind"] for d in docs.values()} == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    container = docs["deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert docs["deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]


def test_cloud_run_service_listens_where_the_image_does() -> None:
    service = _load(ROOT / "deploy" / "cloudrun" / "service.yaml")
    container = service["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8080
    assert "EXPOSE 8080" in (ROOT / "docker" / "Dockerfile").read_text()


def test_make_run_honours_port() -> None:
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=9123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    serve = [line for line in plan.splitlines() if "boxoffice serve" in line]
    assert serve and "--port 9123" in serve[0]
