"""A Node records one call of a layer on symbolic tensors: the layer, the call's arguments (with the
KerasTensors in them) and the output tensors. Layers keep their nodes in `_inbound_nodes`."""
from nnkern.engine import tree
from nnkern.engine.keras_tensor import KerasHistory, KerasTensor


class Node:
    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.keras_tensors = [x for x in tree.flatten((self.call_args, self.call_kwargs))
                              if isinstance(x, KerasTensor)]
        self.outputs = [] if outputs is None else tree.flatten(outputs)
        for x in self.outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(f"All operation outputs must be tensors. Operation {operation} returned a "
                                 f"non-tensor. Non-tensor received: {x}")
        zero_history = any(not x.record_history for x in self.keras_tensors)
        if not zero_history:
            for x in self.keras_tensors:
                if not hasattr(x, "_keras_history"):
                    x._keras_history = KerasHistory(None, 0, 0)
        operation._inbound_nodes.append(self)
        for x in self.keras_tensors:
            inbound = x._keras_history.operation if hasattr(x, "_keras_history") else None
            if inbound is not None:
                inbound._outbound_nodes.append(self)
        if not zero_history:
            node_index = len(operation._inbound_nodes) - 1
            for i, x in enumerate(self.outputs):
                x._keras_history = KerasHistory(operation, node_index, i)
        self.is_input = not self.keras_tensors

    @property
    def input_tensors(self):
        return self.keras_tensors

    @property
    def output_tensors(self):
        return self.outputs

    @property
    def parent_nodes(self):
        deps = []
        for x in self.keras_tensors:
            op, node_index, _ = x._keras_history
            if op is not None:
                deps.append(op._inbound_nodes[node_index])
        return deps

    def __repr__(self):
        return f"<Node operation={self.operation.name}, id={id(self)}>"
