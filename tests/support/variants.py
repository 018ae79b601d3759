"""Real, distinct models made from a trained export (for reload and replica tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
from onnx import helper

from boxoffice.core.artifact import version_of
from boxoffice.core.digest import sha256_bytes


def variant(export_dir: Path, dest: Path, shift: float, extra_required: str | None = None) -> Path:
    """A real, distinct model: the same trees with the forecast's base value shifted by ``shift``.

    Only the first target (the forecast) moves; the width output keeps its base value, and
    the attribute keeps one value per target, as ONNX Runtime requires.
    """
    dest.mkdir(parents=True)
    graph = onnx.load(export_dir / "model.onnx")
    for node in _tree_nodes(graph.graph):
        for attr in node.attribute:
            if attr.name == "base_values":
                attr.CopyFrom(
                    helper.make_attribute("base_values", [attr.floats[0] + shift, *attr.floats[1:]])
                )
    model_bytes = graph.SerializeToString()
    signature = json.loads((export_dir / "signature.json").read_text())
    if extra_required:
        signature["inputs"].append(
            {
                "field": extra_required,
                "kind": "numeric",
                "required": True,
                "description": "",
                "example": None,
                "parts": [],
                "categories": None,
            }
        )
    blobs = {"model.onnx": model_bytes, "signature.json": json.dumps(signature).encode()}
    version = version_of({name: sha256_bytes(data) for name, data in blobs.items()})
    blobs["metadata.json"] = json.dumps({"version": version}).encode()
    for name, data in blobs.items():
        (dest / name).write_bytes(data)
    checksums = {name: sha256_bytes(data) for name, data in blobs.items()}
    (dest / "checksums.json").write_text(json.dumps(checksums))
    return dest


def _tree_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """The graph's tree nodes, those inside an ``If`` node's branches too (reduced trees)."""
    found = []
    for node in graph.node:
        if node.op_type == "If":
            for attr in node.attribute:
                found += _tree_nodes(attr.g)
        else:
            found.append(node)
    return found


def resign(folder: Path, edit: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    """Edit an export's signature in place (``edit`` mutates its JSON) and re-record its
    checksum, the graph untouched: the same trees with other answers. Returns the checksums."""
    signature = json.loads((folder / "signature.json").read_text())
    edit(signature)
    (folder / "signature.json").write_text(json.dumps(signature))
    checksums: dict[str, str] = json.loads((folder / "checksums.json").read_text())
    checksums["signature.json"] = sha256_bytes((folder / "signature.json").read_bytes())
    (folder / "checksums.json").write_text(json.dumps(checksums))
    return checksums
