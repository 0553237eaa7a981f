"""Graph topology of a functional model, ported from Keras 3's keras/src/ops/function.py so that the
order of `model.layers` (and hence of `model.weights`) is exactly Keras's: operations sorted by
decreasing depth from the outputs, ties broken by depth-first traversal order from the outputs."""
import collections

from nnkern.engine import tree


def make_node_key(op, node_index):
    return f"{id(op)}_ib-{node_index}"


def _history(x):
    return getattr(x, "_keras_history", None)


def _graph_tensors(node):
    """The node's input tensors that belong to the graph (explicit mask tensors without history don't)."""
    return [x for x in node.input_tensors if _history(x) is not None and _history(x).operation is not None]


def _build_map(inputs, outputs):
    """Keras's depth-first walk from the outputs (nodes in post-order, operations numbered in pre-order),
    with an explicit stack: a chain of a thousand layers must not reach Python's recursion limit."""
    finished_nodes = set()
    nodes_in_progress = set()
    nodes_in_decreasing_depth = []
    operation_indices = {}
    input_ids = {id(x) for x in tree.flatten(inputs)}
    stack = []  # (node, iterator over the input tensors still to visit)

    def enter(tensor):
        history = _history(tensor)
        if history is None or history.operation is None:
            return
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if node in finished_nodes:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished_nodes.add(node)
            return
        if node in nodes_in_progress:
            raise ValueError(f"Tensor {tensor} from operation '{operation.name}' is part of a cycle.")
        if operation not in operation_indices:
            operation_indices[operation] = len(operation_indices)
        nodes_in_progress.add(node)
        stack.append((node, iter(() if node.is_input else node.input_tensors)))

    for output in tree.flatten(outputs):
        enter(output)
        while stack:
            node, pending = stack[-1]
            tensor = next(pending, _DONE)
            if tensor is not _DONE:
                enter(tensor)
                continue
            stack.pop()
            finished_nodes.add(node)
            nodes_in_progress.remove(node)
            nodes_in_decreasing_depth.append(node)
    return nodes_in_decreasing_depth, operation_indices


_DONE = object()


def map_graph(inputs, outputs):
    """(network node keys, nodes_by_depth, operations, operations_by_depth), as Keras computes them."""
    nodes_in_decreasing_depth, operation_indices = _build_map(inputs, outputs)
    nodes_in_graph = set(nodes_in_decreasing_depth)
    network_nodes = {make_node_key(node.operation, node.operation._inbound_nodes.index(node))
                     for node in nodes_in_decreasing_depth}
    nodes_depths = {}
    operations_depths = {}
    for node in reversed(nodes_in_decreasing_depth):
        depth = nodes_depths.setdefault(node, 0)
        previous_depth = operations_depths.get(node.operation, 0)
        depth = max(depth, previous_depth)
        operations_depths[node.operation] = depth
        nodes_depths[node] = depth
        for parent in node.parent_nodes:
            if parent not in nodes_in_graph:
                continue
            nodes_depths[parent] = max(depth + 1, nodes_depths.get(parent, 0))

    for input_t in tree.flatten(inputs):
        history = _history(input_t)
        op = history.operation if history else None
        if op is not None and op not in operations_depths:
            node = op._inbound_nodes[history.node_index]
            if node.is_input:  # an unused Input still belongs to the model
                operations_depths[op] = 0
                operation_indices[op] = -1
                nodes_depths[node] = 0
                network_nodes.add(make_node_key(op, history.node_index))

    nodes_by_depth = collections.defaultdict(list)
    for node, depth in nodes_depths.items():
        nodes_by_depth[depth].append(node)
    operations_by_depth = collections.defaultdict(list)
    for op, depth in operations_depths.items():
        operations_by_depth[depth].append(op)

    operations = []
    for depth in sorted(operations_by_depth, reverse=True):
        ops_at_depth = operations_by_depth[depth]
        ops_at_depth.sort(key=lambda op: operation_indices[op])
        operations.extend(ops_at_depth)

    # Every tensor a node needs must be computable from the inputs.
    computable = {id(x) for x in tree.flatten(inputs)}
    seen_ops = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            for x in _graph_tensors(node):
                if id(x) not in computable:
                    raise ValueError(f"Graph disconnected: cannot find parent for tensor {x} at operation "
                                     f"'{node.operation.name}'. The following previous operations were "
                                     f"accessed without issue: {seen_ops}")
                seen_ops.append(node.operation.name)
            for x in node.outputs:
                computable.add(id(x))

    counts = collections.Counter(op.name for op in operations)
    for name, count in counts.items():
        if count != 1:
            raise ValueError(f'The name "{name}" is used {count} times in the model. All operation '
                             "names should be unique.")
    return network_nodes, nodes_by_depth, operations, operations_by_depth


def execution_order(nodes_by_depth):
    """Nodes in the order Keras runs them: decreasing depth, list order within a depth."""
    order = []
    for depth in sorted(nodes_by_depth, reverse=True):
        order.extend(nodes_by_depth[depth])
    return order
