"""Model files written by real Keras 3 (tests/golden/gen_saving.py): nnkern loads every `.keras` and
legacy `.h5` file and predicts what Keras predicted; nnkern's own files load back the same and use the
same weight paths as Keras's; weights files; pickling; safe_mode for Lambda bytecode."""
import io
import json
import pickle
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern.saving import UnsafeDeserializationError
from _custom_layers import scaled_residual_class
from _golden_io import DATA_DIR, load_cases

CASES = load_cases("saving")
FILES = [(case, arrays, fmt) for case, arrays in CASES for fmt in case["files"]]


def _inputs(case, arrays):
    xs = [arrays[f"x{i}"] for i in range(case["inputs"])]
    return xs if len(xs) > 1 else xs[0]


def _check_outputs(model, case, arrays):
    y = model.predict(_inputs(case, arrays), verbose=0)
    ys = y if isinstance(y, (list, tuple)) else [y]
    assert len(ys) == case["outputs"]
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=1e-4, atol=1e-6, err_msg=f"{case['id']} output {i}")


class ScaledResidual(scaled_residual_class(nnkern.layers)):
    """The generator's user layer, as a module-level class (so models using it pickle)."""


def _load(path, case):
    custom = {"ScaledResidual": ScaledResidual} if "ScaledResidual" in case["custom_objects"] else None
    return nnkern.models.load_model(path, safe_mode=not case["lambda"], custom_objects=custom)


def _weight_datasets(h5_bytes):
    """{path: shape} of every model weight in a Keras 3 weights file (not a compiled model's optimizer)."""
    out = {}
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset) else None)
    return {k: v for k, v in out.items() if not k.startswith("optimizer/")}


@pytest.mark.parametrize("case,arrays,fmt", FILES, ids=[f"{c['id']}-{fmt}" for c, _, fmt in FILES])
def test_keras_file_predicts_as_keras(case, arrays, fmt):
    model = _load(DATA_DIR / case["files"][fmt], case)
    _check_outputs(model, case, arrays)
    assert [t._keras_history[0].name for t in model.inputs] == case["input_names"]


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_save_then_load_round_trip(case, arrays, tmp_path):
    model = _load(DATA_DIR / case["files"]["keras"], case)
    path = tmp_path / "copy.keras"
    model.save(path)
    _check_outputs(_load(path, case), case, arrays)
    # nnkern writes every weight at the same attribute path, with the same shape, as Keras did.
    with zipfile.ZipFile(DATA_DIR / case["files"]["keras"]) as keras_zip, zipfile.ZipFile(path) as ours:
        assert sorted(ours.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert _weight_datasets(ours.read("model.weights.h5")) == \
            _weight_datasets(keras_zip.read("model.weights.h5"))


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_pickle_round_trip(case, arrays):
    model = _load(DATA_DIR / case["files"]["keras"], case)
    clone = pickle.loads(pickle.dumps(model))
    assert clone is not model and type(clone) is type(model)
    _check_outputs(clone, case, arrays)


def test_user_layer_needs_custom_objects():
    case, _ = next((c, a) for c, a in CASES if c["custom_objects"])
    with pytest.raises(nnkern.saving.UnsupportedLayersError, match=r"ScaledResidual \(layer 'residual'\)"):
        nnkern.models.load_model(DATA_DIR / case["files"]["keras"])


def test_weights_file_into_model_from_config(tmp_path):
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "nested_shared")
    model = _load(DATA_DIR / case["files"]["keras"], case)
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = nnkern.Model.from_config(model.get_config())
    with pytest.raises(AssertionError):
        _check_outputs(fresh, case, arrays)  # freshly initialised: different outputs
    fresh.load_weights(tmp_path / "w.weights.h5")
    _check_outputs(fresh, case, arrays)


def _dense_sequential_in_code():
    layers = nnkern.layers
    return nnkern.Sequential([nnkern.Input((6,)), layers.Dense(5, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(4), layers.Activation("softmax")])


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_load_weights_of_keras_file_into_model_built_in_code(fmt):
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "dense_sequential")
    model = _dense_sequential_in_code()
    model.load_weights(DATA_DIR / case["files"][fmt])
    _check_outputs(model, case, arrays)


def test_load_weights_rejects_mismatched_model(tmp_path):
    case, _ = next((c, a) for c, a in CASES if c["id"] == "dense_sequential")
    model = nnkern.Sequential([nnkern.Input((6,)), nnkern.layers.Dense(7), nnkern.layers.Dense(4)])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"shape \(6, 5\) in the file but the config gives \(6, 7\)"):
        model.load_weights(DATA_DIR / case["files"]["keras"])
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # nothing assigned


def test_compile_true_restores_named_loss_and_metrics():
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "dense_sequential")
    with zipfile.ZipFile(DATA_DIR / case["files"]["keras"]) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    config["compile_config"] = {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"],
                                "loss_weights": None}
    members["config.json"] = json.dumps(config)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert not nnkern.models.load_model(buffer.getvalue()).compiled
    model = nnkern.models.load_model(buffer.getvalue(), compile=True)
    labels = np.array([0, 2, 3])
    loss, accuracy = model.evaluate(arrays["x0"], np.eye(4, dtype=np.float32)[labels], verbose=0)
    probs = arrays["y0"].astype(np.float64)  # Keras's outputs: the loss follows from them
    np.testing.assert_allclose(loss, -np.log(probs[np.arange(3), labels]).mean(), rtol=1e-5)
    assert accuracy == pytest.approx(np.mean(probs.argmax(1) == labels))


def test_tf_keras_2_13_weights_group_name():
    """tf.keras 2.13+ `.keras` files keep the layers' weights under `_layer_checkpoint_dependencies`."""
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "nested_shared")
    with zipfile.ZipFile(DATA_DIR / case["files"]["keras"]) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        f.move("layers", "_layer_checkpoint_dependencies")
    members["model.weights.h5"] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    _check_outputs(nnkern.models.load_model(out.getvalue()), case, arrays)


def test_trained_compiled_file_ignores_training_state():
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "trained_compiled")
    path = DATA_DIR / case["files"]["keras"]
    with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        assert len(f["optimizer/vars"]) > 2  # Adam's iteration count, learning rate, moments
    model = nnkern.models.load_model(path, compile=True)
    assert model.compiled and model.loss == "sparse_categorical_crossentropy"
    _check_outputs(model, case, arrays)


def test_lambda_bytecode_refused_in_safe_mode():
    case, arrays = next((c, a) for c, a in CASES if c["lambda"])
    path = DATA_DIR / case["files"]["keras"]
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False") as info:
        nnkern.models.load_model(path)
    assert isinstance(info.value, ValueError) and "arbitrary code execution" in str(info.value)
    _check_outputs(nnkern.models.load_model(path, safe_mode=False), case, arrays)


def test_lambda_saved_by_nnkern_round_trips(tmp_path):
    inp = nnkern.Input((3,))
    model = nnkern.Model(inp, nnkern.layers.Lambda(lambda t, k=3.0: t * k - 1.0)(nnkern.layers.Dense(2)(inp)))
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    model.save(tmp_path / "lam.keras")
    with pytest.raises(UnsafeDeserializationError):
        nnkern.models.load_model(tmp_path / "lam.keras")
    again = nnkern.models.load_model(tmp_path / "lam.keras", safe_mode=False)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def _write_keras2_h5(path, config, layer_names, weights):
    """A tf.keras 2 whole-model file: `model_config` JSON, `model_weights/<layer>/<weight name>` datasets
    listed by the `layer_names` / `weight_names` attributes (weights: {layer: [(name, array)]})."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode() for n in layer_names])
        for name in layer_names:
            lg = g.create_group(name)
            pairs = weights.get(name, [])
            lg.attrs["weight_names"] = np.array([w.encode() for w, _ in pairs], dtype="S64")
            for weight_name, value in pairs:
                lg.create_dataset(weight_name, data=value)


_INIT = {"class_name": "GlorotUniform", "config": {"seed": None}}
_ZEROS = {"class_name": "Zeros", "config": {}}


def _keras2_dense(name, units, activation, **extra):
    return {"class_name": "Dense", "config": {"name": name, "trainable": True, "dtype": "float32", "units": units,
                                              "activation": activation, "use_bias": True,
                                              "kernel_initializer": _INIT, "bias_initializer": _ZEROS,
                                              "kernel_regularizer": None, "bias_regularizer": None,
                                              "activity_regularizer": None, "kernel_constraint": None,
                                              "bias_constraint": None, **extra}}


def test_keras2_sequential_h5(tmp_path):
    """Keras 2 spellings (batch_input_shape, Keras 2 config keys), checked against numpy."""
    rng = np.random.default_rng(3)
    w1, b1 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    w2, b2 = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        _keras2_dense("dense", 3, "relu", batch_input_shape=[None, 4]),
        _keras2_dense("dense_1", 2, "linear")]}}
    path = tmp_path / "keras2.h5"
    _write_keras2_h5(path, config, ["dense_input", "dense", "dense_1"],
                     {"dense": [("dense/kernel:0", w1), ("dense/bias:0", b1)],
                      "dense_1": [("dense_1/kernel:0", w2), ("dense_1/bias:0", b2)]})
    x = rng.normal(size=(5, 4)).astype(np.float32)
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    model = nnkern.models.load_model(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    fresh = nnkern.Sequential([nnkern.Input((4,)), nnkern.layers.Dense(3, activation="relu"),
                               nnkern.layers.Dense(2)])
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def _split_attribute(group, name, parts):
    """Respell the attribute `name` as Keras 2 writes one over HDF5's 64 kB limit: `name0`, `name1`, ..."""
    values = group.attrs[name]
    del group.attrs[name]
    for i, chunk in enumerate(np.array_split(values, parts)):
        group.attrs[f"{name}{i}"] = chunk


def test_keras2_h5_attributes_split_in_chunks(tmp_path):
    """ResNetRS350's `layer_names` (and a big model's `weight_names`) exceed 64 kB: Keras 2 writes them as
    `layer_names0`, `layer_names1`, ... and reads them back in order. Both a whole-model file and a weights
    file (`layer_names` at the root) load so; reordered chunks would give the weights to the wrong layers."""
    rng = np.random.default_rng(5)
    w1, b1 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    w2, b2 = rng.normal(size=(3, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "x"}},
        _keras2_dense("dense", 3, "relu"), _keras2_dense("dense_1", 3, "linear")]}}
    weights = {"dense": [("dense/kernel:0", w1), ("dense/bias:0", b1)],
               "dense_1": [("dense_1/kernel:0", w2), ("dense_1/bias:0", b2)]}
    x = rng.normal(size=(5, 4)).astype(np.float32)
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    path = tmp_path / "split.h5"
    _write_keras2_h5(path, config, ["x", "dense", "dense_1"], weights)
    with h5py.File(path, "r+") as f:
        _split_attribute(f["model_weights"], "layer_names", 3)
        _split_attribute(f["model_weights/dense_1"], "weight_names", 2)
        assert "layer_names" not in f["model_weights"].attrs and "layer_names2" in f["model_weights"].attrs
    np.testing.assert_allclose(nnkern.models.load_model(path).predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)

    weights_path = tmp_path / "split_weights.h5"  # a Keras 2 weights file: the layer groups at the root
    with h5py.File(path, "r") as src, h5py.File(weights_path, "w") as dst:
        for name in src["model_weights"]:
            src.copy(src["model_weights"][name], dst, name)
        for key, value in src["model_weights"].attrs.items():
            dst.attrs[key] = value
    fresh = nnkern.Sequential([nnkern.Input((4,)), nnkern.layers.Dense(3, activation="relu"),
                               nnkern.layers.Dense(3)])
    fresh.load_weights(weights_path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("class_name", ["Functional", "Model"])  # tf.keras >= 2.4 / older Keras 2
def test_keras2_functional_lstm_h5(tmp_path, class_name):
    """Two inputs, an LSTM with Keras 2's config keys and cell weight names, legacy inbound_nodes lists."""
    from numpy_ref.lstm import lstm as lstm_ref
    rng = np.random.default_rng(4)
    kernel, recurrent = rng.normal(size=(3, 16)).astype(np.float32), rng.normal(size=(4, 16)).astype(np.float32)
    bias = rng.normal(size=16).astype(np.float32)
    w, b = rng.normal(size=(6, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    lstm_config = {"name": "lstm", "trainable": True, "dtype": "float32", "return_sequences": False,
                   "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
                   "time_major": False, "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid",
                   "use_bias": True, "kernel_initializer": _INIT,
                   "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                   "bias_initializer": _ZEROS, "unit_forget_bias": True, "kernel_regularizer": None,
                   "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                   "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
                   "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
    dense = _keras2_dense("dense", 2, "linear")
    config = {"class_name": class_name, "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "seq_in", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 5, 3], "dtype": "float32", "sparse": False, "ragged": False,
                    "name": "seq_in"}},
        {"class_name": "InputLayer", "name": "side_in", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 2], "dtype": "float32", "sparse": False, "ragged": False,
                    "name": "side_in"}},
        {"class_name": "LSTM", "name": "lstm", "config": lstm_config, "inbound_nodes": [[["seq_in", 0, 0, {}]]]},
        {"class_name": "Concatenate", "name": "concatenate",
         "config": {"name": "concatenate", "trainable": True, "dtype": "float32", "axis": -1},
         "inbound_nodes": [[["lstm", 0, 0, {}], ["side_in", 0, 0, {}]]]},
        {**dense, "name": "dense", "inbound_nodes": [[["concatenate", 0, 0, {}]]]}],
        "input_layers": [["seq_in", 0, 0], ["side_in", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    path = tmp_path / "keras2_functional.h5"
    _write_keras2_h5(path, config, ["seq_in", "side_in", "lstm", "concatenate", "dense"],
                     {"lstm": [("lstm/lstm_cell/kernel:0", kernel), ("lstm/lstm_cell/recurrent_kernel:0", recurrent),
                               ("lstm/lstm_cell/bias:0", bias)],
                      "dense": [("dense/kernel:0", w), ("dense/bias:0", b)]})
    seq = rng.normal(size=(3, 5, 3)).astype(np.float32)
    side = rng.normal(size=(3, 2)).astype(np.float32)
    h = lstm_ref(seq, kernel, recurrent, bias)[0]
    expected = np.concatenate([h, side], axis=-1) @ w + b
    model = nnkern.models.load_model(path)
    np.testing.assert_allclose(model.predict([seq, side], verbose=0), expected, rtol=1e-4, atol=1e-5)


def test_bundled_digits_model_weight_paths():
    model = nnkern.models.load_model(nnkern.__path__[0] + "/data/digits_cnn.keras")
    from nnkern.saving.object_paths import variable_groups
    paths = [p for p, obj in variable_groups(model) if obj.weights and not isinstance(obj, nnkern.Model)]
    assert paths == ["layers/conv2d", "layers/conv2d_1", "layers/dense", "layers/dense_1"]


def test_save_requires_keras_extension(tmp_path):
    case, _ = CASES[0]
    model = _load(DATA_DIR / case["files"]["keras"], case)
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.save_weights(tmp_path / "model.h5")


def test_keras2_lambda_bytecode_h5(tmp_path):
    """Keras 2 stored a lambda as `function: [base64 marshal, defaults, closure]`, function_type 'lambda'."""
    import codecs
    import marshal
    fn = lambda t, k=3.0: t * k + 1.0  # noqa: E731
    code = codecs.encode(marshal.dumps(fn.__code__), "base64").decode("ascii")
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "x"}},
        {"class_name": "Lambda", "config": {"name": "lambda", "trainable": True, "dtype": "float32",
                                            "function": [code, [3.0], None], "function_type": "lambda",
                                            "module": "__main__", "output_shape": None,
                                            "output_shape_type": "raw", "output_shape_module": None,
                                            "arguments": {}}}]}}
    path = tmp_path / "lambda2.h5"
    _write_keras2_h5(path, config, ["x", "lambda"], {})
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False"):
        nnkern.models.load_model(path)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    model = nnkern.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(model.predict(x, verbose=0), x * 3.0 + 1.0)


def test_keras2_h5_inconsistent_weights(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "x"}},
        _keras2_dense("dense", 3, "relu")]}}
    kernel, bias = np.ones((4, 3), np.float32), np.ones(3, np.float32)
    cases = {
        "layer count": ({"dense": [("dense/kernel:0", kernel), ("dense/bias:0", bias)],
                         "extra": [("extra/kernel:0", kernel)]}, ["x", "dense", "extra"],
                        r"weights for 2 layer\(s\) \(\['dense', 'extra'\]\) but the model has 1"),
        "weight count": ({"dense": [("dense/kernel:0", kernel)]}, ["x", "dense"],
                         r"layer 'dense' \(Dense\) expects 2 weight\(s\) but the file's layer 'dense' holds 1"),
        "shape": ({"dense": [("dense/kernel:0", np.ones((4, 2), np.float32)), ("dense/bias:0", bias)]},
                  ["x", "dense"], r"weight 'kernel' \('/model_weights/dense/dense/kernel:0'\) has shape "
                                  r"\(4, 2\) in the file but the config gives \(4, 3\)"),
    }
    for name, (weights, layer_names, match) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.h5"
        _write_keras2_h5(path, config, layer_names, weights)
        with pytest.raises(nnkern.saving.MalformedFileError, match=match):
            nnkern.models.load_model(path)
    path = tmp_path / "listed_but_missing.h5"
    _write_keras2_h5(path, config, ["x", "dense"], {"dense": [("dense/kernel:0", kernel), ("dense/bias:0", bias)]})
    with h5py.File(path, "r+") as f:
        f["model_weights"].attrs["layer_names"] = np.array([b"x", b"dense", b"ghost"])
    with pytest.raises(nnkern.saving.MalformedFileError, match="layer group 'ghost' listed in layer_names is missing"):
        nnkern.models.load_model(path)
