"""Security properties: no unpickling on the serving path, private key files."""

from __future__ import annotations

import ast
import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.lake.credentials import CredentialsError, write_service_account_key
from tests.conftest import ROOT
from tests.support.imports import closure

PACKAGE = ROOT / "src" / "boxoffice"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT / "src").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# What a serving replica imports: boxoffice.serving.* and every package module they reach.
SERVING = sorted(
    set((PACKAGE / "serving").rglob("*.py"))
    | {f for m in (PACKAGE / "serving").rglob("*.py") for f in closure(_module_name(m))}
)
PICKLING = {"pickle", "cPickle", "_pickle", "joblib", "cloudpickle", "dill", "sklearn", "skl2onnx"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", SERVING, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_serving_module_imports_no_pickle_based_loader(path: Path) -> None:
    assert not _imports(path) & PICKLING


def test_serving_app_runs_without_pickle_loaders_in_the_process() -> None:
    # cloudpickle is left out: pyarrow imports it, when installed, for its own serialisation
    # hooks; nothing on the serving path calls them.
    code = (
        "import sys, boxoffice.serving.main as m; m.create_app; "
        "print(','.join(sorted(k for k in ('joblib','sklearn','dill','skl2onnx') "
        "if k in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def _key() -> str:
    key = {"type": "service_account", "private_key": "-----BEGIN SECRET-----", "client_email": "x"}
    return base64.b64encode(json.dumps(key).encode()).decode()


def test_key_is_written_0600_in_a_private_temp_dir_outside_the_repo() -> None:
    path = write_service_account_key(_key())
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert ROOT not in path.parents
        assert json.loads(path.read_text())["type"] == "service_account"
    finally:
        path.unlink()
        path.parent.rmdir()


@pytest.mark.parametrize(
    "encoded",
    ["", "s3cr3tMARKER!", base64.b64encode(b'{"type": "user", "k": "s3cr3tMARKER"}').decode()],
    ids=["missing", "not-base64", "not-service-account"],
)
def test_bad_key_is_refused_without_echoing_it(
    encoded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GCP_CREDENTIALS_B64", raising=False)
    with pytest.raises(CredentialsError) as info:
        write_service_account_key(encoded or None)
    assert "MARKER" not in str(info.value)
    assert not encoded or encoded not in str(info.value)


def test_cli_prints_export_line_not_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GCP_CREDENTIALS_B64", _key())
    result = CliRunner().invoke(app, ["credentials"])
    assert result.exit_code == 0
    assert result.output.startswith("export GOOGLE_APPLICATION_CREDENTIALS=/")
    assert "SECRET" not in result.output
    Path(result.output.split("=", 1)[1].strip()).unlink()
