"""Mutation fuzzing of the golden model files (written by Keras): truncated, bytes flipped (also inside the
weights member of a `.keras` archive, re-zipped so that the zip checksum does not catch it first), and
config fields replaced with hostile values. load_model / load_weights must either load or raise one of
nnkern's three file errors; nothing else may escape (no h5py OSError / KeyError / SystemError, no
RecursionError, no AttributeError). Derandomized and bounded, so it takes a few seconds."""
import io
import json
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnkern
from nnkern.saving import MalformedFileError, UnsafeDeserializationError, UnsupportedLayersError
from _golden_io import DATA_DIR

FILE_ERRORS = (MalformedFileError, UnsafeDeserializationError, UnsupportedLayersError)
NAMES = ["dense_sequential.keras", "nested_shared.keras", "lstm_stack.keras", "merges_multi_io.keras",
         "dense_sequential.h5", "lstm_stack.h5", "nested_shared.h5"]
ORIGINALS = {name: (DATA_DIR / "saving" / name).read_bytes() for name in NAMES}
FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

HOSTILE_VALUES = [
    None, -1, 0, 2 ** 63, 1e308, True, "", "x" * 10_000, "../../../etc/passwd", [], {}, [None], [[[[[1]]]]],
    {"class_name": "function", "module": "os", "config": "system"},
    {"class_name": "function", "module": "numpy", "config": "memmap"},
    {"class_name": "__lambda__", "config": {"code": "AAAA", "defaults": None, "closure": None}},
    {"class_name": "__numpy__", "config": {"value": [1, 2], "dtype": "object"}},
    {"class_name": "__numpy__", "config": {"value": [1, 2], "dtype": "no such dtype"}},
    {"class_name": "__tuple__", "config": {"value": [None, -5]}},
    {"class_name": "__keras_tensor__", "config": {"keras_history": ["nowhere", 7, 9]}},
    {"class_name": "Sequential", "config": {"layers": "not a list"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"units": -3}},
]


def _load(data):
    try:
        return nnkern.models.load_model(io.BytesIO(data))
    except FILE_ERRORS:
        return None


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, value in members.items():
            zf.writestr(name, value)
    return out.getvalue()


def _paths(value, prefix=()):
    """Every path (tuple of keys / indices) to a value inside a JSON tree."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _replace(tree, path, new):
    if not path:
        return new
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return tree


def _config_of(name, data):
    if name.endswith(".keras"):
        return json.loads(_members(data)["config.json"])
    with h5py.File(io.BytesIO(data), "r") as f:
        text = f.attrs["model_config"]
        return json.loads(text.decode() if isinstance(text, bytes) else text)


def _with_config(name, data, config):
    text = json.dumps(config)
    if name.endswith(".keras"):
        members = _members(data)
        members["config.json"] = text
        return _zip(members)
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as f:
        f.attrs["model_config"] = text
    return buffer.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_originals_load(name):
    assert isinstance(_load(ORIGINALS[name]), nnkern.Model)


@FUZZ
@given(name=st.sampled_from(NAMES), fraction=st.floats(0, 1, exclude_max=True))
def test_truncated(name, fraction):
    data = ORIGINALS[name]
    assert _load(data[:int(len(data) * fraction)]) is None


@FUZZ
@given(name=st.sampled_from(NAMES), flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                                             st.integers(1, 255)), min_size=1, max_size=8),
       inside_weights=st.booleans())
def test_flipped_bytes(name, flips, inside_weights):
    data = ORIGINALS[name]
    members = _members(data) if name.endswith(".keras") and inside_weights else None
    target = bytearray(members["model.weights.h5"] if members else data)
    for position, mask in flips:
        target[int(position * len(target))] ^= mask
    if members:
        members["model.weights.h5"] = bytes(target)
        target = _zip(members)
    _load(bytes(target))
    model = _load(data)
    try:
        model.load_weights(io.BytesIO(bytes(target)))
    except FILE_ERRORS:
        pass


@FUZZ
@given(name=st.sampled_from(NAMES), choice=st.floats(0, 1, exclude_max=True),
       value=st.sampled_from(HOSTILE_VALUES))
def test_hostile_config_values(name, choice, value):
    data = ORIGINALS[name]
    config = _config_of(name, data)
    paths = list(_paths(config))
    config = _replace(config, paths[int(choice * len(paths))], json.loads(json.dumps(value)))
    model = _load(_with_config(name, data, config))
    if model is not None:  # a correct load: it runs
        inputs = [np.zeros((1,) + tuple(d or 2 for d in t.shape[1:]), t.dtype) for t in model.inputs]
        try:
            model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        except (ValueError, TypeError):
            pass  # a config with, e.g., another input shape may not accept these zeros: a clean error
