"""Which kernel variant runs the whole models faster on this CPU: nnkern's M-rows (bench/models.py) with each
variant the CPU runs (NNKERN_ISA=<name>, one child process per variant and thread count), for the
dispatcher's choice (issue 11 §1: AVX-512 is double-pumped on AMD Zen 4).

    PYTHONPATH=python /tmp/benchenv/bin/python bench/isa_models.py [--models M1,M2] [--threads 1 2] [--repeats 3]

Children of the variants alternate, `--repeats` times; each times `predict` over rounds and reports its
median (1 thread: CPU time of the process, not inflated by a loaded machine; 2 threads: wall time); the
table gives the median over repeats and avx2 / avx512 (> 1: the AVX-512 variant is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import model_files
import models
from environment import REPO, child_environ, cpu_info

CHILD = """
import json, statistics, sys, time
import numpy as np
sys.path.insert(0, {here!r})
import models, nnkern
nnkern.set_num_threads({threads})
spec = models.select([{workload!r}])
spec = [s for s in spec if s.case == {case!r}][0]
x = models.make_input(spec, np.random.default_rng(0))
model = nnkern.models.load_model({path!r})
predict = lambda: model.predict(x, batch_size=len(x), verbose=0)
for _ in range(3):
    predict()
clock = time.process_time if {threads} == 1 else time.perf_counter
n = max(1, int(0.2 / max(1e-6, (lambda t0: (predict(), clock() - t0)[1])(clock()))))
times = []
for _ in range({rounds}):
    t0 = clock()
    for _ in range(n):
        predict()
    times.append((clock() - t0) / n)
print(json.dumps({{"isa": nnkern._core.isa(), "time": statistics.median(times)}}))
"""


def child(variant, spec, path, threads, rounds):
    env = child_environ()
    env["NNKERN_ISA"] = variant
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "python")] + [p for p in [env.get("PYTHONPATH")] if p])
    code = CHILD.format(here=str(models.HERE), threads=threads, workload=spec.workload, case=spec.case,
                        path=str(path), rounds=rounds)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{spec.case} with NNKERN_ISA={variant} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["isa"] == variant, result
    return result["time"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="M1,M2,M3,M4,M5,M5b,M6")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cache", default=os.environ.get("NNKERN_BENCH_MODELS", "/tmp/nnkern-bench-models"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "python"))
    import nnkern
    variants = nnkern._core.runnable_isa_variants()
    cpu = cpu_info()
    load = [os.getloadavg()[0]]
    print(f"CPU: {cpu['model name']} (family {cpu['family']} model {cpu['model']}); variants this CPU runs: "
          f"{', '.join(variants)}")
    specs = models.select(args.models.split(","))
    rows = []
    for spec in specs:
        path = model_files.ensure(spec.model, args.cache)
        for threads in args.threads:
            times = {v: [] for v in variants}
            for _ in range(args.repeats):
                for v in variants:
                    times[v].append(child(v, spec, path, threads, args.rounds))
            med = {v: statistics.median(t) for v, t in times.items()}
            rows.append((spec.case, threads, med))
            ratio = f"{med['avx2'] / med['avx512']:.2f}" if {"avx2", "avx512"} <= med.keys() else "-"
            print(f"{spec.case:8s} {threads} thread(s): " +
                  "  ".join(f"{v} {t * 1e3:8.2f} ms" for v, t in med.items()) + f"  avx2 / avx512 {ratio}",
                  flush=True)
    load.append(os.getloadavg()[0])
    print(f"load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f}; "
          f"medians of {args.repeats} children x {args.rounds} rounds; 1 thread: CPU time, 2 threads: wall time")
    return rows


if __name__ == "__main__":
    main()
