from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.artifact import version_of
from boxoffice.core.layout import Layout
from boxoffice.lake.prediction_log import Lake
from tests.conftest import ROOT
from tests.support.lake import lake_of_three_days


def test_model_info_describes_verified_model(trained: Layout) -> None:
    result = CliRunner().invoke(app, ["model-info", str(trained.export_dir)])
    assert result.exit_code == 0, result.output
    assert "files verified: metadata.json, model.onnx, signature.json" in result.output
    assert "production_budget*" in result.output
    assert "frozen holdout (random 20%): MAE (log) " in result.output
    assert "{" not in result.output  # figures by name, not Python dicts
    assert "production_budget: accepts $" in result.output  # the budget's bounds, in money
    checksums = json.loads((trained.export_dir / "checksums.json").read_text())
    assert f"version: {version_of(checksums)}," in result.output


def test_model_info_without_model_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model-info", str(tmp_path)])
    assert result.exit_code != 0
    assert result.exit_code == 1
    assert "no exported model" in result.output


def test_help_is_plain_text_with_posix_arguments() -> None:
    runner = CliRunner()
    for args in (["--help"], ["logs", "query", "-h"], ["model-info", "-h"], ["predict", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output and "{" not in result.output, result.output
        assert "╭" not in result.output  # no rich panels cutting sentences at their edge
    assert (
        "Usage: root logs query [OPTIONS] SQL" in runner.invoke(app, ["logs", "query", "-h"]).output
    )


def test_models_list_without_a_registry_says_so(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["models", "list", "--registry", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no registry at" in missing.output
    (tmp_path / "empty").mkdir()
    empty = CliRunner().invoke(app, ["models", "list", "--registry", str(tmp_path / "empty")])
    assert empty.exit_code == 0 and "no versions in" in empty.output


def test_logs_on_a_lake_that_is_not_there_say_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["logs", "tail", "--lake", str(tmp_path / "nonexistent")])
    assert result.exit_code == 1
    assert "no lake at" in result.output and "no logged predictions yet" not in result.output


def test_logs_read_only_the_partitions_their_window_needs(tmp_path: Path) -> None:
    lake = str(lake_of_three_days(tmp_path / "lake").uri)  # its oldest object is not Parquet
    runner = CliRunner()
    sql = "SELECT count(*) AS n, min(request_id) AS first FROM predictions"
    windowed = runner.invoke(app, ["logs", "query", sql, "--lake", lake, "--since", "2026-11-26"])
    assert windowed.exit_code == 0, windowed.output
    assert re.search(r"│\s+4 │ 26-a\s", windowed.output), windowed.output  # 26 and 27 only
    tail = runner.invoke(app, ["logs", "tail", "-n", "3", "--lake", lake])
    assert tail.exit_code == 0, tail.output
    assert [line.split()[2] for line in tail.output.splitlines()] == ["27-b", "27-a", "26-b"]
    whole = runner.invoke(app, ["logs", "query", sql, "--lake", lake])
    assert whole.exit_code == 1  # all of the lake: the unreadable object is read
    wrong = runner.invoke(app, ["logs", "query", sql, "--lake", lake, "--since", "26 Nov"])
    assert wrong.exit_code == 1 and "--since must be a date as YYYY-MM-DD" in wrong.output


def test_commands_reading_params_say_when_it_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("train: [\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "list.yaml").write_text("[1, 2]\n")
    cases = [
        ("none.yaml", "no such file"),
        ("bad.yaml", "not valid YAML"),
        ("empty.yaml", "no settings: the file holds nothing"),
        ("list.yaml", "no settings: the file holds a list"),
    ]
    runner = CliRunner()
    for command in (["retrain"], ["models", "promote", "v1"]):
        for params, why in cases:
            args = [*command, "--params", str(tmp_path / params)]
            result = runner.invoke(app, [*args, "--registry", str(tmp_path / "registry")])
            assert result.exit_code == 1, result.output
            assert isinstance(result.exception, SystemExit)  # a message, not a traceback
            assert f"cannot read --params {tmp_path / params}: {why}" in result.output


def test_logs_tail_takes_only_a_positive_count(tmp_path: Path) -> None:
    lake = str(lake_of_three_days(tmp_path / "lake").uri)
    for n in ("-1", "0"):
        result = CliRunner().invoke(app, ["logs", "tail", "-n", n, "--lake", lake])
        assert result.exit_code == 2, result.output  # a usage error, not DuckDB's own text
        assert "'-n'" in result.output and "greater than or equal to 1" in result.output
        assert "LIMIT" not in result.output


def test_models_register_says_when_params_cannot_be_read(trained: Layout, tmp_path: Path) -> None:
    # lineage.json records params.yaml: it was read there with yaml alone, a traceback.
    (tmp_path / "bad.yaml").write_text("train: [\n")
    args = ["models", "register", str(trained.export_dir), "--params", str(tmp_path / "bad.yaml")]
    result = CliRunner().invoke(app, [*args, "--registry", str(tmp_path / "registry")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "cannot read --params" in result.output and "not valid YAML" in result.output


def test_a_lake_that_cannot_be_reached_is_not_called_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(self: Lake) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Lake, "exists", denied)
    result = CliRunner().invoke(app, ["monitor", "accuracy", "--lake", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"cannot reach the lake at {tmp_path}" in result.output


def test_a_retrain_says_when_its_lake_or_registry_is_new(tmp_path: Path) -> None:
    # Under a mistyped URI it trained without feedback and promoted into a new registry.
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")  # no data here: it stops
    args = [
        "retrain",
        "--params",
        str(tmp_path / "params.yaml"),
        "--report",
        str(tmp_path / "r.md"),
    ]
    lake, registry = str(tmp_path / "lakes"), str(tmp_path / "registri")
    result = CliRunner().invoke(app, [*args, "--lake", lake, "--registry", registry])
    assert f"warning: no lake at {lake}: nothing was ever written there" in result.output
    assert "training without feedback" in result.output
    assert f"warning: no registry at {registry} yet: this run starts one" in result.output
