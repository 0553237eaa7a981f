"""The child process: builds each workload's candidates, checks their outputs agree, and times them in
interleaved rounds; writes its result as JSON for the parent."""
import gc
import json
import os
import pathlib
import statistics
import sys
import time

import numpy as np

import workloads
from environment import Env, keras_backend, prepare_thread_env
from peers import candidates, nnkern_model


def fmt_time(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def agree(got, want):
    if got.shape != want.shape:
        return False, f"shape {got.shape} != {want.shape}"
    err = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return err <= 1e-3 * scale, f"max abs diff {err:.2e} (scale {scale:.2g})"


def time_interleaved(fns, budget, min_rounds, block=2e-3, max_rounds=400, settle=0.0):
    """{name: {"wall", "cpu": median seconds per call, "rounds", "calls" per block}}: each round times one block
    of calls of every candidate, in a new random order (so no candidate always follows the same one and inherits
    its cache state); blocks last about `block` seconds (one call if longer). `settle` seconds of sleep after
    each block let the candidate's worker threads stop spinning before the next one runs: OpenMP's pools
    busy-wait for a few ms after a call and take the core the next candidate's second thread needs. (ONNX
    Runtime's and numpy's OpenBLAS pools spin longer, ~0.1 s measured here, and still disturb the next
    candidate at 2 threads; much longer pauses made every candidate slower, from cold cores and caches.)
    "cpu" is the process's CPU time per call: at one thread it is not inflated by time spent off the CPU
    when other jobs load the machine (at several threads it also counts idle workers' spinning)."""
    names = list(fns)
    calls = {}
    for name in names:
        fn = fns[name]
        fn()
        t = min(timed(fn, 1)[0] for _ in range(3))
        calls[name] = max(1, int(block / max(t, 1e-7)))
    round_time = sum(timed(fns[n], calls[n])[0] for n in names)
    rounds = int(min(max_rounds, max(min_rounds, budget / max(round_time, 1e-9))))
    wall = {n: [] for n in names}
    cpu = {n: [] for n in names}
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()
    order = np.random.default_rng(0)
    try:
        for _ in range(rounds):
            for name in order.permutation(names):
                w, c = timed(fns[name], calls[name])
                if settle:
                    time.sleep(settle)
                wall[name].append(w / calls[name])
                cpu[name].append(c / calls[name])
    finally:
        if gc_was:
            gc.enable()
    return {n: {"wall": statistics.median(wall[n]), "cpu": statistics.median(cpu[n]), "rounds": rounds,
                "calls": calls[n]} for n in names}


def timed(fn, n):
    """(wall-clock, process CPU) seconds of n calls."""
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return time.perf_counter() - t, time.process_time() - c


def run_child(args):
    threads = args.threads[0]
    peers = set(args.peers)
    prepare_thread_env(threads, keras_backend())
    env = Env(threads, peers)
    env.peers = peers
    budget, min_rounds = (0.1, 3) if args.quick else (2.5, 7)
    result = {"threads": threads, "versions": env.versions, "missing": env.missing, "blas": env.blas, "cases": [],
              "load": [os.getloadavg()[0]]}
    rng = np.random.default_rng(5)
    for spec in workloads.select(args.workloads):
        x = workloads.make_input(spec, rng)
        weights = workloads.make_weights(spec, rng)
        fns, missing = candidates(env, spec, weights, x)
        reference_name = "nnkern" if "nnkern" in fns else "nnkern kernel"
        reference = np.asarray(fns[reference_name][0](), dtype=np.float64)
        mismatch = {}
        for name, (fn, to_keras) in list(fns.items()):
            ok, detail = agree(np.asarray(to_keras(fn())), reference)
            if not ok:
                mismatch[name] = detail
                del fns[name]
        # Keras runs 100-10000x slower: timed in its own interleaved group, so that its few long calls do not
        # cap the number of rounds of the others.
        block = 1e-3 if threads == 1 else 10e-3
        timings = {}
        for group in ([n for n in fns if not n.startswith("keras")], [n for n in fns if n.startswith("keras")]):
            if group:
                timings.update(time_interleaved({n: fns[n][0] for n in group}, budget, min_rounds, block=block,
                                                settle=0.0 if threads == 1 else 0.02))
        case = {"case": spec.case, "workload": spec.workload, "title": spec.title, "flops": spec.flops,
                "compute_bound": spec.compute_bound, "input_shape": list(spec.input_shape),
                "times": {n: t["wall"] for n, t in timings.items()},
                "cpu_times": {n: t["cpu"] for n, t in timings.items()},
                "rounds": {n: [t["rounds"], t["calls"]] for n, t in timings.items()},
                "missing": missing, "mismatch": mismatch}
        result["cases"].append(case)
        print(f"  [{threads} thread{'s' * (threads > 1)}] {spec.case:7s} " +
              "  ".join(f"{n}={fmt_time(t['wall'])}" for n, t in timings.items()) +
              ("  MISMATCH " + str(mismatch) if mismatch else ""), file=sys.stderr, flush=True)
        del fns
        gc.collect()
    if "W1" in (args.workloads or workloads.WORKLOADS):
        result["overhead"] = predict_overhead(env, args.quick)
    result["load"].append(os.getloadavg()[0])
    pathlib.Path(args.result).write_text(json.dumps(result))


def predict_overhead(env, quick):
    """W1 at batch 1: median time of model.predict vs the bare kernel call, in long interleaved runs."""
    spec = workloads.select(["W1"])[0]
    rng = np.random.default_rng(1)
    x = workloads.make_input(spec, rng)
    weights = workloads.make_weights(spec, rng)
    model = nnkern_model(env, spec, weights)
    w, b = (v.value for v in model.weights)  # the buffers predict uses
    core = env.nnkern._core
    fns = {"kernel": lambda: core.dense(x, w, b, "relu"),
           "predict": lambda: model.predict(x, batch_size=len(x), verbose=0)}
    t = time_interleaved(fns, 0.1 if quick else 4.0, 5 if quick else 41, block=4e-3, max_rounds=201)
    return {"kernel": t["kernel"]["wall"], "predict": t["predict"]["wall"], "kernel cpu": t["kernel"]["cpu"],
            "predict cpu": t["predict"]["cpu"], "rounds": t["kernel"]["rounds"]}

