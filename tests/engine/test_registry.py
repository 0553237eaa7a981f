"""engine/registry.py: classes found by name from the packages' namespaces, op nodes by module + name."""
import numpy as np
import pytest

import nnkern
from nnkern import layers
from nnkern.engine import registry
from nnkern.engine import symbolic_ops
from nnkern.engine.symbolic_ops import NotEqual


class Doubling(layers.Layer):
    def call(self, x):
        return 2 * x


def test_a_layer_class_exported_from_nnkern_layers_is_found_with_no_registration(monkeypatch):
    config = {"module": "keras.layers", "class_name": "Doubling", "config": {"name": "d"}}
    with pytest.raises(ValueError, match="Unknown layer: 'Doubling'"):
        layers.deserialize(config)
    # What a new family module does: one import line in layers/__init__.py puts the class there.
    monkeypatch.setattr(layers, "Doubling", Doubling, raising=False)
    layer = layers.deserialize(config)
    assert type(layer) is Doubling and layer.name == "d"
    entry = layers.serialize(layer)
    assert (entry["module"], entry["registered_name"]) == ("keras.layers", None)


def test_a_class_not_exported_is_serialized_by_its_module_and_name():
    entry = layers.serialize(Doubling(name="d"))
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == (__name__, "Doubling", "Doubling")


@pytest.mark.parametrize("name", ["Model", "Sequential", "Functional"])
def test_models_are_found(name):
    assert registry.get_registered_class(name) is getattr(nnkern.models, name)


@pytest.mark.parametrize("name", ["InputSpec", "deserialize", "_from_package", "Input", "NoSuchLayer", None])
def test_only_layer_classes_are_found(name):
    assert registry.get_registered_class(name) is None


def test_op_nodes_resolve_by_module_and_name_never_as_a_layer():
    assert registry.resolve_class({"module": "keras.src.ops.numpy", "class_name": "NotEqual"}) is NotEqual
    # Add and Multiply are merge layers too: as op nodes they are the ops, never the layers.
    for name in ["Add", "Multiply", "Concatenate", "Maximum"]:
        op = registry.resolve_class({"module": "keras.src.ops.numpy", "class_name": name})
        assert op is symbolic_ops.OPERATIONS[name] and op is not getattr(layers, name)
        assert op._is_operation and not issubclass(op, getattr(layers, name))
        assert registry.resolve_class({"module": "keras.layers", "class_name": name}) is getattr(layers, name)
    assert registry.resolve_class({"module": "keras.src.ops.nn", "class_name": "Softmax"}) is \
        symbolic_ops.OPERATIONS["Softmax"]
    assert registry.resolve_class({"module": "keras.layers", "class_name": "Softmax"}) is layers.Softmax
    # The module must be the op's own, and ops nnkern lacks resolve to nothing.
    assert registry.resolve_class({"module": "keras.src.ops.nn", "class_name": "Add"}) is None
    assert registry.resolve_class({"module": "keras.src.ops.numpy", "class_name": "Fft"}) is None


def test_custom_objects_come_first():
    config = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "x"}}
    assert registry.resolve_class(config, {"Dense": Doubling}) is Doubling
    assert registry.resolve_class({**config, "class_name": "Mine", "registered_name": "pkg>Mine"},
                                  {"pkg>Mine": Doubling}) is Doubling


def test_deserialized_layer_is_built_from_build_config():
    dense = layers.Dense(3, name="dense_cfg")
    dense.build((None, 4))
    again = layers.deserialize(layers.serialize(dense))
    assert again.built and again.kernel.shape == (4, 3)
    np.testing.assert_array_equal(again(np.zeros((1, 4), np.float32)), np.zeros((1, 3), np.float32))
