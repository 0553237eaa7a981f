"""engine/symbolic_ops.py: keras.ops and operators on KerasTensors record op nodes; op nodes in files resolve
only through the op table (goldens from Keras: tests/models/test_symbolic_ops_golden.py)."""
import io
import json
import zipfile

import numpy as np
import pytest

import nnkern
from nnkern import layers, ops
from nnkern.engine.symbolic_ops import OPERATIONS
from nnkern.saving import UnsupportedLayersError


def _rewrite_config(data, edit):
    """A `.keras` archive (bytes) with its config.json passed through edit(config)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            content = zin.read(name)
            if name == "config.json":
                config = json.loads(content)
                edit(config)
                content = json.dumps(config).encode()
            zout.writestr(name, content)
    return out.getvalue()


def _ddpg_like(tmp_path):
    inp = nnkern.Input((3,))
    out = layers.Dense(2, activation="tanh")(inp) * 2.0
    model = nnkern.Model(inp, out)
    path = tmp_path / "actor.keras"
    model.save(path)
    return model, path.read_bytes()


def test_an_op_named_like_a_layer_loads_as_the_op(tmp_path):
    # keras-io's DDPG actor: `outputs * upper_bound` records Multiply from keras.src.ops.numpy.
    model, data = _ddpg_like(tmp_path)
    loaded = nnkern.models.load_model(io.BytesIO(data))
    op = loaded.operations[-1]
    assert type(op) is OPERATIONS["Multiply"] and not isinstance(op, layers.Multiply)
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Dense"]
    x = np.linspace(-1, 1, 9, dtype="float32").reshape(3, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("class_name, module", [("Fft", "keras.src.ops.numpy"), ("Lambda", "keras.src.ops.numpy"),
                                                ("Dense", "keras.src.ops.core"), ("Multiply", "keras.src.ops.nn")])
@pytest.mark.parametrize("safe_mode", [True, False])
def test_unknown_op_classes_in_a_file_are_named(tmp_path, class_name, module, safe_mode):
    _, data = _ddpg_like(tmp_path)

    def edit(config):
        entry = config["config"]["layers"][-1]
        entry["class_name"] = entry["registered_name"] = class_name
        entry["module"] = module
    with pytest.raises(UnsupportedLayersError, match=class_name):
        nnkern.models.load_model(io.BytesIO(_rewrite_config(data, edit)), safe_mode=safe_mode)


def test_ops_on_symbolic_tensors_return_keras_tensors():
    x = nnkern.Input((4, 6))
    assert ops.shape(x) == (None, 4, 6)
    assert ops.mean(x, axis=1).shape == (None, 6)
    assert ops.cast(x, "int32").dtype == "int32"
    assert (x > 0).dtype == "bool"
    assert ops.reshape(x, (-1, 2, 12)).shape == (None, 2, 12)
    values, indices = ops.top_k(x, 2)
    assert values.shape == indices.shape == (None, 4, 2) and indices.dtype == "int32"
    parts = ops.split(x, 3, axis=-1)
    assert [p.shape for p in parts] == [(None, 4, 2)] * 3
    assert x[:, ::-1, None, 2].shape == (None, 4, 1)


def test_a_constant_array_operand_is_saved_and_loaded(tmp_path):
    x = nnkern.Input((2, 3))
    scale = np.array([1.0, 2.0, 3.0], "float32")
    model = nnkern.Model(x, ops.concatenate([x * scale, np.ones((1, 2, 3), "float32") + x], axis=1))
    node_args = model.get_config()["layers"][1]["inbound_nodes"][0]["args"]
    assert node_args[1] == {"class_name": "__numpy__", "config": {"value": [1.0, 2.0, 3.0], "dtype": "float32"}}
    model.save(tmp_path / "m.keras")
    again = nnkern.models.load_model(tmp_path / "m.keras")
    data = np.arange(12, dtype="float32").reshape(2, 2, 3)
    np.testing.assert_array_equal(again.predict(data, verbose=0), np.concatenate([data * scale, data + 1], axis=1))


def test_ops_nnkern_cannot_record_say_so():
    x = nnkern.Input((3,))
    with pytest.raises(TypeError, match=r"ops\.size: nnkern cannot record this op .*Lambda"):
        ops.size(x)
    with pytest.raises(TypeError, match=r"ops\.amax: `initial` cannot be recorded"):
        ops.amax(x, initial=0.0)


def test_bad_arguments_name_the_op():
    x = nnkern.Input((3,))
    with pytest.raises(TypeError, match=r"ops\.mean: .*unexpected keyword argument 'axes'"):
        ops.mean(x, axes=1)
    with pytest.raises(ValueError, match="Mean"):
        ops.mean(x, axis=3)
    with pytest.raises(TypeError, match=r"Mean: unexpected argument\(s\) \['axes'\]"):
        OPERATIONS["Mean"](axes=1)
    with pytest.raises(TypeError, match=r"Reshape: missing required argument\(s\) \['newshape'\]"):
        OPERATIONS["Reshape"]()


def test_op_nodes_compute_eagerly_and_keep_keras_configs():
    op = OPERATIONS["Clip"](x_min=-1, x_max=1)
    assert op.get_config() == {"name": op.name, "x_min": -1, "x_max": 1}
    np.testing.assert_array_equal(op(np.array([-3.0, 0.5, 3.0], "float32")), [-1.0, 0.5, 1.0])
    einsum = OPERATIONS["Einsum"](subscripts="ij,jk->ik")
    a, b = np.ones((2, 3), "float32"), np.ones((3, 4), "float32")
    np.testing.assert_array_equal(einsum(a, b), a @ b)
    assert OPERATIONS["OneHot"].from_config({"name": "oh", "num_classes": 3}).get_config() == \
        {"name": "oh", "num_classes": 3, "axis": -1, "dtype": None, "sparse": False}


def test_operators_record_operands_in_written_order():
    import nnkern.backend
    nnkern.backend.clear_session()
    x = nnkern.Input((2,))
    model = nnkern.Model(x, [2.0 - x, x - 2.0, x / 4.0, 1.0 / (x + 1.0), x ** 2, 2 ** x, round(x, 1)])
    entries = {entry["name"]: entry for entry in model.get_config()["layers"][1:]}
    assert {name: e["class_name"] for name, e in entries.items()} == {
        "subtract": "Subtract", "subtract_1": "Subtract", "true_divide": "TrueDivide", "add": "Add",
        "true_divide_1": "TrueDivide", "power": "Power", "power_1": "Power", "round": "Round"}
    constants = {name: [a for a in e["inbound_nodes"][0]["args"] if not isinstance(a, dict)]
                 for name, e in entries.items()}
    assert entries["subtract"]["inbound_nodes"][0]["args"][0] == 2.0  # 2.0 - x
    assert entries["subtract_1"]["inbound_nodes"][0]["args"][1] == 2.0  # x - 2.0
    assert entries["true_divide_1"]["inbound_nodes"][0]["args"][0] == 1.0
    assert entries["power_1"]["inbound_nodes"][0]["args"][0] == 2
    assert constants["round"] == [] and entries["round"]["config"]["decimals"] == 1
    data = np.array([[0.5, 2.0]], "float32")
    got = model.predict(data, verbose=0)
    for y, want in zip(got, [2 - data, data - 2, data / 4, 1 / (data + 1), data ** 2, 2 ** data, np.round(data, 1)]):
        np.testing.assert_allclose(y, want, rtol=1e-6)


def test_op_nodes_are_not_layers_and_have_no_weights():
    x = nnkern.Input((3,))
    model = nnkern.Model(x, ops.softmax(layers.Dense(3)(x) * 2.0))
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    assert [type(op).__name__ for op in model.operations] == ["InputLayer", "Dense", "Multiply", "Softmax"]
    assert model.count_params() == 12
