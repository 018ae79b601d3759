"""`boxoffice plots`: DVC's plots in one HTML file that needs no network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from tests.conftest import ROOT


def test_plots_render_to_a_self_contained_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "points.csv").write_text("actual,predicted\n1,1.2\n2,1.9\n3,3.3\n")
    png = ROOT / "reports" / "pre_release" / "residuals.png"
    (tmp_path / "residuals.png").write_bytes(png.read_bytes())
    (tmp_path / "dvc.yaml").write_text(
        "plots:\n  - points.csv:\n      template: scatter\n      x: actual\n      y: predicted\n"
        "  - residuals.png\n"
    )
    out = tmp_path / "dvc_plots" / "offline.html"
    result = CliRunner().invoke(app, ["plots", "--root", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count("<svg") == 1 and "data:image/png;base64," in page
    assert not re.search(r'(?:src|href)="https?://', page)  # nothing to fetch


def test_plots_outside_a_dvc_project_fail_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = CliRunner().invoke(app, ["plots", "--root", str(tmp_path)])
    assert result.exit_code == 1 and "no plots" in result.output
