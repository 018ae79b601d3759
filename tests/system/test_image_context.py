"""The image's build context holds exactly what docker/Dockerfile copies, verified."""

from __future__ import annotations

import fnmatch
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.support.scripts import load_script


def _context() -> ModuleType:
    return load_script(ROOT / "deploy/image/context.py", "image_context")


def _admitted(path: str) -> bool:
    """Docker's reading of .dockerignore for the patterns used there: the last match wins."""
    keep = True
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        parts = path.split("/")
        hit = fnmatch.fnmatch(path, pattern) or any(
            "/".join(parts[:i]) == pattern for i in range(1, len(parts) + 1)
        )
        if pattern.startswith("**/"):
            hit = pattern[3:] in parts
        if hit:
            keep = negate
    return keep


def test_dockerignore_admits_every_path_the_dockerfile_copies() -> None:
    for source in _context().copied():
        assert _admitted(source), f".dockerignore leaves {source} out of the build context"
    assert not _admitted("tests/conftest.py") and not _admitted("data/sample/movies.json")


def test_the_context_holds_exactly_what_the_dockerfile_copies(tmp_path: Path) -> None:
    module = _context()
    dest = tmp_path / "image"
    assert module.main([str(dest)]) == 0
    tops = {p.relative_to(dest).parts[0] for p in dest.iterdir()}
    copied = module.copied()
    assert {s.split("/")[0] for s in copied} | {"docker", ".dockerignore"} == tops
    for source in copied:
        assert (dest / source).exists(), source
    assert sorted(p.name for p in (dest / "models").iterdir()) == ["pre_release", "retrospective"]
    assert not list(dest.rglob("__pycache__")) and not (dest / "tests").exists()


def test_a_broken_model_stops_the_context_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _context()
    fake = tmp_path / "root"
    shutil.copytree(ROOT / "models" / "pre_release" / "export", fake / "models/pre_release/export")
    shutil.copytree(
        ROOT / "models" / "retrospective" / "export", fake / "models/retrospective/export"
    )
    for name in ("constraints.txt", "pyproject.toml", "README.md", "params.yaml"):
        shutil.copy(ROOT / name, fake / name)
    shutil.copytree(ROOT / "docker", fake / "docker")
    (fake / "src").mkdir()
    shutil.copy(ROOT / ".dockerignore", fake / ".dockerignore")
    sums = json.loads((fake / "models/pre_release/export/checksums.json").read_text())
    assert sums
    with (fake / "models/pre_release/export/model.onnx").open("ab") as handle:
        handle.write(b"tampered")
    monkeypatch.setattr(module, "ROOT", fake)
    monkeypatch.setattr(module, "DOCKERFILE", fake / "docker" / "Dockerfile")
    assert module.main([str(tmp_path / "image")]) == 1
    assert "model.onnx" in capsys.readouterr().err
    assert not (tmp_path / "image").exists()
