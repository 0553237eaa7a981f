"""Shared by the normalization / preprocessing / activation layer tests: the layers_norm Keras goldens
(tests/golden/gen_layers_norm.py) as pytest params, and a Keras 2 `.h5` model file writer."""
import json

import h5py
import numpy as np
import pytest

from _golden_io import load_cases

CASES = load_cases("layers_norm")


def single_cases(*class_names):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES
            if case["kind"] == "single" and case["class_name"] in class_names]


def cases_of_kind(kind):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES if case["kind"] == kind]


def write_keras2_sequential_h5(path, input_shape, layers):
    """A tf.keras 2 whole-model file of a Sequential model: layers = [(class_name, config, [(weight name,
    array)])], configs in Keras 2's spelling; weights stored as `model_weights/<layer>/<layer>/<name>:0`."""
    configs = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, *input_shape],
                                                       "dtype": "float32", "sparse": False, "ragged": False,
                                                       "name": "input_1"}}]
    configs += [{"class_name": cls, "config": {"trainable": True, "dtype": "float32", **config}}
                for cls, config, _ in layers]
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential",
                                              "config": {"name": "sequential", "layers": configs}})
        group = f.create_group("model_weights")
        names = [config["name"] for _, config, _ in layers]
        group.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name, (_, _, weights) in zip(names, layers):
            layer_group = group.create_group(name)
            full = [f"{name}/{w}:0" for w, _ in weights]
            layer_group.attrs["weight_names"] = np.array([n.encode() for n in full], dtype="S64")
            for weight_name, (_, value) in zip(full, weights):
                layer_group.create_dataset(weight_name, data=value)
