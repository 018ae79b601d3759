"""An artifact's version: one per set of answers."""

from __future__ import annotations

import pytest

from boxoffice.core.artifact import IntegrityError, legacy_version, served_name, version_of

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
