"""ONNX graph building for the export stage.

An averaged ensemble becomes ONE ``TreeEnsembleRegressor`` node: the members' trees are
concatenated with their leaf weights divided by the member count. skl2onnx's own conversion of
an averaging ensemble emits a node per member plus Mul/Flatten/Sum nodes, and that per-node
overhead was the largest cost of a one-film prediction.
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

TREE_OP = "TreeEnsembleRegressor"
_NODE_LISTS = (
    "nodes_falsenodeids",
    "nodes_featureids",
    "nodes_hitrates",
    "nodes_missing_value_tracks_true",
    "nodes_modes",
    "nodes_nodeids",
    "nodes_truenodeids",
    "nodes_values",
)
_TARGET_LISTS = ("target_ids", "target_nodeids")


class UnsupportedGraphError(ValueError):
    """A converted member is not the single tree-ensemble node this module merges."""


def convert(estimator: Any, input_name: str, n_columns: int) -> onnx.ModelProto:
    graph: onnx.ModelProto = convert_sklearn(
        estimator,
        initial_types=[(input_name, FloatTensorType([None, n_columns]))],
        target_opset={"": 17, "ai.onnx.ml": 3},
        # A fixed graph name (the default is a random uuid) keeps the bytes reproducible.
        name="boxoffice",
    )
    return graph


def _tree_attributes(graph: onnx.ModelProto) -> dict[str, Any]:
    nodes = list(graph.graph.node)
    if len(nodes) != 1 or nodes[0].op_type != TREE_OP:
        raise UnsupportedGraphError(
            f"expected one {TREE_OP} node, got {[n.op_type for n in nodes]}"
        )
    return {a.name: helper.get_attribute_value(a) for a in nodes[0].attribute}


def merge_average(members: list[onnx.ModelProto]) -> onnx.ModelProto:
    """One tree-ensemble graph computing the mean of the members' predictions."""
    weight = 1.0 / len(members)
    merged: dict[str, list[Any]] = {k: [] for k in (*_NODE_LISTS, *_TARGET_LISTS)}
    merged |= {"nodes_treeids": [], "target_treeids": [], "target_weights": []}
    base = 0.0
    offset = 0
    for member in members:
        attrs = _tree_attributes(member)
        for key in (*_NODE_LISTS, *_TARGET_LISTS):
            merged[key].extend(attrs[key])
        merged["nodes_treeids"].extend(t + offset for t in attrs["nodes_treeids"])
        merged["target_treeids"].extend(t + offset for t in attrs["target_treeids"])
        merged["target_weights"].extend(w * weight for w in attrs["target_weights"])
        base += float(attrs.get("base_values", [0.0])[0]) * weight
        offset = max(merged["nodes_treeids"]) + 1
    template = members[0].graph
    node = helper.make_node(
        TREE_OP,
        inputs=[template.input[0].name],
        outputs=[template.output[0].name],
        domain="ai.onnx.ml",
        n_targets=1,
        post_transform="NONE",
        base_values=[base],
        **merged,  # type: ignore[arg-type]
    )
    graph = helper.make_graph([node], "boxoffice", [template.input[0]], [template.output[0]])
    model = helper.make_model(graph, opset_imports=list(members[0].opset_import))
    model.producer_name = members[0].producer_name
    onnx.checker.check_model(model)
    return model
