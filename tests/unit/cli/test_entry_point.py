"""The console script: the command's exit code and output survive skipping native teardown."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Runs main() as the console script does, with an atexit hook and a thread still working.
SCRIPT = """
import atexit, sys, threading, time
atexit.register(lambda: print("atexit ran", flush=True))
threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", flush=True))).start()
sys.argv = ["boxoffice", *sys.argv[1:]]
from boxoffice.cli import main
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=120
    )


def test_the_console_script_is_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["boxoffice"] == "boxoffice.cli:main"


def test_main_keeps_the_code_the_output_the_threads_and_the_hooks(tmp_path: Path) -> None:
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    assert "predict" in done.stdout
    assert "thread done" in done.stdout and done.stdout.rstrip().endswith("atexit ran")
    refused = _run("model-info", str(tmp_path / "no-such-model"))
    assert refused.returncode == 1
    assert "atexit ran" in refused.stdout and "no exported model" in refused.stderr + refused.stdout
    usage = _run("predict", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
