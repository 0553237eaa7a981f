"""bench/models.py and bench/load_time.py without their peers (the real benchmarks are not tests): workload
selection, the report of a run (timed, skipped and mismatching cases), and the h5py floor of load_time."""
import pathlib
import sys

import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"
pytestmark = pytest.mark.skipif(not (BENCH / "models.py").exists(), reason="bench/ not in this tree")


@pytest.fixture(scope="module")
def bench_modules():
    before = set(sys.modules)
    sys.path.insert(0, str(BENCH))
    try:
        import load_time
        import models
        yield models, load_time
    finally:
        sys.path.remove(str(BENCH))
        for name in set(sys.modules) - before:  # bench's `models`, `environment`, ... are not the tests' modules
            if getattr(sys.modules[name], "__file__", "") and str(BENCH) in sys.modules[name].__file__:
                del sys.modules[name]


def test_workloads_and_selection(bench_modules):
    models, _ = bench_modules
    assert models.WORKLOADS == ["M1", "M2", "M3", "M4", "M5", "M6"]
    assert [s.case for s in models.select(["M1", "M4"])] == ["M1/b1", "M1/b8", "M4/b1", "M4/b32"]
    with pytest.raises(ValueError, match="unknown workload"):
        models.select(["M9"])
    x = models.make_input(models.select(["M4"])[1], np.random.default_rng(0))
    assert x.shape == (32, 200) and x.dtype == np.int32 and x.min() >= 1


def test_report_rows(bench_modules):
    models, _ = bench_modules
    result = {"threads": 1, "load": [1.0, 1.5], "missing": {}, "cases": [
        {"case": "M1/b1", "title": "MobileNetV2", "times": {"nnkern": 0.02, "torch": 0.04, "onnxruntime": 0.01},
         "missing": {"torch.jit": "RuntimeError: x"}, "mismatch": {"keras jit": "max abs diff 1.0e+00 (scale 1)"},
         "diffs": {"torch": "max abs diff 3.0e-07 (scale 1)", "keras jit": "max abs diff 1.0e+00 (scale 1)"}},
        {"case": "M6/b1", "title": "GRU", "skipped": "nnkern cannot load it yet: UnsupportedLayersError: GRU"}]}
    text = models.report([result])
    row = next(line for line in text.splitlines() if line.startswith("| M1/b1"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:8] == ["20.00 ms", "40.00 ms", "-", "10.00 ms", "mismatch", "-"] and cells[8] == "2.00"
    assert "| M6/b1 | GRU | skipped: nnkern cannot load it yet" in text
    assert "M1/b1 torch.jit: RuntimeError: x" in text and "torch 3.0e-07" in text


def test_h5py_floor_reads_every_weight(bench_modules):
    _, load_time = bench_modules
    path = DATA_DIR / "fusion_models" / "cnn.keras"
    arrays = load_time.h5py_read_all(path)
    weights = nnkern.models.load_model(path).weights
    assert sorted(a.tobytes() for a in arrays) == sorted(w.numpy().tobytes() for w in weights)
