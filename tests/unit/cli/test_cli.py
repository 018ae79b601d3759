from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.layout import Layout


def test_model_info_describes_verified_model(trained: Layout) -> None:
    result = CliRunner().invoke(app, ["model-info", str(trained.export_dir)])
    assert result.exit_code == 0, result.output
    assert "files verified: metadata.json, model.onnx, signature.json" in result.output
    assert "production_budget*" in result.output
    assert "frozen holdout (random 20%): MAE (log) " in result.output
    assert "{" not in result.output  # figures by name, not Python dicts
    assert "production_budget: accepts $" in result.output  # the budget's bounds, in money
    checksums = json.loads((trained.export_dir / "checksums.json").read_text())
    assert f"version: sha-{checksums['model.onnx'][:12]}," in result.output


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
