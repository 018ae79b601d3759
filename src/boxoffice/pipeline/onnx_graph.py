"""ONNX graph building for the export stage.

An averaged ensemble becomes ONE ``TreeEnsembleRegressor`` node: the members' trees are
concatenated with their leaf weights divided by the member count (and the width models'
trees, when there are any, form the node's second output). skl2onnx's own conversion of
an averaging ensemble emits a node per member plus Mul/Flatten/Sum nodes, and that per-node
overhead was the largest cost of a one-film prediction.

A model with reduced trees has two such nodes, the branches of one ``If`` node on a boolean
input: ONNX Runtime runs every node of a graph whatever outputs are asked for, but only the
taken branch of an ``If``, so a call costs one tree set, as before.
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from boxoffice.core.signature import REDUCED_INPUT

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


def merge_targets(targets: list[list[tuple[onnx.ModelProto, float]]]) -> onnx.ModelProto:
    """One tree-ensemble node whose output column ``t`` is the weighted sum of the
    predictions of ``targets[t]``'s members (the mean of an ensemble; the gap between two
    quantile models, weights +1 and -1): every tree is walked in one kernel call."""
    merged: dict[str, list[Any]] = {k: [] for k in (*_NODE_LISTS, *_TARGET_LISTS)}
    merged |= {"nodes_treeids": [], "target_treeids": [], "target_weights": []}
    bases = [0.0] * len(targets)
    offset = 0
    for target, members in enumerate(targets):
        for member, weight in members:
            attrs = _tree_attributes(member)
            for key in _NODE_LISTS:
                merged[key].extend(attrs[key])
            merged["target_nodeids"].extend(attrs["target_nodeids"])
            merged["target_ids"].extend([target] * len(attrs["target_ids"]))
            merged["nodes_treeids"].extend(t + offset for t in attrs["nodes_treeids"])
            merged["target_treeids"].extend(t + offset for t in attrs["target_treeids"])
            merged["target_weights"].extend(w * weight for w in attrs["target_weights"])
            bases[target] += float(attrs.get("base_values", [0.0])[0]) * weight
            offset = max(merged["nodes_treeids"]) + 1
    first = targets[0][0][0]
    template = first.graph
    node = helper.make_node(
        TREE_OP,
        inputs=[template.input[0].name],
        outputs=[template.output[0].name],
        domain="ai.onnx.ml",
        n_targets=len(targets),
        post_transform="NONE",
        base_values=bases,
        **merged,  # type: ignore[arg-type]
    )
    output = helper.make_tensor_value_info(
        template.output[0].name, onnx.TensorProto.FLOAT, [None, len(targets)]
    )
    graph = helper.make_graph([node], "boxoffice", [template.input[0]], [output])
    model = helper.make_model(graph, opset_imports=list(first.opset_import))
    model.producer_name = first.producer_name
    onnx.checker.check_model(model)
    return model


def routed(masked: onnx.ModelProto, reduced: onnx.ModelProto) -> onnx.ModelProto:
    """One graph of two merged tree models (same input, same outputs): its boolean input
    ``REDUCED_INPUT`` picks ``reduced``'s trees for every row of the call, else ``masked``'s."""
    output = masked.graph.output[0]

    def branch(model: onnx.ModelProto, name: str) -> onnx.GraphProto:
        node = onnx.NodeProto()
        node.CopyFrom(model.graph.node[0])
        node.output[0] = name  # every name in a model is unique, a branch's too
        out = onnx.ValueInfoProto()
        out.CopyFrom(output)
        out.name = name
        return helper.make_graph([node], name, [], [out])

    flag = helper.make_tensor_value_info(REDUCED_INPUT, onnx.TensorProto.BOOL, [])
    node = helper.make_node(
        "If",
        inputs=[REDUCED_INPUT],
        outputs=[output.name],
        then_branch=branch(reduced, "reduced_trees"),
        else_branch=branch(masked, "masked_trees"),
    )
    graph = helper.make_graph([node], "boxoffice", [masked.graph.input[0], flag], [output])
    model = helper.make_model(graph, opset_imports=list(masked.opset_import))
    model.producer_name = masked.producer_name
    onnx.checker.check_model(model)
    return model
