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
    assert models.WORKLOADS == ["M1", "M2", "M3", "M4", "M5", "M5b", "M6"]
    assert [s.case for s in models.select(["M1", "M4"])] == ["M1/b1", "M1/b8", "M4/b1", "M4/b32"]
    with pytest.raises(ValueError, match="unknown workload"):
        models.select(["M9"])
    x = models.make_input(models.select(["M4"])[1], np.random.default_rng(0))
    assert x.shape == (32, 200) and x.dtype == np.int32 and x.min() >= 1
    assert [s.case for s in models.select(["m5b"])] == ["M5b/b8"]  # ids in any case, as typed on a command line
    x = models.make_input(models.select(["M6"])[1], np.random.default_rng(0))  # issue 11's M6: 10000 ids, 100 steps
    assert x.shape == (32, 100) and x.min() >= 1 and x.max() < 10000


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
    # nnkern, torch, torch.jit, onnxruntime, tensorflow, keras jit, keras predict; nnkern / fastest
    assert cells[2:9] == ["20.00 ms", "40.00 ms", "-", "10.00 ms", "-", "mismatch", "-"] and cells[9] == "2.00"
    assert "| M6/b1 | GRU | skipped: nnkern cannot load it yet" in text
    assert "M1/b1 torch.jit: RuntimeError: x" in text and "torch 3.0e-07" in text


def test_h5py_floor_reads_every_weight(bench_modules):
    _, load_time = bench_modules
    path = DATA_DIR / "fusion_models" / "cnn.keras"
    arrays = load_time.h5py_read_all(path)
    weights = nnkern.models.load_model(path).weights
    assert sorted(a.tobytes() for a in arrays) == sorted(w.numpy().tobytes() for w in weights)


def test_model_targets_and_tensorflow_merge(bench_modules):
    models, _ = bench_modules
    import report

    def result(threads, nnkern_time):
        return {"threads": threads, "load": [0, 0], "missing": {}, "versions": {"jax": "1"}, "cases": [
            {"case": "M1/b8", "title": "m", "times": {"nnkern": nnkern_time, "torch": 0.02},
             "cpu_times": {"nnkern": nnkern_time, "torch": 0.02}, "diffs": {}, "mismatch": {}, "missing": {}}]}
    one, two = result(1, 0.01), result(2, 0.006)
    models.merge_tensorflow(one, {"versions": {"tensorflow": "2"}, "missing": {}, "cases": [
        {"case": "M1/b8", "times": {"nnkern": 0.5, "tensorflow": 0.005}, "cpu_times": {"tensorflow": 0.005},
         "diffs": {"tensorflow": "max abs diff 0"}, "mismatch": {}, "missing": {}}]})
    assert one["cases"][0]["times"] == {"nnkern": 0.01, "torch": 0.02, "tensorflow": 0.005}  # nnkern's own stays
    assert one["versions"] == {"jax": "1", "tensorflow": "2"}
    got = {t: ok for t, _, ok, _, _ in report.model_targets([one, two])}
    assert got == {"M1/b8 1 thread: nnkern <= fastest peer": False, "M1/b8: 2 threads >= 1.7x 1 thread": False}
    two["cases"][0]["times"]["nnkern"] = 0.005
    assert {t: ok for t, _, ok, _, _ in report.model_targets([one, two])}["M1/b8: 2 threads >= 1.7x 1 thread"]
