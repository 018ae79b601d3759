from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.artifact import IntegrityError, legacy_version
from boxoffice.core.digest import sha256_bytes
from boxoffice.core.exit_codes import ExitCode
from boxoffice.core.layout import Layout
from boxoffice.lifecycle.registry import AliasNotSetError, Registry, VersionNotFoundError
from boxoffice.serving.model_state import load_model
from tests.conftest import ROOT
from tests.support.variants import resign


def _fake_artifact(trained: Layout, dest: Path, seed: int) -> Path:
    """A distinct, checksum-valid artifact (model bytes need not be a real graph here)."""
    dest.mkdir(parents=True)
    shutil.copy(trained.export_dir / "signature.json", dest)
    (dest / "model.onnx").write_bytes(f"model {seed}".encode())
    blobs = {n: (dest / n).read_bytes() for n in ("model.onnx", "signature.json")}
    (dest / "checksums.json").write_text(json.dumps({n: sha256_bytes(b) for n, b in blobs.items()}))
    return dest


def test_register_is_content_addressed_and_idempotent(trained: Layout, tmp_path: Path) -> None:
    reg = Registry(str(tmp_path / "registry"))
    first = reg.register(trained.export_dir)
    assert reg.register(trained.export_dir) == first
    assert reg.versions() == [first]
    assert "model.onnx" in reg.files(first)
    assert reg.metadata(first)["holdout_metrics"]["mae_log"] > 0


def test_half_written_version_is_invisible(trained: Layout, tmp_path: Path) -> None:
    reg = Registry(str(tmp_path / "registry"))
    partial = tmp_path / "registry" / "versions" / "sha-half"
    partial.mkdir(parents=True)
    (partial / "model.onnx").write_bytes(b"half")
    assert reg.versions() == []
    with pytest.raises(VersionNotFoundError):
        reg.files("sha-half")


def test_corrupt_artifact_is_refused_at_register_and_read(trained: Layout, tmp_path: Path) -> None:
    art = _fake_artifact(trained, tmp_path / "a", 1)
    reg = Registry(str(tmp_path / "registry"))
    version = reg.register(art)
    stored = tmp_path / "registry" / "versions" / version / "model.onnx"
    stored.write_bytes(b"tampered")
    with pytest.raises(IntegrityError):
        reg.files(version)
    (art / "model.onnx").write_bytes(b"tampered too")
    with pytest.raises(IntegrityError):
        reg.register(art)


def test_alias_set_resolve_and_rollback_as_a_stack(trained: Layout, tmp_path: Path) -> None:
    reg = Registry(str(tmp_path / "registry"))
    a, b, c = (reg.register(_fake_artifact(trained, tmp_path / str(i), i)) for i in range(3))
    with pytest.raises(AliasNotSetError):
        reg.resolve("production")
    for version in (a, b, c):
        reg.set_alias("production", version, "test")
    assert reg.resolve("production") == c
    reg.set_alias("production", c, "a no-op promotion")  # must not hide b from a rollback
    assert reg.rollback().version == b
    assert reg.rollback().version == a
    with pytest.raises(AliasNotSetError):
        reg.rollback()
    with pytest.raises(ValueError, match="alias must be"):
        reg.set_alias("staging", a)


@pytest.mark.slow
def test_cli_register_promote_force_and_show(trained: Layout, tmp_path: Path) -> None:
    runner = CliRunner()
    registry = str(tmp_path / "registry")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["gate"]["first_model_max_mae_log"] = 0.1  # unreachable: the gate must refuse
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw))
    common = ["--registry", registry, "--params", str(params), "--holdout", str(trained.holdout)]

    registered = runner.invoke(
        app, ["models", "register", str(trained.export_dir), "--registry", registry]
    )
    assert registered.exit_code == 0, registered.output
    version = registered.output.strip()
    refused = runner.invoke(app, ["models", "promote", version, *common])
    assert refused.exit_code == ExitCode.NOT_PROMOTED, refused.output
    assert "floor 0.1" in refused.output
    no_reason = runner.invoke(app, ["models", "promote", version, *common, "--force"])
    assert no_reason.exit_code == 1 and "--reason" in no_reason.output
    forced = runner.invoke(
        app, ["models", "promote", version, *common, "--force", "--reason", "bootstrap"]
    )
    assert forced.exit_code == 0 and "forced" in forced.output
    assert Registry(registry).resolve("production") == version
    shown = json.loads(
        runner.invoke(app, ["models", "show", version, "--registry", registry]).output
    )
    assert [d["forced"] for d in shown["decisions"]] == [False, True]
    assert shown["decisions"][1]["reason"] == "bootstrap"
    listed = runner.invoke(app, ["models", "list", "--registry", registry])
    assert version in listed.output and "production" in listed.output
    again = runner.invoke(app, ["models", "promote", version, *common])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert (
        len(
            json.loads(
                runner.invoke(app, ["models", "show", version, "--registry", registry]).output
            )["decisions"]
        )
        == 2
    )
    rollback = runner.invoke(app, ["models", "rollback", "--registry", registry])
    assert rollback.exit_code == 1 and "no earlier version" in rollback.output


@pytest.mark.slow
def test_cli_promotes_a_first_model_that_passes_the_gate(trained: Layout, tmp_path: Path) -> None:
    runner = CliRunner()
    registry = str(tmp_path / "registry")
    version = runner.invoke(
        app, ["models", "register", str(trained.export_dir), "--registry", registry]
    ).output.strip()
    promoted = runner.invoke(
        app,
        [
            "models",
            "promote",
            version,
            "--registry",
            registry,
            "--params",
            str(ROOT / "params.yaml"),
            "--holdout",
            str(trained.holdout),
        ],
    )
    assert promoted.exit_code == 0, promoted.output
    assert "coverage" in promoted.output and "inside" in promoted.output
    assert Registry(registry).resolve("production") == version


def test_version_records_lineage_metrics_and_checksums_of_every_file(
    trained: Layout, tmp_path: Path
) -> None:
    from boxoffice.lifecycle.lineage import version_extras

    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    reg = Registry(str(tmp_path / "registry"))
    version = reg.register(trained.export_dir, version_extras(trained.root, params))
    files = reg.files(version)  # verifies every recorded SHA-256
    assert {"lineage.json", "metrics.json", "report.md", "model.onnx"} <= set(files)
    lineage = json.loads(files["lineage.json"])
    assert lineage["data_sha256"] and lineage["params"]["train"] and lineage["created_at"]
    assert json.loads(files["metrics.json"])["mae_log"] > 0


def test_racing_registrations_of_one_artifact_leave_one_complete_version(
    trained: Layout, tmp_path: Path
) -> None:
    reg = Registry(str(tmp_path / "registry"))
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(reg.register(trained.export_dir)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6, "a registration raised in its thread"  # not only a warning
    assert len(set(results)) == 1 and reg.versions() == results[:1]
    assert "model.onnx" in reg.files(results[0])


def test_models_list_and_signature_reads_do_not_fetch_the_model(
    trained: Layout, tmp_path: Path
) -> None:
    reg = Registry(str(tmp_path / "registry"))
    version = reg.register(trained.export_dir)
    # A model file that would fail verification: only a read of it could notice.
    (Path(reg.uri) / "versions" / version / "model.onnx").write_bytes(b"corrupt")
    listed = CliRunner().invoke(app, ["models", "list", "--registry", reg.uri])
    assert listed.exit_code == 0 and version in listed.output, listed.output
    assert b'"inputs"' in (reg.file(version, "signature.json") or b"")
    with pytest.raises(IntegrityError):
        reg.file(version, "model.onnx")


def test_a_retrospective_version_carries_its_own_metrics_and_report(
    trained: Layout, retrospective: Layout, tmp_path: Path
) -> None:
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    registry = str(tmp_path / "registry")
    result = CliRunner().invoke(
        app,
        [
            "models",
            "register",
            str(retrospective.export_dir),
            "--registry",
            registry,
            "--params",
            str(trained.root / "params.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    files = Registry(registry).files(result.output.strip())
    own = json.loads((retrospective.export_dir / "metadata.json").read_text())
    assert json.loads(files["metrics.json"]) == own["holdout_metrics"]
    assert files["report.md"] == (retrospective.profile_reports / "report.md").read_bytes()


@pytest.mark.slow
def test_a_promotion_whose_production_changed_while_gating_moves_nothing(
    trained: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `models promote` at once: the other one lands while this one scores; this one
    exits with its own code and production stays the winner's (it used to print "promoted"
    twice, and a rollback went back to a version that never served)."""
    from boxoffice.lifecycle import gate

    runner = CliRunner()
    registry = str(tmp_path / "registry")
    reg = Registry(registry)
    first = reg.register(_fake_artifact(trained, tmp_path / "first", 1))
    winner = reg.register(_fake_artifact(trained, tmp_path / "winner", 2))
    candidate = reg.register(trained.export_dir)
    reg.set_alias("production", first, "setup")
    real_score = gate.score

    def score_while_another_lands(registry_: Registry, version: str, *args: object) -> object:
        if version == candidate:  # the concurrent promotion lands during our scoring
            Registry(registry).set_alias("production", winner, "the other operator")
        # Both sides scored as the real candidate: the fake artifacts hold no graph.
        return real_score(registry_, candidate, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(gate, "score", score_while_another_lands)
    common = ["--registry", registry, "--params", str(ROOT / "params.yaml")]
    result = runner.invoke(
        app, ["models", "promote", candidate, *common, "--holdout", str(trained.holdout)]
    )
    assert result.exit_code == ExitCode.PRODUCTION_CHANGED, result.output
    assert f"it was {first} and is now {winner}" in result.output
    assert reg.resolve("production") == winner
    assert [m.version for m in reg.history("production")] == [first, winner]
    shown = json.loads(runner.invoke(app, ["models", "show", candidate, *common[:2]]).output)
    assert shown["decisions"][-1]["outcome"] == "production_changed"


def _with_new_signature(trained: Layout, dest: Path) -> Path:
    """The trained export with its interval offsets moved: the same graph, other answers."""
    shutil.copytree(trained.export_dir, dest)

    def widen(signature: dict[str, Any]) -> None:
        signature["interval"]["high"] += 0.25

    resign(dest, widen)
    return dest


def test_a_new_signature_on_the_same_graph_is_registered_as_a_new_version(
    trained: Layout, tmp_path: Path
) -> None:
    reg = Registry(str(tmp_path / "registry"))
    first = reg.register(trained.export_dir)
    second = reg.register(_with_new_signature(trained, tmp_path / "b"))
    assert second != first and sorted(reg.versions()) == sorted([first, second])
    stored = json.loads(reg.file(second, "signature.json") or b"{}")
    assert stored == json.loads((tmp_path / "b" / "signature.json").read_text())


def test_a_version_registered_under_the_graphs_hash_keeps_that_name(
    trained: Layout, tmp_path: Path
) -> None:
    """Registries written before the signature counted name versions by the graph alone:
    registering the same bytes again, or serving them, uses that name, not a second one."""
    reg = Registry(str(tmp_path / "registry"))
    current = reg.register(trained.export_dir)
    checksums = json.loads((trained.export_dir / "checksums.json").read_text())
    older = legacy_version(checksums)
    versions = tmp_path / "registry" / "versions"
    (versions / current).rename(versions / older)  # as an older release wrote it
    assert reg.register(trained.export_dir) == older
    assert reg.versions() == [older]
    served = load_model(reg.download(older, tmp_path / "cache"), older)
    assert served.version == older
