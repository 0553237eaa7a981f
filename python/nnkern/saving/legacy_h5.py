"""Keras 2 / tf.keras HDF5 files: whole models (`model_config` attribute + `model_weights` group) and
weights files (`layer_names` attribute). Weights are matched layer by layer in order, as Keras 2 did:
the i-th layer of the model that has weights takes the i-th layer group of the file that has weights.

A Keras 2 config is first respelled as Keras 3 (modernize_keras2_config, also used by model_from_json);
its graph (Keras 2 inbound nodes, TF-op nodes) is read by models.serialization.functional_from_config."""
import json

import numpy as np

from nnkern import activations
from nnkern.engine.variable import deferred_initialization
from nnkern.saving.config import check_nesting
from nnkern.saving.errors import MalformedFileError
from nnkern.saving.keras_file import count_weight_elements, model_from_config, open_h5, read_weight


def _text(value):
    return value.decode("utf-8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _names(attrs, key):
    """The list of names attribute `key`; Keras 2 splits one over HDF5's 64 kB attribute limit into
    `key0`, `key1`, ... (save_attributes_to_hdf5_group): ResNetRS350's `layer_names`, big layers' `weight_names`."""
    if key in attrs:
        chunks = [attrs[key]]
    else:
        chunks = []
        while f"{key}{len(chunks)}" in attrs:
            chunks.append(attrs[f"{key}{len(chunks)}"])
    return [_text(n) for chunk in chunks for n in np.asarray(chunk).reshape(-1)]


def load_h5_model(data, what, custom_objects=None, safe_mode=True, compile=False):
    h5, entries = open_h5(data, what)
    with h5:
        if "model_config" not in h5.attrs:
            raise MalformedFileError(f"{what} holds no model config (`model_config` attribute): it is a weights "
                                     "file; build the model in code and call `model.load_weights()`.")
        try:
            config = json.loads(_text(h5.attrs["model_config"]))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise MalformedFileError(f"{what}: the model_config attribute is not valid JSON: {e}") from None
        weights = h5.get("model_weights", h5)
        under = "model_weights/" if "model_weights" in h5 else ""
        total = min(count_weight_elements(entries, under), len(data))  # at most one value per stored byte
        # Keras 3 also writes `.h5` files (keras_version 3.x), with Keras 3's activations.
        keras2 = not _text(h5.attrs.get("keras_version", "")).startswith("3")
        with deferred_initialization():  # the file gives every weight: none is initialised first
            model = model_from_h5_config(config, what, custom_objects, safe_mode, weights_budget=total,
                                         keras2_activations=keras2)
            load_legacy_weights(model, weights, what)
        if compile and "training_config" in h5.attrs:
            _compile(model, _text(h5.attrs["training_config"]))
    return model


# Arguments Keras 2 configs hold that Keras 3 dropped, by class: tf-keras's SeparableConv inherited (and
# ignored) the kernel_* arguments of Conv.
_DROPPED_ARGUMENTS = {name: ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
                      for name in ("SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
                                   "SeparableConvolution2D")}


def modernize_keras2_config(config, keras2_activations=True):
    """A Keras 1/2 model config (from an `.h5` file or `model.to_json()`) as Keras 3 spells it. With
    keras2_activations (the config was written by Keras 1/2) an activation whose Keras 2 formula differs from
    Keras 3's (activations.KERAS2_ACTIVATIONS: hard_sigmoid) is renamed to nnkern's function of that formula, so
    the model computes what Keras 2 computed."""
    config = _modernize(config)
    if keras2_activations:
        config = _keras2_activation_names(config)
    renamed = _slash_free_names(config)
    return _rename_layers(config, renamed) if renamed else config


def is_keras2_json(config):
    """Whether a JSON model config was written by Keras 1/2 (its `keras_version`; Keras 3's to_json has none)."""
    version = config.get("keras_version") if isinstance(config, dict) else None
    return isinstance(version, str) and not version.startswith("3")


def _keras2_activation_names(value):
    """Copy of a config with every `*activation` argument (activation, recurrent_activation, Keras 1's
    inner_activation; in nested layers and cells too) that activations.KERAS2_ACTIVATIONS names renamed."""
    if isinstance(value, list):
        return [_keras2_activation_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {key: activations.KERAS2_ACTIVATIONS.get(item, item)
            if key.endswith("activation") and isinstance(item, str) else _keras2_activation_names(item)
            for key, item in value.items()}


def _slash_free_names(config):
    """{old: new} for layer names with '/' (Keras 2 allowed them, e.g. MobileNetV3's 'Conv/BatchNorm';
    Keras 3 uses '/' to separate weight paths): '/' becomes '_'."""
    from nnkern.saving.config import layer_configs
    names = set()
    for layer in layer_configs(config):
        inner = layer.get("config")
        for name in (layer.get("name"), inner.get("name") if isinstance(inner, dict) else None):
            if isinstance(name, str):
                names.add(name)
    renamed = {}
    for name in sorted(n for n in names if "/" in n):
        new = base = name.replace("/", "_")
        suffix = 0
        while new in names or new in renamed.values():  # kept unique: 'd/1' beside an existing 'd_1'
            suffix += 1
            new = f"{base}_{suffix}"
        renamed[name] = new
    return renamed


def _rename_layers(value, renamed, in_graph_refs=False):
    """Copy of a config with layer names (and the references to them in inbound nodes, input_layers and
    output_layers) renamed."""
    if isinstance(value, list):
        if in_graph_refs and value and isinstance(value[0], str):
            return [renamed.get(value[0], value[0])] + [_rename_layers(v, renamed, True) for v in value[1:]]
        return [_rename_layers(v, renamed, in_graph_refs) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "name" and isinstance(item, str):
            out[key] = renamed.get(item, item)
        else:
            out[key] = _rename_layers(item, renamed, in_graph_refs or key in ("inbound_nodes", "input_layers",
                                                                              "output_layers"))
    return out


def model_from_h5_config(config, what, custom_objects=None, safe_mode=True, weights_budget=None,
                         keras2_activations=True):
    """The model a Keras 1/2 `model_config` (parsed JSON) describes, unweighted: what load_h5_model builds
    (keras2_activations: see modernize_keras2_config)."""
    check_nesting(config, what)
    return model_from_config(modernize_keras2_config(config, keras2_activations), what, custom_objects, safe_mode,
                             weights_budget=weights_budget)


def _modernize(config):
    """Keras 1/2 spellings of the model config that nnkern's deserializer reads as Keras 3."""
    if not isinstance(config, dict):
        raise MalformedFileError("The model_config of the file is not a serialized model.")
    dropped = _DROPPED_ARGUMENTS.get(config.get("class_name"), ())
    if dropped and isinstance(config.get("config"), dict):
        config = {**config, "config": {k: v for k, v in config["config"].items() if k not in dropped}}
    if config.get("class_name") == "Model":
        config = {**config, "class_name": "Functional"}
    inner = config.get("config")
    if config.get("class_name") == "Sequential" and isinstance(inner, list):
        config = {**config, "config": {"name": "sequential", "layers": inner}}
    inner = config.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
        inner = dict(inner)
        inner["layers"] = [_modernize(l) if isinstance(l, dict) else l for l in inner["layers"]]
        config = {**config, "config": inner}
    return config


def is_legacy_weights(h5):
    return "layer_names" in h5.attrs or "layer_names0" in h5.attrs or "model_weights" in h5


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
        if value is not None:  # None: read straight into the variable (see read_weight)
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
