"""Lambda: calling, output shapes, masks and the Keras-3 config (function bytecode as func_dump writes it)."""
import codecs
import json
import marshal
import types

import numpy as np
import pytest

import nnkern as keras
from nnkern import layers, ops


def _load_lambda(fn_config):
    """Rebuild a function from a '__lambda__' config the way Keras's func_load does (independent of nnkern)."""
    assert fn_config["class_name"] == "__lambda__"
    inner = fn_config["config"]
    code = marshal.loads(codecs.decode(inner["code"].encode("ascii"), "base64"))
    closure = None
    if inner["closure"] is not None:
        closure = tuple(types.CellType(v) for v in inner["closure"])
    return types.FunctionType(code, globals(), name=code.co_name, argdefs=inner["defaults"], closure=closure)


def test_lambda_config_stores_bytecode_of_a_lambda():
    layer = layers.Lambda(lambda x: x * 2 + 1, name="twice")
    config = layer.get_config()
    assert config["name"] == "twice"
    assert set(config["function"]) == {"class_name", "config"}
    assert set(config["function"]["config"]) == {"code", "defaults", "closure"}
    fn = _load_lambda(config["function"])
    np.testing.assert_array_equal(fn(np.array([1.0, 2.0])), [3.0, 5.0])
    assert config["arguments"] == {}
    assert "output_shape" not in config and "mask" not in config
    json.dumps(config)  # a plain lambda's config is JSON-ready, as it must go into model.json


def test_lambda_config_keeps_defaults_and_closure():
    scale = 3.0

    def make():
        return layers.Lambda(lambda x, offset=1.0: x * scale + offset, output_shape=(4,),
                             arguments={"offset": 0.5})

    config = make().get_config()
    fn_config = config["function"]["config"]
    assert fn_config["defaults"] == (1.0,)
    assert fn_config["closure"] == (3.0,)
    fn = _load_lambda(config["function"])
    np.testing.assert_array_equal(fn(np.array([2.0]), offset=0.5), [6.5])
    assert config["output_shape"] == (4,)
    assert config["arguments"] == {"offset": 0.5}


def square(x):
    return x * x


def test_lambda_config_names_a_def_as_keras_does():
    config = layers.Lambda(square).get_config()
    # Keras 3 writes a plain Python function by name only.
    assert config["function"] == {"module": "builtins", "class_name": "function", "config": "square",
                                  "registered_name": "function"}


def test_lambda_config_serializes_callable_output_shape_mask_and_array_arguments():
    layer = layers.Lambda(lambda x, w: x * w, output_shape=lambda s: s, mask=np.array([True, False]),
                          arguments={"w": np.array([1.0, 2.0], dtype=np.float32)})
    config = layer.get_config()
    out_shape_fn = _load_lambda(config["output_shape"])
    assert out_shape_fn((None, 2)) == (None, 2)
    assert config["mask"] == {"class_name": "__numpy__", "config": {"value": [True, False], "dtype": "bool"}}
    assert config["arguments"] == {"w": {"class_name": "__numpy__",
                                         "config": {"value": [1.0, 2.0], "dtype": "float32"}}}
    json.dumps(config)


def test_lambda_config_of_numpy_and_ops_functions_names_them():
    assert layers.Lambda(np.abs).get_config()["function"]["config"] == "absolute"
    assert layers.Lambda(ops.abs).get_config()["function"]["config"] == "abs"


def test_lambda_closing_over_a_module_serializes_it_by_name_and_model_config_works():
    k = keras

    def make():
        return layers.Lambda(lambda t: k.ops.abs(t))

    layer = make()
    assert layer.get_config()["function"]["config"]["closure"] == (
        {"module": "builtins", "class_name": "module", "config": "nnkern", "registered_name": "module"},)
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layer(inp))
    config = model.get_config()  # copying the config must not try to copy the module
    assert config["layers"][1]["config"]["function"]["class_name"] == "__lambda__"
    assert layer.get_build_config() == {"input_shape": (None, 2)}  # built on its first call, as in Keras
