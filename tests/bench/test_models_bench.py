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


def fake_children(models, monkeypatch, nnkern_times):
    """models.run() with its children faked: each child writes a result for M1/b8 whose nnkern time is
    nnkern_times[(threads, peers)], peers as on its command line. The children's (threads, peers) calls."""
    import json
    calls = []

    def fake_run(cmd, check, env):
        threads, peers = int(cmd[cmd.index("--threads") + 1]), cmd[cmd.index("--peers") + 1]
        calls.append((threads, peers))
        times = {"nnkern": nnkern_times[(threads, peers)], **({"torch": 0.02} if peers else {})}
        pathlib.Path(cmd[cmd.index("--result") + 1]).write_text(json.dumps({
            "threads": threads, "versions": {}, "missing": {}, "load": [0.5, 0.7], "cases": [
                {"case": "M1/b8", "workload": "M1", "title": "m", "times": times, "cpu_times": times, "diffs": {},
                 "mismatch": {}, "missing": {}}]}))

    monkeypatch.setattr(models.subprocess, "run", fake_run)
    monkeypatch.setattr(models.model_files, "ensure", lambda *a: None)
    return calls


def run_args(models, tmp_path, threads, peers):
    import argparse
    return argparse.Namespace(workloads=["M1"], threads=threads, quick=True, cache=str(tmp_path), peers=peers,
                              python=sys.executable, keras_python=None)


def test_run_adds_alone_children_that_judge_the_scaling(bench_modules, monkeypatch, tmp_path):
    models, _ = bench_modules
    import report
    peers = "torch,onnxruntime,keras"
    # next to the peers 10 -> 8 ms (1.25x); alone 10 -> 5.5 ms (1.82x)
    calls = fake_children(models, monkeypatch, {(1, peers): 0.010, (2, peers): 0.008, (1, "tensorflow"): 1.0,
                                                (2, "tensorflow"): 1.0, (1, ""): 0.010, (2, ""): 0.0055})
    results = models.run(run_args(models, tmp_path, [1, 2], peers.split(",") + ["tensorflow"]))
    assert calls == [(1, peers), (1, "tensorflow"), (2, peers), (2, "tensorflow"), (1, ""), (2, "")]
    assert [(r["threads"], r["alone"]["threads"]) for r in results] == [(1, 1), (2, 2)]
    assert [r["cases"][0]["times"]["nnkern"] for r in results] == [0.010, 0.008]  # the peers' children's own
    got = {t: (f, ok) for t, f, ok, _, _ in report.model_targets(results)}
    assert got["M1/b8: 2 threads >= 1.7x 1 thread (nnkern alone in its process)"] == \
        ("1.82x (next to the peers 1.25x)", True)
    assert "M1/b8: 2 threads >= 1.7x 1 thread" not in got  # judged once, on the alone runs
    text = models.report(results)
    scaling = text.split("### Scaling: 1-thread time / 2-thread time")[1]
    assert "nnkern alone in a process of its own" in scaling
    head = next(line for line in scaling.splitlines() if line.startswith("| case"))
    row = next(line for line in scaling.splitlines() if line.startswith("| M1/b8"))
    cells = dict(zip([c.strip() for c in head.strip("|").split("|")], [c.strip() for c in row.strip("|").split("|")]))
    assert (cells["nnkern"], cells["torch"], cells["onnxruntime"], cells["nnkern alone"]) == \
        ("1.25x", "1.00x", "-", "1.82x")


@pytest.mark.parametrize("threads, peers", [([2], ["torch"]), ([1, 2], [])])
def test_run_without_alone_children(bench_modules, monkeypatch, tmp_path, threads, peers):
    # only 2 threads asked for, or no peers (the main children run nnkern alone already): no extra children,
    # and the scaling is judged on the main children as before
    models, _ = bench_modules
    import report
    calls = fake_children(models, monkeypatch, {(1, "torch"): 0.010, (2, "torch"): 0.008, (1, ""): 0.010,
                                                (2, ""): 0.0055})
    results = models.run(run_args(models, tmp_path, threads, peers))
    assert calls == [(t, ",".join(peers)) for t in threads]
    assert not any("alone" in r for r in results)
    got = {t: (f, ok) for t, f, ok, _, _ in report.model_targets(results)}
    if threads == [1, 2]:
        assert got["M1/b8: 2 threads >= 1.7x 1 thread"] == ("1.82x", True)
        assert "nnkern alone" not in models.report(results)
    else:
        assert not any("2 threads" in t for t in got)
