"""Keras 3 configs of models (get_config / from_config; Keras 1/2 configs are read too); layers are
serialized by engine.registry."""
import numpy as np

from nnkern.engine import tree
from nnkern.engine.graph import make_node_key
from nnkern.engine.input_layer import InputLayer
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.registry import deserialize, serialize_layer


_CONTAINERS = (dict, list, tuple)


def copy_config(obj):
    """A copy of a config's dicts, lists and tuples; other values (a Lambda's closure may hold a module or
    any object, as in Keras) are shared, not deep-copied. (Called on containers only: most values of a
    config are leaves, and a call each was a fifth of building a model from its file.)"""
    if isinstance(obj, dict):
        return {k: copy_config(v) if isinstance(v, _CONTAINERS) else v for k, v in obj.items()}
    if isinstance(obj, list):
        return [copy_config(v) if isinstance(v, _CONTAINERS) else v for v in obj]
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


def serialize_constant(value):
    """A constant call argument of a node (an op's operand, a GetItem key) as Keras's serialize_keras_object
    writes it: slices, Ellipsis, bytes and numpy arrays as tagged dicts, numpy scalars as Python numbers."""
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_constant(value.start),
                                                      "stop": serialize_constant(value.stop),
                                                      "step": serialize_constant(value.step)}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, bytes):
        return {"class_name": "__bytes__", "config": {"value": value.decode("utf-8")}}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    return value


def deserialize_constant(value):
    """The inverse of serialize_constant for a node argument read from a config (plain data only)."""
    tag = value.get("class_name")
    inner = value.get("config")
    if tag == "__slice__" and isinstance(inner, dict):
        return slice(*(deserialize_value(inner.get(k)) for k in ("start", "stop", "step")))
    if tag == "__ellipsis__":
        return Ellipsis
    if tag == "__bytes__" and isinstance(inner, dict):
        return str(inner.get("value", "")).encode("utf-8")
    if tag == "__numpy__" and isinstance(inner, dict) and np.dtype(inner.get("dtype")).kind in "biufUS":
        return np.array(inner.get("value"), dtype=inner.get("dtype"))
    return None


def deserialize_value(value):
    if isinstance(value, dict):
        revived = deserialize_constant(value)
        return value if revived is None else revived
    return value


def _serialize_tensor(x, own_nodes):
    if not isinstance(x, KerasTensor):
        return serialize_constant(x)
    if not hasattr(x, "_keras_history") or x._keras_history.operation is None:
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


def _is_legacy_entry(value):
    """A Keras 1/2 node entry: [layer name, node index, tensor index] or [..., kwargs] (tf-keras's rule)."""
    return isinstance(value, list) and len(value) in (3, 4) and isinstance(value[0], str)


def _skips_first_node(layer):
    """Whether a Keras 2 config counts this layer's nodes from 1: a nested model built from an Input
    (tf-keras's first node of such a model links its own input to its output and is not saved)."""
    from nnkern.models.functional import Functional
    from nnkern.models.sequential import Sequential
    if isinstance(layer, Functional):
        return True
    return isinstance(layer, Sequential) and bool(layer._layers) and isinstance(layer._layers[0], InputLayer)


class _LegacyNodes:
    """Keras 1/2 inbound nodes (`[[name, node_index, tensor_index, kwargs], ...]`), read as tf-keras's
    Functional.from_config reads them: config node indices map to the nodes made so far (a nested model
    counts from 1); keyword arguments may hold tensors (`initial_state`, `mask`, a TF op's `y`); an entry
    named `_CONSTANT_VALUE` is a constant; layers that keep their input structure (TF-op nodes) get the
    entries' structure, others a single tensor or a flat list. An RNN's list input is Keras 2's
    `[sequences, *initial_state]`."""

    CONSTANT = "_CONSTANT_VALUE"

    def __init__(self, created):
        self.created = created
        self.index_map = {}  # (layer name, config node index) -> index in layer._inbound_nodes
        self.count = {}  # layer name -> config index of its next node

    def tensor(self, name, node_index, tensor_index):
        layer = self.created[name]
        if isinstance(layer, InputLayer):
            node_index = 0
        else:
            node_index = self.index_map.get((name, node_index))
            if node_index is None:
                raise IndexError(name)  # not made yet: retried after other nodes
        return tree.flatten(layer._inbound_nodes[node_index].output_tensors)[tensor_index]

    def revive_kwargs(self, value):
        if _is_legacy_entry(value) and len(value) == 3 and all(isinstance(v, int) for v in value[1:]):
            return self.tensor(*value)
        if isinstance(value, list):
            return [self.revive_kwargs(v) for v in value]
        if isinstance(value, dict):
            return {k: self.revive_kwargs(v) for k, v in value.items()}
        return value

    def call(self, name, node_data):
        layer = self.created[name]
        kwargs = {}

        def entry(value):
            nonlocal kwargs
            if len(value) == 4 and value[3]:
                kwargs = value[3]
            if value[0] == self.CONSTANT:
                return value[2]
            return self.tensor(*value[:3])

        def walk(value):
            if _is_legacy_entry(value):
                return entry(value)
            if isinstance(value, list):
                return [walk(v) for v in value]
            raise ValueError(f"Layer '{name}': improperly formatted inbound node {node_data!r}")

        inputs = walk(node_data)
        kwargs = self.revive_kwargs(kwargs)
        if "constants" in kwargs and kwargs["constants"] is None:
            del kwargs["constants"]  # tf-keras's RNN wrappers record it unset; Keras 3's RNNs have no constants
        if not getattr(layer, "_preserve_input_structure_in_config", False):
            inputs = tree.flatten(inputs)
            inputs = inputs[0] if len(inputs) == 1 else inputs
            if isinstance(inputs, list) and "initial_state" in getattr(layer, "_call_param_names", ()):
                inputs, kwargs = inputs[0], {**kwargs, "initial_state": inputs[1:]}
        outputs = layer(inputs, **kwargs)
        config_index = self.count.setdefault(name, int(_skips_first_node(layer)))
        self.index_map[(name, config_index)] = tree.flatten(outputs)[0]._keras_history.node_index
        self.count[name] = config_index + 1

    def output(self, spec):
        return self.tensor(*spec[:3])


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model from `functional_config` output (Keras 3 format) or a Keras 1/2 config."""
    from nnkern.models.functional import Functional

    created = {}
    unprocessed = {}
    legacy = _LegacyNodes(created)

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
        if isinstance(s, dict) and s.get("class_name") in ("__slice__", "__ellipsis__", "__bytes__", "__numpy__"):
            return deserialize_value(s)
        if isinstance(s, list) and len(s) in (3, 4) and isinstance(s[0], str) and isinstance(s[1], int):
            return revive({"class_name": "__keras_tensor__", "config": {"keras_history": s[:3]}})
        if isinstance(s, (list, tuple)):
            return type(s)(revive_structure(v) for v in s)
        if isinstance(s, dict):
            return {k: revive_structure(v) for k, v in s.items()}
        return s

    is_legacy = False
    for layer_data in config["layers"]:
        layer = deserialize(layer_data, custom_objects=custom_objects)
        created[layer_data["name"]] = layer
        for node_data in layer_data.get("inbound_nodes", []):
            is_legacy = is_legacy or not isinstance(node_data, dict)
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
                        created[name](*args, **kwargs)
                    else:
                        legacy.call(name, node_data)
                except IndexError:
                    break
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
        if is_legacy:
            return legacy.output(spec)
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
