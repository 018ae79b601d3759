"""DVC is found beside the interpreter even when the venv is not on PATH
(`.venv/bin/boxoffice plots` said "dvc is not on PATH" with dvc installed beside it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from boxoffice.core.dvc_cli import dvc_executable, run_dvc


def test_dvc_beside_the_interpreter_is_used_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    assert dvc_executable() == str(Path(sys.executable).parent / "dvc")
    done = run_dvc(["--version"], tmp_path)
    assert done.returncode == 0 and done.stdout.strip()[0].isdigit()


def test_no_dvc_anywhere_names_both_places(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(FileNotFoundError, match=r"neither beside .* nor on PATH"):
        dvc_executable()
