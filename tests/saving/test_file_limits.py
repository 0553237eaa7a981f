"""Files that used to escape nnkern's errors or take minutes: deep nesting, deep HDF5 group chains, long
Sequentials, FIFOs and devices. Only MalformedFileError / UnsupportedLayersError /
UnsafeDeserializationError may come out of load_model / load_weights, and quickly. The time bounds are
generous (main took 36-120 s on these); they catch the quadratic / cubic walks, not speed."""
import io
import os
import pathlib
import time
import zipfile

import h5py
import numpy as np
import pytest

import nnkern
from nnkern.saving import MalformedFileError
from _golden_io import DATA_DIR

GOOD = DATA_DIR / "saving" / "dense_sequential.keras"


def _with_config_text(config_text):
    with zipfile.ZipFile(GOOD) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["config.json"] = config_text
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _good_config_text():
    with zipfile.ZipFile(GOOD) as zf:
        return zf.read("config.json").decode()


# Main raised RecursionError on both (json.loads still reads them). The JSON is written as text: json.dumps
# itself recurses too deeply for these.
def test_a_layer_name_nested_500_lists_deep_is_malformed():
    text = _good_config_text()
    assert text.count('"name": "dense"') == 1
    text = text.replace('"name": "dense"', '"name": ' + "[" * 500 + '"dense"' + "]" * 500)
    with pytest.raises(MalformedFileError, match="nests deeper"):
        nnkern.models.load_model(_with_config_text(text))


def test_sequentials_nested_200_deep_are_malformed():
    text = _good_config_text()
    for i in range(200):
        text = ('{"module": "keras", "class_name": "Sequential", "config": {"name": "outer_%d", "layers": [%s]}}'
                % (i, text))
    with pytest.raises(MalformedFileError, match="nests deeper"):
        nnkern.models.load_model(_with_config_text(text))


def _deep_group_chain(depth):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        group = f
        for _ in range(depth):
            group = group.create_group("g")
    return buffer.getvalue()


def test_deep_hdf5_group_chain_is_refused_fast(tmp_path):
    data = _deep_group_chain(2000)
    assert len(data) > 2_000_000
    path = tmp_path / "deep.h5"
    path.write_bytes(data)
    model = nnkern.models.load_model(GOOD)
    start = time.perf_counter()
    with pytest.raises(MalformedFileError, match="expects 2 weight"):
        model.load_weights(path)
    with pytest.raises(MalformedFileError, match="no model config"):
        nnkern.models.load_model(path)
    assert time.perf_counter() - start < 10  # main: 112 s


def test_sequential_of_1000_activations_builds_saves_and_loads_fast():
    start = time.perf_counter()
    model = nnkern.Sequential([nnkern.Input((4,))])
    for _ in range(1000):
        model.add(nnkern.layers.Activation("relu"))
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.maximum(x, 0))
    buffer = io.BytesIO()
    model.save(buffer)
    again = nnkern.models.load_model(buffer.getvalue())
    assert len(again.layers) == 1000
    np.testing.assert_array_equal(again.predict(x, verbose=0), np.maximum(x, 0))
    assert time.perf_counter() - start < 10  # main: RecursionError after 36 s


def test_sequential_add_extends_the_graph_and_still_checks_each_layer():
    model = nnkern.Sequential([nnkern.Input((3,)), nnkern.layers.Dense(4, name="d1")])
    first_output = model.output
    model.add(nnkern.layers.Dense(2, name="d2"))
    assert model.output_shape == (None, 2) and model.built
    assert model.layers[1].input is first_output  # the first layer was not called again
    with pytest.raises(ValueError):
        model.add(nnkern.layers.Reshape((5,)))  # 2 values cannot become 5
    assert not model.built


def _load_in_child(path):
    """load_model(path) in a child process with 2 GiB of address space (one OpenMP thread) and 30 s: (exit code, last line).
    Without the regular-file check a FIFO blocks and /dev/zero is read until memory runs out."""
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    code = ("import sys, nnkern\ntry:\n    nnkern.models.load_model(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n    sys.exit(1)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pathlib.Path(nnkern.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")]))
    try:
        result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                                timeout=30, preexec_fn=limit, env=dict(env, OMP_NUM_THREADS="1"))
    except subprocess.TimeoutExpired:
        return None, "timed out"
    return result.returncode, (result.stdout.strip().splitlines() or [""])[-1]


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    status, line = _load_in_child(fifo)
    assert status == 1 and line.startswith("MalformedFileError") and "not a regular file" in line, line


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_is_refused():
    status, line = _load_in_child("/dev/zero")
    assert status == 1 and line.startswith("MalformedFileError") and "not a regular file" in line, line
