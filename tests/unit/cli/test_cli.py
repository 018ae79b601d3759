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
    assert "holdout metrics" in result.output
    checksums = json.loads((trained.export_dir / "checksums.json").read_text())
    assert f"version: sha-{checksums['model.onnx'][:12]}," in result.output


def test_model_info_without_model_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model-info", str(tmp_path)])
    assert result.exit_code != 0
    assert result.exit_code == 1
    assert "no exported model" in result.output
