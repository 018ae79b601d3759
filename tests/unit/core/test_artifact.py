"""An artifact's version: one per set of answers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boxoffice.cli import app
from boxoffice.core.artifact import (
    IntegrityError,
    legacy_version,
    read_verified,
    served_name,
    version_of,
)

GRAPH, SIGNATURE, OTHER = "a" * 64, "b" * 64, "c" * 64


def test_a_new_signature_on_the_same_graph_is_a_new_version() -> None:
    first = version_of({"model.onnx": GRAPH, "signature.json": SIGNATURE})
    assert version_of({"model.onnx": GRAPH, "signature.json": OTHER}) != first
    assert version_of({"model.onnx": OTHER, "signature.json": SIGNATURE}) != first


def test_the_description_does_not_change_the_version() -> None:
    served = {"model.onnx": GRAPH, "signature.json": SIGNATURE}
    described = served | {"metadata.json": OTHER, "report.md": GRAPH}
    assert version_of(described) == version_of(served)
    assert version_of(served).startswith("sha-") and len(version_of(served)) == 16


def test_checksums_without_a_served_file_are_refused_by_name() -> None:
    with pytest.raises(IntegrityError, match=r"does not list signature\.json"):
        version_of({"model.onnx": GRAPH})


def test_a_registrys_older_name_for_the_same_bytes_is_kept() -> None:
    checksums = {"model.onnx": GRAPH, "signature.json": SIGNATURE}
    older = legacy_version(checksums)
    assert older == "sha-" + GRAPH[:12] != version_of(checksums)
    assert served_name(checksums, older) == older
    assert served_name(checksums, "sha-000000000000") == version_of(checksums)
    assert served_name(checksums) == version_of(checksums)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe", "is not valid JSON"),
        (b'["model.onnx"]', "is not a map of file names"),
        (b'{"model.onnx": 7}', "is not a map of file names"),
    ],
)
def test_a_corrupt_checksums_file_is_an_integrity_error(
    tmp_path: Path, written: bytes, why: str
) -> None:
    # It raised JSONDecodeError or AttributeError, a traceback in `boxoffice model-info`.
    (tmp_path / "checksums.json").write_bytes(written)
    with pytest.raises(IntegrityError, match=why):
        read_verified(tmp_path)
    result = CliRunner().invoke(app, ["model-info", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert why in result.output


def test_a_signature_whose_checksum_matches_but_is_no_signature_is_refused(
    tmp_path: Path,
) -> None:
    files = {"model.onnx": b"graph", "signature.json": b'{"target": 1}'}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    (tmp_path / "checksums.json").write_text(json.dumps(digests))
    with pytest.raises(IntegrityError, match="not a valid signature"):
        read_verified(tmp_path)
