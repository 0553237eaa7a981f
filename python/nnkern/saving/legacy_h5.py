"""Keras 2 / tf.keras HDF5 files: whole models (`model_config` attribute + `model_weights` group) and
weights files (`layer_names` attribute). Weights are matched layer by layer in order, as Keras 2 did:
the i-th layer of the model that has weights takes the i-th layer group of the file that has weights."""
import json

import numpy as np

from nnkern.saving.config import check_nesting
from nnkern.saving.errors import MalformedFileError
from nnkern.saving.keras_file import count_weight_elements, model_from_config, open_h5, read_weight


def _text(value):
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _names(attrs, key):
    return [_text(n) for n in np.asarray(attrs.get(key, [])).reshape(-1)] if key in attrs else []


def load_h5_model(data, what, custom_objects=None, safe_mode=True, compile=False):
    with open_h5(data, what) as h5:
        if "model_config" not in h5.attrs:
            raise MalformedFileError(f"{what} holds no model config (`model_config` attribute): it is a weights "
                                     "file; build the model in code and call `model.load_weights()`.")
        try:
            config = json.loads(_text(h5.attrs["model_config"]))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise MalformedFileError(f"{what}: the model_config attribute is not valid JSON: {e}") from None
        weights = h5.get("model_weights", h5)
        total = min(count_weight_elements(weights), len(data))  # at most one value per stored byte
        model = model_from_h5_config(config, what, custom_objects, safe_mode, weights_budget=total)
        load_legacy_weights(model, weights, what)
        if compile and "training_config" in h5.attrs:
            _compile(model, _text(h5.attrs["training_config"]))
    return model


def model_from_h5_config(config, what, custom_objects=None, safe_mode=True, weights_budget=None):
    """The model a Keras 1/2 `model_config` (parsed JSON) describes, unweighted: what load_h5_model builds."""
    check_nesting(config, what)
    return model_from_config(_modernize(config), what, custom_objects, safe_mode, weights_budget=weights_budget)


def _modernize(config):
    """Keras 1/2 spellings of the model config that nnkern's deserializer reads as Keras 3."""
    if not isinstance(config, dict):
        raise MalformedFileError("The model_config of the file is not a serialized model.")
    if config.get("class_name") == "Model":
        config = {**config, "class_name": "Functional"}
    inner = config.get("config")
    if config.get("class_name") == "Sequential" and isinstance(inner, list):
        config = {**config, "config": {"name": "sequential", "layers": inner}}
    inner = config.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
        inner = dict(inner)
        inner["layers"] = [_modernize(l) if isinstance(l, dict) and l.get("class_name") in
                           ("Model", "Sequential", "Functional") else l for l in inner["layers"]]
        config = {**config, "config": _slash_free_names(inner)}
    return config


def _layer_name(layer):
    inner = layer.get("config") if isinstance(layer, dict) else None
    return inner.get("name") if isinstance(inner, dict) else None


def _slash_free_names(inner):
    """Keras 2 allowed '/' in layer names (tf-keras's DenseNet: 'conv1/conv'); Keras 3 and nnkern refuse
    it. Such names become '_'-joined (kept unique) wherever the model config names them: the layers, their
    inbound nodes (tensors in call arguments too) and the model's inputs and outputs. Keras 2 files match
    weights to layers by order, not by name, so no weight changes place."""
    names = [_layer_name(layer) for layer in inner["layers"]]
    taken = {n for n in names if isinstance(n, str)}
    renamed = {}
    for name in names:
        if isinstance(name, str) and "/" in name and name not in renamed:
            new = base = name.replace("/", "_")
            suffix = 0
            while new in taken:
                suffix += 1
                new = f"{base}_{suffix}"
            taken.add(new)
            renamed[name] = new
    if not renamed:
        return inner

    def refs(value):  # a node reference [name, node index, tensor index, ...] anywhere in nested lists / dicts
        if isinstance(value, list):
            if len(value) >= 3 and value[0] in renamed and all(isinstance(i, int) for i in value[1:3]):
                return [renamed[value[0]]] + [refs(v) for v in value[1:]]
            return [refs(v) for v in value]
        if isinstance(value, dict):
            return {k: refs(v) for k, v in value.items()}
        return value

    layers = []
    for layer in inner["layers"]:
        name = _layer_name(layer)
        if name in renamed:
            layer = {**layer, "config": {**layer["config"], "name": renamed[name]}}
            if layer.get("name") == name:
                layer["name"] = renamed[name]
        if isinstance(layer, dict) and "inbound_nodes" in layer:
            layer = {**layer, "inbound_nodes": refs(layer["inbound_nodes"])}
        layers.append(layer)
    out = {**inner, "layers": layers}
    for key in ("input_layers", "output_layers"):
        if key in out:
            out[key] = refs(out[key])
    return out


def is_legacy_weights(h5):
    return "layer_names" in h5.attrs or "model_weights" in h5


def _layer_weight_lists(group, what):
    import h5py
    out = []
    for name in _names(group.attrs, "layer_names"):
        layer_group = group.get(name)
        if not isinstance(layer_group, h5py.Group):
            raise MalformedFileError(f"{what}: layer group '{name}' listed in layer_names is missing.")
        weight_names = _names(layer_group.attrs, "weight_names")
        if not weight_names:
            continue
        datasets = []
        for weight_name in weight_names:
            dataset = layer_group.get(weight_name)
            if not isinstance(dataset, h5py.Dataset):
                raise MalformedFileError(f"{what}: weight '{weight_name}' of layer '{name}' is missing.")
            datasets.append(dataset)
        out.append((name, datasets))
    return out


def load_legacy_weights(model, h5, what):
    """Keras 2's load_weights_from_hdf5_group: in order, layers with weights only; all-or-nothing."""
    group = h5["model_weights"] if "model_weights" in h5 else h5
    stored = _layer_weight_lists(group, what)
    layers = [layer for layer in model.layers if layer.weights]
    if len(stored) != len(layers):
        raise MalformedFileError(
            f"{what}: the file holds weights for {len(stored)} layer(s) ({[n for n, _ in stored]}) but the model "
            f"has {len(layers)} layer(s) with weights ({[l.name for l in layers]}).")
    pending = []
    for layer, (name, datasets) in zip(layers, stored):
        variables = layer.weights
        if len(variables) != len(datasets):
            raise MalformedFileError(f"{what}: layer '{layer.name}' ({type(layer).__name__}) expects "
                                     f"{len(variables)} weight(s) but the file's layer '{name}' holds "
                                     f"{len(datasets)}.")
        for variable, dataset in zip(variables, datasets):
            pending.append((variable, read_weight(dataset, variable, f"{what}: layer '{layer.name}' weight "
                                                                     f"'{variable.name}' ('{dataset.name}')")))
    for variable, value in pending:
        variable.assign(value)


def _compile(model, training_config):
    try:
        config = json.loads(training_config)
    except json.JSONDecodeError:
        return
    loss = config.get("loss")
    if isinstance(loss, str):
        metrics = config.get("metrics")
        model.compile(loss=loss, metrics=metrics if isinstance(metrics, list) and
                      all(isinstance(m, str) for m in metrics) else None)
