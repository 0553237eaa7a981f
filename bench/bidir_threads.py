"""Bidirectional's two directions on two threads: whole models M4 (IMDB BiLSTM) and M6 (GRU classifier, no
Bidirectional: a check that it is not slower), and the hand-off cost that sets MIN_CONCURRENT_FLOPS.

    PYTHONPATH=python python bench/bidir_threads.py                 # M4/b1, M4/b32, M6/b1, M6/b32
    PYTHONPATH=python python bench/bidir_threads.py --scan          # serial vs concurrent, small layers

Each case times, interleaved in one process (bench/timing.time_interleaved, medians), `predict` on 1 thread,
on 2 threads with the directions one after the other (the path before concurrency: each direction's kernels
on 2 threads) and on 2 threads with the directions concurrent (each on 1). The models are the M-rows' files
(bench/model_files.py) when the cache has them (made by Keras), else the same architectures built with
nnkern's Keras API (random weights: the time does not depend on the values), saved and loaded as `.keras`.
"""
import argparse
import os
import pathlib
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model_files  # noqa: E402
from timing import fmt_time, time_interleaved  # noqa: E402

import nnkern  # noqa: E402
from nnkern.layers import bidirectional  # noqa: E402

CASES = {"M4/b1": ("imdb_bilstm", 1, 200), "M4/b32": ("imdb_bilstm", 32, 200),
         "M6/b1": ("gru_classifier", 1, 100), "M6/b32": ("gru_classifier", 32, 100)}
concurrent_rule = bidirectional.Bidirectional._directions_concurrently


def set_mode(threads, concurrent):
    nnkern.set_num_threads(threads)
    bidirectional.Bidirectional._directions_concurrently = \
        concurrent_rule if concurrent else (lambda self, sequences: False)


def modes(fn):
    """{label: call} for the three ways of running fn()."""
    def run(threads, concurrent):
        def call():
            set_mode(threads, concurrent)
            return fn()
        return call
    return {"1 thread": run(1, True), "2 threads, serial": run(2, False), "2 threads, concurrent": run(2, True)}


def load(name, tmp):
    cached = pathlib.Path(model_files.DEFAULT_CACHE) / f"{name}.keras"
    if cached.exists():
        return nnkern.models.load_model(cached), "Keras file"
    path = pathlib.Path(tmp) / f"{name}.keras"
    model_files.build_keras_model(nnkern, name).save(path)
    return nnkern.models.load_model(path), "built with nnkern's API"


def time_cases(selected, budget, min_rounds):
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as tmp:
        for case in selected:
            name, batch, steps = CASES[case]
            model, origin = load(name, tmp)
            x = rng.integers(1, model_files.MODELS[name][2], size=(batch, steps)).astype(np.int32)
            calls = modes(lambda: model.predict(x, batch_size=len(x), verbose=0))
            outputs = [np.asarray(call()) for call in calls.values()]
            assert all(np.array_equal(outputs[0], y) for y in outputs[1:]), f"{case}: outputs differ between modes"
            report(case + f" ({origin})", time_interleaved(calls, budget, min_rounds, block=5e-3, settle=0.02))


def scan(budget, min_rounds):
    """The two directions of Bidirectional(LSTM(u)) over small inputs, one after the other and through
    _config.run_pair, at 2 threads: where running them concurrently starts to pay."""
    L = nnkern.layers
    rng = np.random.default_rng(5)
    nnkern.set_num_threads(2)
    report("run_pair of two empty calls",
           time_interleaved({"2 threads, concurrent": lambda: nnkern._config.run_pair(lambda: None, lambda: None)},
                            budget, min_rounds, block=5e-3))
    for units, features, batch, steps in [(16, 16, 1, 20), (32, 32, 1, 50), (64, 128, 1, 20), (64, 128, 1, 50),
                                          (64, 128, 1, 200), (32, 32, 8, 50), (64, 128, 4, 100), (64, 128, 8, 200)]:
        layer = L.Bidirectional(L.LSTM(units, return_sequences=True))
        x = rng.uniform(-1, 1, (batch, steps, features)).astype(np.float32)
        layer(x)
        forward, backward = (lambda: layer.forward_layer.call(x)), (lambda: layer.backward_layer.call(x))
        flops = 2.0 * batch * steps * sum(int(np.prod(w.shape)) for w in layer.forward_layer.weights)
        calls = {"2 threads, serial": lambda: (forward(), backward()),
                 "2 threads, concurrent": lambda: nnkern._config.run_pair(forward, backward)}
        report(f"LSTM({units}) x ({batch}, {steps}, {features}): {flops / 1e6:.2f} MFLOP per direction",
               time_interleaved(calls, budget, min_rounds, block=5e-3, settle=0.02))


def report(title, timings):
    base = timings.get("1 thread", {}).get("wall")
    cells = []
    for label, t in timings.items():
        speedup = f" ({base / t['wall']:.2f}x)" if base and label != "1 thread" else ""
        cells.append(f"{label} {fmt_time(t['wall'])}{speedup} (cpu {fmt_time(t['cpu'])})")
    rounds = next(iter(timings.values()))["rounds"]
    print(f"{title}: " + ", ".join(cells) + f"  [{rounds} rounds, load {os.getloadavg()[0]:.2f}]", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"of {', '.join(CASES)}")
    ap.add_argument("--scan", action="store_true", help="the hand-off cost and small layers instead")
    ap.add_argument("--budget", type=float, default=8.0, help="seconds of timing per case (at least 20 rounds)")
    args = ap.parse_args(argv)
    nnkern._core.set_load_aware(False)
    print(f"load average {os.getloadavg()}", flush=True)
    if args.scan:
        scan(args.budget, 20)
    else:
        time_cases([c.strip() for c in args.cases.split(",") if c.strip()], args.budget, 20)
    print(f"load average {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
