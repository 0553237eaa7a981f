"""safe_mode (the default) closes code execution from a model file: hostile `.keras` files built here
name numpy functions for Lambda layers and pass them data through `arguments` and the constant
arguments of inbound nodes. Each must be refused at load with UnsafeDeserializationError naming the
layer, before any file is created, read or changed."""
import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern.saving import UnsafeDeserializationError


def _archive(config, weights=None):
    """A `.keras` archive of `config` and `weights` ({path in the weights file: array})."""
    weights_file = io.BytesIO()
    with h5py.File(weights_file, "w") as f:
        f.create_group("layers")
        for path, value in (weights or {}).items():
            f.create_dataset(path, data=value)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights_file.getvalue())
    return out.getvalue()


def _function(name, module="numpy"):
    return {"module": module, "class_name": "function", "config": name, "registered_name": None}


def _tensor(layer):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None, 3], "dtype": "float32", "keras_history": [layer, 0, 0]}}


def _functional(layers, output):
    x = {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
         "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "x"}}
    return {"module": "keras", "class_name": "Functional",
            "config": {"name": "hostile", "trainable": True, "layers": [x] + layers,
                       "input_layers": [["x", 0, 0]], "output_layers": [[output, 0, 0]]}}


def _lambda(name, function, arguments, kwargs, output_shape=(3,)):
    """A Lambda whose call gets `kwargs` from its inbound node: `inputs` a constant (a path) reaches the
    function as its first argument; a `mask` tensor wires the layer into the graph so that it runs at
    predict (with output_shape given, nothing runs at load)."""
    config = {"name": name, "function": _function(function), "arguments": arguments,
              "output_shape": list(output_shape)}
    return {"module": "keras.layers", "class_name": "Lambda", "name": name, "config": config,
            "inbound_nodes": [{"args": [], "kwargs": kwargs}]}


def _snapshot(directory):
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _memmap_at_load(tmp_path):
    target = tmp_path / "created.bin"
    return _functional([_lambda("evil", "memmap", {"mode": "w+", "shape": [16]}, {"inputs": str(target)})],
                       "evil"), "evil"


def _fromfile_at_predict(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("1 2 3\n")
    return _functional([_lambda("reader", "fromfile", {"dtype": "uint8"},
                                {"inputs": str(secret), "mask": _tensor("x")})], "reader"), "reader"


def _loadtxt_at_predict(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("1 2 3\n")
    return _functional([_lambda("reader", "loadtxt", {"converters": _function("float32")},
                                {"inputs": str(secret), "mask": _tensor("x")})], "reader"), "reader"


def _memmap_put_at_predict(tmp_path):
    victim = tmp_path / "victim.bin"
    victim.write_bytes(b"\x00" * 16)
    opener = _lambda("opener", "memmap", {"mode": "r+", "shape": [16]}, {"inputs": str(victim), "mask": _tensor("x")})
    writer = _lambda("writer", "put", {"ind": [0, 1], "v": [66, 66]}, {})
    writer["inbound_nodes"] = [{"args": [_tensor("opener")], "kwargs": {}}]
    return _functional([opener, writer], "writer"), "opener"


def _savetxt_then_pickle_at_predict(tmp_path):
    # savetxt writes a protocol-0 pickle (it is text); np.load(allow_pickle=True) then runs it: here it
    # only creates a file, a shell command would do as well.
    payload = tmp_path / "payload.txt"
    pwned = tmp_path / "pwned"
    text = f"c__builtin__\nopen\n(S'{pwned}'\nS'w'\ntR."
    writer = _lambda("writer", "savetxt", {"X": [text], "fmt": "%s"},
                     {"inputs": str(payload), "mask": _tensor("x")})
    loader = _lambda("loader", "load", {"allow_pickle": True}, {"inputs": str(payload), "mask": _tensor("writer")})
    return _functional([writer, loader], "loader"), "writer"


ATTACKS = {"memmap_at_load": _memmap_at_load, "fromfile_at_predict": _fromfile_at_predict,
           "loadtxt_at_predict": _loadtxt_at_predict, "memmap_put_at_predict": _memmap_put_at_predict,
           "savetxt_pickle_at_predict": _savetxt_then_pickle_at_predict}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_file_refused_before_touching_any_file(attack, tmp_path):
    config, layer = ATTACKS[attack](tmp_path)
    before = _snapshot(tmp_path)
    data = _archive(config)
    with pytest.raises(UnsafeDeserializationError, match=f"layer '{layer}' \\(Lambda\\)"):
        nnkern.models.load_model(io.BytesIO(data))
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_cli_refuses_hostile_files(attack, tmp_path, capsys):
    from nnkern.cli import main
    config, layer = ATTACKS[attack](tmp_path)
    path = tmp_path / "hostile.keras"
    path.write_bytes(_archive(config))
    x = tmp_path / "x.npy"
    np.save(x, np.ones((2, 3), np.float32))
    before = _snapshot(tmp_path)
    assert main(["predict", str(path), str(x), "-o", str(tmp_path / "y.npy")]) != 0
    assert f"layer '{layer}' (Lambda)" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


# What each file achieves with safe_mode off: (tmp_path, predict's result) -> True.
EFFECTS = {"memmap_at_load": lambda d, _: (d / "created.bin").exists(),
           "fromfile_at_predict": lambda _, y: np.asarray(y, np.uint8).tobytes() == b"1 2 3\n",
           "loadtxt_at_predict": lambda _, y: np.array_equal(y, [1, 2, 3]),
           "memmap_put_at_predict": lambda d, _: (d / "victim.bin").read_bytes()[:2] == b"BB",
           "savetxt_pickle_at_predict": lambda d, _: (d / "pwned").exists()}


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_attacks_are_real_with_safe_mode_off(attack, tmp_path):
    """safe_mode=False resolves numpy functions by name, as Keras does: each file above then does what it
    was built for (this is what safe_mode=False means: only for files you trust)."""
    config, _ = ATTACKS[attack](tmp_path)
    result = None
    try:
        model = nnkern.models.load_model(io.BytesIO(_archive(config)), safe_mode=False)
        result = model.predict(np.ones((2, 3), np.float32), verbose=0)
    except ValueError:  # the graph is nonsense once the harm is done
        pass
    assert EFFECTS[attack](tmp_path, result)


def _double(t):
    return t * 2.0


def test_lambda_named_function_only_from_custom_objects(tmp_path):
    inp = nnkern.Input((3,))
    nnkern.Model(inp, nnkern.layers.Lambda(_double, name="twice")(inp)).save(tmp_path / "m.keras")
    with pytest.raises(UnsafeDeserializationError, match="layer 'twice' \\(Lambda\\).*'_double'.*custom_objects"):
        nnkern.models.load_model(tmp_path / "m.keras")
    model = nnkern.models.load_model(tmp_path / "m.keras", custom_objects={"_double": _double})
    np.testing.assert_array_equal(model.predict(np.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])


def _dense_config(activation, **extra):
    return {"module": "keras.layers", "class_name": "Dense", "name": "dense",
            "config": {"name": "dense", "units": 2, "activation": activation, **extra},
            "inbound_nodes": [{"args": [_tensor("x")], "kwargs": {}}]}


@pytest.mark.parametrize("activation,allowed", [
    (_function("relu", module="builtins"), True),          # an nnkern activation, by name
    (_function("memmap"), False),                          # a numpy function
    (_function("system", module="os"), False),             # anything else named by the file
    ({"class_name": "__lambda__", "config": {"code": "AAAA"}}, False),
])
def test_functions_named_anywhere_resolve_only_in_the_allowlist(activation, allowed):
    data = _archive(_functional([_dense_config(activation)], "dense"),
                    {"layers/dense/vars/0": np.ones((3, 2), np.float32), "layers/dense/vars/1": np.zeros(2)})
    if allowed:
        model = nnkern.models.load_model(io.BytesIO(data))
        np.testing.assert_array_equal(model.predict(-np.ones((1, 3)), verbose=0), [[0.0, 0.0]])
    else:
        with pytest.raises(UnsafeDeserializationError, match="layer 'dense' \\(Dense\\), argument 'activation'"):
            nnkern.models.load_model(io.BytesIO(data))


def test_keras2_lambda_named_function_refused_unless_given(tmp_path):
    config = _functional([{"class_name": "Lambda", "name": "lam", "config": {
        "name": "lam", "function": "_double", "function_type": "function", "module": "os",
        "output_shape": None, "output_shape_type": "raw", "arguments": {}},
        "inbound_nodes": [{"args": [_tensor("x")], "kwargs": {}}]}], "lam")
    with pytest.raises(UnsafeDeserializationError, match="layer 'lam' \\(Lambda\\)"):
        nnkern.models.load_model(io.BytesIO(_archive(config)))
    model = nnkern.models.load_model(io.BytesIO(_archive(config)), custom_objects={"_double": _double})
    np.testing.assert_array_equal(model.predict(np.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])


def test_object_arrays_in_a_config_are_refused():
    from nnkern.saving import MalformedFileError
    hostile = {"class_name": "__numpy__", "config": {"value": [1, "a"], "dtype": "object"}}
    config = _functional([_lambda("lam", "sum", {"axis": hostile}, {})], "lam")
    config["config"]["layers"][1]["inbound_nodes"] = [{"args": [_tensor("x")], "kwargs": {}}]
    with pytest.raises(MalformedFileError, match="object"):
        nnkern.models.load_model(io.BytesIO(_archive(config)), safe_mode=False)
