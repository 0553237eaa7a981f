"""GFLOP/s of nnkern's product (each ISA variant, NNKERN_ISA=<name> in a child process) vs numpy's BLAS
for 2048^3, 256x1024x1024 and the compute-bound workloads W2/b256, W4 and W9 (issue 11: each at >= 85 %
of numpy's 2048^3 rate), at 1 and 2 threads.

    PYTHONPATH=python /tmp/benchenv/bin/python bench/gemm_rate.py [--threads 1 2] [--repeats 3]

Each child times nnkern and numpy in interleaved rounds (random order) and reports medians; the parent
runs the children of every variant in turn, `--repeats` times, and prints the medians over repeats.
Children run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (OpenBLAS's own kernel for this CPU).
At one thread the rate is per CPU second of the process (not inflated by a loaded machine); at
several threads it is per wall second.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import workloads
from environment import child_environ, cpu_info, import_nnkern, numpy_blas

GEMMS = [(2048, 2048, 2048), (256, 1024, 1024)]
WORKLOADS = ["W2/b256", "W4", "W9"]


def nnkern_cases(nnkern, rng):
    """{name: (fn, flops)}: the GEMM shapes through the dense kernel and the workloads' kernels."""
    core = nnkern._core
    cases = {}
    for m, k, n in GEMMS:
        a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
        cases[f"{m}x{k}x{n}"] = ((lambda a=a, b=b: core.dense(a, b)), 2.0 * m * k * n)
    specs = {s.case: s for s in workloads.SPECS}
    for case in WORKLOADS:
        spec = specs[case]
        x, weights = workloads.make_input(spec, rng), workloads.make_weights(spec, rng)
        if spec.kind == "dense":
            fn = lambda x=x, w=weights: core.dense(x, w[0], w[1])
        elif spec.kind == "conv2d":
            fn = lambda x=x, w=weights: core.conv2d(x, w[0], w[1], padding="same")
        else:
            fn = lambda x=x, w=weights: core.lstm(x, *w)
        cases[case] = (fn, spec.flops)
    return cases


def numpy_cases(rng):
    cases = {}
    for m, k, n in GEMMS:
        a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
        cases[f"numpy {m}x{k}x{n}"] = ((lambda a=a, b=b: a @ b), 2.0 * m * k * n)
    return cases


def timed(fn, threads):
    clock = time.process_time if threads == 1 else time.perf_counter
    t = clock()
    fn()
    return clock() - t


def child(threads, rounds):
    nnkern = import_nnkern()
    nnkern.set_num_threads(threads)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=threads)
    rng = np.random.default_rng(0)
    cases = {**nnkern_cases(nnkern, rng), **numpy_cases(rng)}
    for fn, _ in cases.values():  # warm up
        fn()
    times = {name: [] for name in cases}
    order = np.random.default_rng(1)
    for _ in range(rounds):
        for name in order.permutation(list(cases)):
            times[name].append(timed(cases[name][0], threads))
    rates = {name: cases[name][1] / statistics.median(times[name]) / 1e9 for name in cases}
    print(json.dumps({"isa": nnkern._core.isa(), "rates": rates, "blas": numpy_blas()["libraries"],
                      "load": os.getloadavg()[0]}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3, help="runs of every child (interleaved)")
    parser.add_argument("--rounds", type=int, default=5, help="timed calls of each case per child")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.rounds)
    variants = import_nnkern()._core.runnable_isa_variants()
    results = {}  # (threads, isa) -> list of child results
    loads = []
    for _ in range(args.repeats):
        for threads in args.threads:
            for isa in variants:
                env = child_environ()
                env["NNKERN_ISA"] = isa
                out = subprocess.run([sys.executable, __file__, "--child", str(threads), "--rounds", str(args.rounds)],
                                     env=env, capture_output=True, text=True, check=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                results.setdefault((threads, isa), []).append(result)
                loads.append(result["load"])
    cpu = cpu_info()
    print(f"CPU: {cpu.get('model name')} (family {cpu.get('family')} model {cpu.get('model')}); "
          f"numpy BLAS: {results[next(iter(results))][0]['blas']}")
    print(f"load average during the run: {min(loads):.1f}-{max(loads):.1f}; medians of {args.repeats} children x "
          f"{args.rounds} interleaved rounds; 1 thread: per CPU second, 2 threads: per wall second")
    names = list(results[next(iter(results))][0]["rates"])
    for threads in args.threads:
        def median_rate(isa, name):
            return statistics.median(r["rates"][name] for r in results[(threads, isa)])
        reference = statistics.median(median_rate(isa, "numpy 2048x2048x2048") for isa in variants)
        print(f"\n{threads} thread(s), GFLOP/s (in brackets: / numpy 2048^3 measured in the same children)")
        print(f"{'case':<16}" + "".join(f"{'nnkern ' + isa:>22}" for isa in variants) + f"{'numpy':>10}")
        for name in names:
            if name.startswith("numpy"):
                continue
            cells = "".join(f"{median_rate(isa, name):>12.1f} ({median_rate(isa, name) / reference:5.0%})"
                            for isa in variants)
            numpy_name = f"numpy {name}"
            peer = (f"{statistics.median(median_rate(isa, numpy_name) for isa in variants):>10.1f}"
                    if numpy_name in results[(threads, variants[0])][0]["rates"] else f"{'':>10}")
            print(f"{name:<16}{cells}{peer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
