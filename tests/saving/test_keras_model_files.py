"""Model files written by real Keras 3 (tests/golden/gen_saving.py): nnkern loads every `.keras` and
legacy `.h5` file and predicts what Keras predicted; nnkern's own files load back the same and use the
same weight paths as Keras's; weights files; pickling; safe_mode for Lambda bytecode."""
import io
import pickle
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern.saving import UnsafeDeserializationError
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


def _load(path, case):
    return nnkern.models.load_model(path, safe_mode=not case["lambda"])


def _weight_datasets(h5_bytes):
    """{path: shape} of every weight in a Keras 3 weights file."""
    out = {}
    with h5py.File(io.BytesIO(h5_bytes), "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset) else None)
    return out


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


def test_keras2_whole_model_h5(tmp_path):
    """A tf.keras 2 style file (Keras 2 config spellings, weights by layer name), checked against numpy."""
    rng = np.random.default_rng(3)
    w1, b1 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    w2, b2 = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "batch_input_shape": [None, 4],
                                           "dtype": "float32", "units": 3, "activation": "relu",
                                           "use_bias": True, "kernel_initializer": init,
                                           "bias_initializer": {"class_name": "Zeros", "config": {}},
                                           "kernel_regularizer": None, "bias_regularizer": None,
                                           "activity_regularizer": None, "kernel_constraint": None,
                                           "bias_constraint": None}},
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "dtype": "float32",
                                           "units": 2, "activation": "linear", "use_bias": True,
                                           "kernel_initializer": init,
                                           "bias_initializer": {"class_name": "Zeros", "config": {}}}}]}}
    import json
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"dense_input", b"dense", b"dense_1"])
        g.create_group("dense_input").attrs["weight_names"] = np.array([], dtype="S1")
        for name, (k, b) in {"dense": (w1, b1), "dense_1": (w2, b2)}.items():
            lg = g.create_group(name)
            lg.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()])
            lg.create_dataset(f"{name}/kernel:0", data=k)
            lg.create_dataset(f"{name}/bias:0", data=b)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    model = nnkern.models.load_model(path)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    fresh = nnkern.Sequential([nnkern.Input((4,)), nnkern.layers.Dense(3, activation="relu"),
                               nnkern.layers.Dense(2)])
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


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
