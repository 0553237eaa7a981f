"""Loading a model file does not run weight initializers (the file gives every weight), the loaded weights
are bit-exact with the file's datasets, and a weight made while deferring is initialised when read before
anything is assigned to it."""
import io
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern import initializers
from nnkern.engine.variable import deferred_initialization
from _golden_io import DATA_DIR, load_cases

FILES = [(case["id"], fmt, DATA_DIR / path) for case, _ in load_cases("saving")
         if not case["lambda"] and not case["custom_objects"] for fmt, path in case["files"].items()]


def _stored_weights(path, fmt):
    """(shape, dtype, bytes) of every model weight dataset in the file, read with h5py alone."""
    data = path.read_bytes()
    if fmt == "keras":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            data = zf.read("model.weights.h5")
    out = []
    with h5py.File(io.BytesIO(data), "r") as h5:
        root = h5["model_weights"] if fmt == "h5" else h5

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer"):
                a = obj[()]
                out.append((a.shape, str(a.dtype), a.tobytes()))
        root.visititems(visit)
    return sorted(out)


@pytest.fixture
def initializers_raise(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an initializer ran while loading a model file")
    monkeypatch.setattr(initializers, "call_initializer", refuse)


@pytest.mark.parametrize("case_id,fmt,path", FILES, ids=[f"{c}-{f}" for c, f, _ in FILES])
def test_loading_runs_no_initializer_and_weights_equal_the_file(case_id, fmt, path, initializers_raise):
    model = nnkern.models.load_model(path)
    loaded = sorted((w.shape, w.dtype, w.numpy().tobytes()) for w in model.weights)
    assert loaded == _stored_weights(path, fmt)


def test_a_model_made_in_code_still_runs_its_initializers(initializers_raise):
    with pytest.raises(AssertionError, match="an initializer ran"):
        nnkern.layers.Dense(3).build((None, 2))


def test_deferred_weight_is_initialised_when_read_before_assigned():
    layer = nnkern.layers.Dense(3, kernel_initializer="ones", bias_initializer="zeros")
    with deferred_initialization():
        layer.build((None, 2))
    assert not layer.kernel.initialized
    np.testing.assert_array_equal(layer.kernel.numpy(), np.ones((2, 3), np.float32))  # a read initialises
    assert layer.kernel.initialized
    layer.bias.assign(np.arange(3, dtype=np.float32))  # an assignment replaces the initializer
    assert layer.bias.initialized
    np.testing.assert_array_equal(layer(np.zeros((1, 2), np.float32)), [[0, 1, 2]])


def test_an_incomplete_file_is_still_refused(initializers_raise, tmp_path):
    path = DATA_DIR / "saving" / "lstm_stack.keras"
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    buffer = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as src, h5py.File(buffer, "w") as dst:
        for name in src:
            src.copy(name, dst)
        groups = []
        dst.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group) and n.endswith("vars")
                       and len(o) else None)
        del dst[groups[-1] + "/0"]  # one weight missing
    members["model.weights.h5"] = buffer.getvalue()
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(nnkern.saving.MalformedFileError):
        nnkern.models.load_model(broken)
