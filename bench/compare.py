"""Side-by-side CPU benchmark of nnkern against its peers: the layer workloads W1-W10 of issue 5, the whole
models M1-M6 of issue 11 (bench/models.py) and the load time of those models (bench/load_time.py), in one run
that writes bench/RESULTS.md and bench/speedup.png.

    python bench/compare.py                       # everything, 1 and 2 threads (about 30 minutes)
    python bench/compare.py --quick --workloads W1,W3 --threads 1 --peers numpy,torch --models none --out /tmp/b

Each thread count runs in its own child process (TensorFlow and XLA fix their thread pools at start-up), in
which every candidate of a workload is built from the same Keras-layout weights, checked against nnkern's
output (allclose), then timed interleaved with the others: rounds of blocks of calls, each candidate once
per round in a new random order; the figure is the median over rounds of the time per call. nnkern is timed
through its public API, `model.predict(x, batch_size=len(x), verbose=0)`, and also as the bare kernel call.
Peers (each skipped when not installed): numpy (matmul, reshape-max pooling), PyTorch (eager under no_grad,
and traced + frozen + optimize_for_inference as "torch.jit"), ONNX Runtime (graphs built with onnx.helper),
Keras 3 `predict` and a direct Keras model call (TensorFlow backend when installed, else JAX). Each peer
gets its input in its own native layout (torch: NHWC memory as a channels_last NCHW view; ONNX Runtime:
NCHW and time-major LSTM input), converted outside the timing.
When both 1 and 2 threads are asked for and there are peers, nnkern also runs alone in a process of its own
at each, on the layer workloads here and on the whole models in bench/models.py (when it has peers: torch,
onnxruntime, keras): next to the peers, their thread pools (OpenBLAS, ONNX Runtime, TensorFlow, PyTorch's
OpenMP, XLA) spin after their own calls and take the second core, so the 2-thread scaling targets are judged
on those runs.
numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the children's environment, so OpenBLAS
uses its own kernel for this CPU (some machines pin it to Haswell's); the core it used is recorded. When the
shell sets them, numpy also runs once more with them, reported apart and labelled as inherited.
The parent process also measures `import` time and peak RSS (subprocesses) and writes RESULTS.md and a
speed-up chart to --out.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load_time  # noqa: E402
import model_files  # noqa: E402
import models  # noqa: E402
import workloads  # noqa: E402
from environment import import_nnkern  # noqa: E402
from environment import child_environ, inherited_openblas_pins  # noqa: E402
from peers import PEER_GROUPS  # noqa: E402
from report import table, targets, text_table, write_chart, write_results  # noqa: E402
from startup import measure_startup  # noqa: E402
from timing import run_child  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few repeats: a smoke run, not a measurement")
    ap.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2 (default)")
    ap.add_argument("--workloads", default="", help="e.g. W1,W3 (default: all)")
    ap.add_argument("--peers", default="numpy,torch,onnxruntime,keras",
                    help="peers to run if installed: numpy,torch,onnxruntime,keras (default: all)")
    ap.add_argument("--out", default=str(HERE), help="directory for RESULTS.md and speedup.png (default: bench/)")
    ap.add_argument("--skip-startup", action="store_true", help="do not measure import time and peak RSS")
    ap.add_argument("--models", default="all",
                    help=f"whole-model workloads, e.g. M1,M4, or 'none' (default: all of {models.WORKLOADS})")
    ap.add_argument("--skip-load-time", action="store_true", help="do not measure load_model times")
    ap.add_argument("--cache", default=str(model_files.DEFAULT_CACHE), help="directory of the Keras-made model files")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.load_repeats = 3 if args.quick else 7
    args.threads = [int(t) for t in args.threads.split(",") if t]
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    workloads.select(args.workloads)  # unknown ids fail here, before any child starts
    # args.models: None (none), [] (all) or the ids asked for
    args.models = None if args.models == "none" else \
        [] if args.models == "all" else [m.strip() for m in args.models.split(",") if m.strip()]
    if args.models:
        models.select(args.models)  # unknown ids fail here, before any child starts
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(args.peers) - set(PEER_GROUPS)
    if unknown:
        ap.error(f"unknown peer(s) {sorted(unknown)}; known: {sorted(PEER_GROUPS)}")
    return args


def run_models(args):
    """The whole-model workloads (bench/models.py: children in /tmp/benchenv's Python, which has the peers, and
    when both 1 and 2 threads are asked for, children of nnkern alone) and the load time of their files
    (bench/load_time.py); ([], []) for what was not asked for."""
    if args.models is None:
        return [], []
    margs = argparse.Namespace(workloads=args.models, threads=args.threads, quick=args.quick, cache=args.cache,
                               peers=[p for p in ("torch", "onnxruntime", "keras", "tensorflow")
                                      if p in args.peers or (p == "tensorflow" and "keras" in args.peers)],
                               python=models.BENCH_PYTHON if os.path.exists(models.BENCH_PYTHON) else sys.executable,
                               keras_python=None)
    model_results = models.run(margs)
    load_rows = []
    if not args.skip_load_time:
        print("measuring load_model times ...", file=sys.stderr, flush=True)
        names = sorted({s.model for s in models.select(args.models)})
        largs = argparse.Namespace(cache=args.cache, keras_python=None, repeats=args.load_repeats,
                                   skip_keras="keras" not in args.peers)
        nnkern = import_nnkern()
        load_rows = [load_time.measure(name, largs, nnkern) for name in names]
    return model_results, load_rows


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        run_child(args)
        return 0
    start = time.time()
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def run_child_process(threads, peers, label, inherit_openblas=False):
            """One child run (its own process: thread pools are fixed at start-up); its result dict. Children
            run without this process's OpenBLAS pins unless inherit_openblas (see environment.OPENBLAS_PINS)."""
            result_path = pathlib.Path(tmp) / f"{label}{threads}.json"
            cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--child", "--threads", str(threads),
                   "--peers", ",".join(peers), "--result", str(result_path)]
            if args.workloads:
                cmd += ["--workloads", ",".join(args.workloads)]
            if args.quick:
                cmd.append("--quick")
            subprocess.run(cmd, check=True, env=child_environ(inherit_openblas=inherit_openblas))
            return json.loads(result_path.read_text())

        for threads in args.threads:
            print(f"running {threads} thread(s) ...", file=sys.stderr, flush=True)
            results.append(run_child_process(threads, args.peers, "threads"))
        alone = {}
        if {1, 2} <= set(args.threads) and args.peers:
            for threads in (1, 2):  # nnkern alone in its process, for the 2-thread scaling
                print(f"running nnkern alone, {threads} thread(s) ...", file=sys.stderr, flush=True)
                alone[threads] = run_child_process(threads, [], "alone")
        inherited = {}
        if inherited_openblas_pins() and "numpy" in args.peers:
            for threads in args.threads:  # numpy as this shell would run it, labelled as such in the report
                print(f"running numpy with the inherited {inherited_openblas_pins()}, {threads} thread(s) ...",
                      file=sys.stderr, flush=True)
                inherited[threads] = run_child_process(threads, ["numpy"], "inherited", inherit_openblas=True)
    startup = None
    if not args.skip_startup:  # before this process loads models (see startup.py)
        print("measuring import time and peak RSS ...", file=sys.stderr, flush=True)
        startup = measure_startup(args.quick, "keras" in args.peers)
    model_results, load_rows = run_models(args)
    for r in results:
        head, rows = table(r)
        print(f"\n{r['threads']} thread(s), median wall-clock time per call (load {r['load'][0]:.1f} / "
              f"{r['load'][1]:.1f}):")
        print(text_table(head, rows))
        if r["threads"] == 1:
            print("\n1 thread, median process CPU time per call:")
            print(text_table(*table(r, "cpu_times")))
    tg = targets(results, startup, alone, model_results, load_rows)
    if tg:
        print("\ntargets (wall clock; CPU time in brackets at 1 thread):")
        for t, f, ok, fc, okc in tg:
            cpu = f"  [CPU time: {fc}, {'met' if okc else 'MISSED'}]" if okc is not None else ""
            print(f"  [{'met' if ok else 'MISSED'}] {t}: {f}{cpu}")
    if model_results:
        print("\n" + models.report(model_results))
    if load_rows:
        print("\n" + "\n".join(load_time.table(load_rows, args.load_repeats)))
    chart = write_chart(results, out_dir / "speedup.png", model_results)
    path = write_results(results, startup, out_dir, time.time() - start, chart, alone, inherited,
                         model_results=model_results, load_rows=load_rows, load_repeats=args.load_repeats)
    print(f"\nwrote {path}" + (f" and {out_dir / 'speedup.png'}" if chart else "") +
          f" in {(time.time() - start) / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
