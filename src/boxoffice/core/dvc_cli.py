"""How the package runs DVC: the ``dvc`` installed beside this interpreter, with that
environment's ``bin`` first on PATH (the stages run ``python -m boxoffice...``).

``.venv/bin/boxoffice plots`` is often run without activating the venv: looking only on PATH
said "dvc is not on PATH" although the train extra had put dvc right beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404
import sys
from pathlib import Path


def dvc_executable() -> str:
    beside = Path(sys.executable).parent / "dvc"
    if beside.exists():
        return str(beside)
    found = shutil.which("dvc")
    if found is None:
        raise FileNotFoundError(
            f"dvc is neither beside {sys.executable} nor on PATH (install the train extra)"
        )
    return found


def run_dvc(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(  # noqa: S603 # nosec B603 (fixed argv, no user input)
        [dvc_executable(), *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
