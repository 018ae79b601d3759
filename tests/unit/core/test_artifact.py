"""An artifact's version: one per set of answers."""

from __future__ import annotations

from boxoffice.core.artifact import version_of

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
