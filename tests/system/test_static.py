"""The same static gates as CI: ruff (lint + format) and mypy --strict on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "ruff"), "check", "src", "tests", "bench"],
        [str(BIN / "ruff"), "format", "--check", "src", "tests", "bench"],
        [str(BIN / "mypy")],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_static_check_is_clean(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
