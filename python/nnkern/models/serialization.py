"""Keras 3 configs of models (get_config / from_config); layers are serialized by engine.registry."""
from nnkern.engine import tree
from nnkern.engine.graph import make_node_key
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.registry import deserialize, serialize_layer


def copy_config(obj):
    """A copy of a config's dicts, lists and tuples; other values (a Lambda's closure may hold a module or
    any object, as in Keras) are shared, not deep-copied."""
    if isinstance(obj, dict):
        return {k: copy_config(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [copy_config(v) for v in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(copy_config(v) for v in obj)
    return obj


def complete_model_entry(model, entry):
    """serialize_layer's entry for a model, as Keras 3 writes one (also nested as a layer): module 'keras',
    compile_config; a Sequential with its build shape, other models by the internal functional module and
    registered name (build input shape None)."""
    from nnkern.models.sequential import Sequential
    entry["module"] = "keras"
    if isinstance(model, Sequential):
        if model._functional is not None:
            entry["build_config"] = {"input_shape": model._layers[0].batch_shape}
    else:
        entry.update({"module": "keras.src.models.functional", "registered_name": "Functional",
                      "build_config": {"input_shape": None}})
    entry["compile_config"] = {}
    return entry


def _serialize_tensor(x, own_nodes):
    if not isinstance(x, KerasTensor) or not hasattr(x, "_keras_history") or x._keras_history.operation is None:
        return x
    op, node_index, tensor_index = x._keras_history
    irrelevant = sum(1 for i in range(node_index) if make_node_key(op, i) not in own_nodes)
    return {"class_name": "__keras_tensor__",
            "config": {"shape": x.shape, "dtype": x.dtype,
                       "keras_history": [op.name, node_index - irrelevant, tensor_index]}}


def serialize_node(node, own_nodes):
    if not node.input_tensors:
        return None
    args = tree.map_structure(lambda x: _serialize_tensor(x, own_nodes), node.call_args)
    kwargs = tree.map_structure(lambda x: _serialize_tensor(x, own_nodes), node.call_kwargs)
    return {"args": args, "kwargs": kwargs}


def functional_config(model):
    from nnkern.models.functional import Functional
    config = {"name": model.name, "trainable": model.trainable}
    node_reindexing_map = {}
    for op in model.operations:
        kept = 1 if isinstance(op, Functional) else 0
        for index, _ in enumerate(op._inbound_nodes):
            key = make_node_key(op, index)
            if key in model._nodes:
                node_reindexing_map[key] = kept
                kept += 1
    layer_configs = []
    for op in model.operations:
        inbound = []
        for index, node in enumerate(op._inbound_nodes):
            if make_node_key(op, index) in model._nodes:
                data = serialize_node(node, model._nodes)
                if data is not None:
                    inbound.append(data)
        layer_config = serialize_layer(op)
        layer_config["name"] = op.name
        layer_config["inbound_nodes"] = inbound
        layer_configs.append(layer_config)
    config["layers"] = layer_configs

    def tensor_config(t):
        op, node_index, tensor_index = t._keras_history
        return [op.name, node_reindexing_map[make_node_key(op, node_index)], tensor_index]

    config["input_layers"] = tree.map_structure(tensor_config, model._inputs_struct)
    config["output_layers"] = tree.map_structure(tensor_config, model._outputs_struct)
    return copy_config(config)


def _is_legacy_tensor_ref(value, created):
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and value[0] in created \
        and isinstance(value[1], int) and isinstance(value[2], int)


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from `functional_config` output (Keras 3 format)."""
    from nnkern.models.functional import Functional

    created = {}
    unprocessed = {}

    def revive(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = x["config"]["keras_history"]
            layer = created[name]
            if isinstance(layer, Functional):
                node_index -= 1
            if len(layer._inbound_nodes) <= node_index:
                raise IndexError(node_index)
            return layer._inbound_nodes[node_index].output_tensors[tensor_index]
        return x

    def revive_structure(s):
        if isinstance(s, dict) and s.get("class_name") == "__keras_tensor__":
            return revive(s)
        if isinstance(s, list) and len(s) in (3, 4) and isinstance(s[0], str) and isinstance(s[1], int):
            return revive({"class_name": "__keras_tensor__", "config": {"keras_history": s[:3]}})
        if isinstance(s, (list, tuple)):
            return type(s)(revive_structure(v) for v in s)
        if isinstance(s, dict):
            return {k: revive_structure(v) for k, v in s.items()}
        return s

    for layer_data in config["layers"]:
        layer = deserialize(layer_data, custom_objects=custom_objects)
        created[layer_data["name"]] = layer
        for node_data in layer_data.get("inbound_nodes", []):
            unprocessed.setdefault(layer_data["name"], []).append(node_data)

    while unprocessed:
        progressed = False
        for layer_data in config["layers"]:
            name = layer_data["name"]
            if name not in unprocessed:
                continue
            pending = unprocessed[name]
            done = 0
            for node_data in pending:
                try:
                    if isinstance(node_data, dict):
                        args = revive_structure(node_data["args"])
                        kwargs = revive_structure(node_data["kwargs"])
                    else:  # legacy: [[layer, node, tensor, kwargs], ...]
                        tensors = [revive_structure(list(d[:3])) for d in node_data]
                        kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 else {}
                        # A tensor keyword (MultiHeadAttention's value=, key=) is [layer, node, tensor] there.
                        kwargs = {k: revive_structure(v) if _is_legacy_tensor_ref(v, created) else v
                                  for k, v in kwargs.items()}
                        args = (tensors[0] if len(tensors) == 1 else tensors,)
                except IndexError:
                    break
                created[name](*args, **kwargs)
                done += 1
            if done:
                progressed = True
            if done == len(pending):
                del unprocessed[name]
            else:
                unprocessed[name] = pending[done:]
        if not progressed:
            raise ValueError("Invalid Functional model configuration. The graph of the Functional model either "
                             f"has loops or disconnected nodes. Unresolved: {list(unprocessed)}")

    def get_tensor(spec):
        name, node_index, tensor_index = spec
        layer = created[name]
        if isinstance(layer, Functional):
            node_index -= 1
        return layer._inbound_nodes[node_index].output_tensors[tensor_index]

    def map_tensors(t):
        if isinstance(t, list) and len(t) == 3 and isinstance(t[0], str):
            return get_tensor(t)
        if isinstance(t, dict):
            return {k: map_tensors(v) for k, v in t.items()}
        if isinstance(t, tuple):
            return tuple(map_tensors(v) for v in t)
        return [map_tensors(v) for v in t]

    inputs = map_tensors(config["input_layers"])
    outputs = map_tensors(config["output_layers"])
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


