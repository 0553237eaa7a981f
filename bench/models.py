"""Whole-model workloads M1-M6 (issue 11 §3): nnkern against its peers on models saved by Keras.

    python bench/models.py                                # M1-M6 (and M5b), 1 and 2 threads
    python bench/models.py --models M1,M4 --threads 1 --quick

Each model is a `.keras` file saved by Keras 3 (bench/model_files.py; generated once into --cache, not
committed). nnkern runs `nnkern.models.load_model(path).predict(x, batch_size=len(x), verbose=0)`. The peers
(bench/model_peers.py) are built from the same file: PyTorch eager (inference_mode, channels_last) and traced +
frozen, ONNX Runtime on the ONNX export of that module, Keras 3 on JAX (the forward jitted, and predict), and
Keras 3 on TensorFlow (the model under tf.function) in a child process of its own, since Keras's backend is
fixed per process. Every peer's output is checked against nnkern's (max abs diff, printed) before timing; a
peer that disagrees is reported and not timed. Timing reuses compare.py's method (timing.time_interleaved:
interleaved rounds, medians). Each thread count runs in its own child process, by default in the Python of
/tmp/benchenv (which has the peers), with nnkern taken from this source tree (PYTHONPATH).
When both 1 and 2 threads are asked for and there are peers, nnkern also runs alone (no peers) in one more
child per thread count: next to the peers, their thread pools (PyTorch's OpenMP, ONNX Runtime, XLA) keep
spinning after their own calls and take the second core, so the 2-thread scaling targets of the batch >= 8
rows are judged on those runs (bench/report.py model_targets).
bench/compare.py runs this as part of its full run and puts the tables into RESULTS.md.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model_files  # noqa: E402
from environment import REPO, child_environ  # noqa: E402
from workloads import select_specs  # noqa: E402

BENCH_PYTHON = "/tmp/benchenv/bin/python"


@dataclass(frozen=True)
class ModelSpec:
    case: str       # "M1/b8"
    workload: str   # "M1"
    title: str
    model: str      # a model_files.MODELS name
    batch: int
    kind: str       # "cnn" (NHWC image input) | "sequence" (token ids, length `steps`)
    steps: int = 200


def _specs():
    out = [ModelSpec(f"M1/b{b}", "M1", "MobileNetV2 1.0, 224x224x3", "mobilenet_v2", b, "cnn") for b in (1, 8)]
    out.append(ModelSpec("M2/b1", "M2", "ResNet50, 224x224x3", "resnet50", 1, "cnn"))
    out.append(ModelSpec("M3/b1", "M3", "EfficientNetB0, 224x224x3", "efficientnet_b0", 1, "cnn"))
    out += [ModelSpec(f"M4/b{b}", "M4", "IMDB BiLSTM (Embedding 20000x128, 2x BiLSTM 64), 200 steps",
                      "imdb_bilstm", b, "sequence") for b in (1, 32)]
    out += [ModelSpec(f"M5/b{b}", "M5", "Transformer block (Embedding 20000x32, MHA 2x32, FFN 32), 200 steps",
                      "transformer", b, "sequence") for b in (1, 32)]
    out.append(ModelSpec("M5b/b8", "M5b", "BERT-mini-like encoder (4 blocks, d 256, 4 heads, FFN 1024), 128 steps",
                         "bert_mini", 8, "sequence", steps=128))
    out += [ModelSpec(f"M6/b{b}", "M6", "GRU classifier (Embedding 10000x64, GRU 128, Dense 10), 100 steps",
                      "gru_classifier", b, "sequence", steps=100) for b in (1, 32)]
    return out


SPECS = _specs()
WORKLOADS = sorted({s.workload for s in SPECS})


def select(workloads):
    return select_specs(SPECS, WORKLOADS, workloads)


def make_input(spec, rng):
    import numpy as np
    if spec.kind == "cnn":
        return rng.uniform(-1, 1, size=(spec.batch, 224, 224, 3)).astype(np.float32)
    vocab = model_files.MODELS[spec.model][2]
    return rng.integers(1, vocab, size=(spec.batch, spec.steps)).astype(np.int32)


# ---------------------------------------------------------------------- child

def run_child(args):
    import gc
    import numpy as np
    from environment import Env, prepare_thread_env
    from timing import agree, fmt_time, time_interleaved
    import model_peers

    threads = args.threads[0]
    peers = set(args.peers)
    backend = "tensorflow" if peers == {"tensorflow"} else "jax"  # the TensorFlow peer runs in a child of its own
    prepare_thread_env(threads, backend)
    env = Env(threads, {"keras"} if backend == "tensorflow" else peers)
    result = {"threads": threads, "versions": env.versions, "missing": env.missing, "cases": [],
              "load": [os.getloadavg()[0]]}
    budget, min_rounds = (0.5, 3) if args.quick else (8.0, 7)
    rng = np.random.default_rng(11)
    for spec in select(args.workloads):
        path = pathlib.Path(args.cache) / f"{spec.model}.keras"
        x = make_input(spec, rng)
        case = {"case": spec.case, "workload": spec.workload, "title": spec.title, "times": {}, "cpu_times": {},
                "missing": {}, "mismatch": {}, "diffs": {}}
        result["cases"].append(case)
        try:
            model = env.nnkern.models.load_model(path)
        except Exception as e:  # noqa: BLE001  a layer another branch adds, e.g. MultiHeadAttention or GRU
            case["skipped"] = f"nnkern cannot load it yet: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
            print(f"  [{threads}] {spec.case}: skipped ({case['skipped']})", file=sys.stderr, flush=True)
            continue
        fns = {"nnkern": ((lambda: model.predict(x, batch_size=len(x), verbose=0)), np.asarray)}
        if backend == "tensorflow" and env.keras is not None:
            try:
                fns.update(model_peers.tensorflow_candidates(env, path, x))
            except Exception as e:  # noqa: BLE001
                case["missing"]["tensorflow"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        if env.torch is not None:
            try:
                tfns, missing, module, xin, to_keras = model_peers.torch_candidates(env, spec, model, x)
                fns.update(tfns)
                case["missing"].update(missing)
                if env.ort is not None:
                    try:
                        fns["onnxruntime"] = model_peers.onnx_candidate(env, module, xin, to_keras)
                    except Exception as e:  # noqa: BLE001
                        case["missing"]["onnxruntime"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            except NotImplementedError as e:
                case["missing"]["torch"] = f"not translated: {e}"
        if env.keras is not None:
            try:
                fns.update(model_peers.keras_candidates(env, path, x))
            except Exception as e:  # noqa: BLE001
                case["missing"]["keras"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        reference = np.asarray(fns["nnkern"][0](), dtype=np.float64)
        for name, (fn, to_keras) in list(fns.items()):
            if name == "nnkern":
                continue
            ok, detail = agree(np.asarray(to_keras(fn()), dtype=np.float32), reference)
            case["diffs"][name] = detail
            if not ok:
                case["mismatch"][name] = detail
                del fns[name]
        block = 5e-3 if threads == 1 else 20e-3
        timings = {}
        for group in ([n for n in fns if n != "keras predict"], [n for n in fns if n == "keras predict"]):
            if group:
                timings.update(time_interleaved({n: fns[n][0] for n in group}, budget, min_rounds, block=block,
                                                settle=0.0 if threads == 1 else 0.02))
        case["times"] = {n: t["wall"] for n, t in timings.items()}
        case["cpu_times"] = {n: t["cpu"] for n, t in timings.items()}
        print(f"  [{threads}] {spec.case:6s} " + "  ".join(f"{n}={fmt_time(t['wall'])}" for n, t in timings.items())
              + (f"  MISMATCH {case['mismatch']}" if case["mismatch"] else ""), file=sys.stderr, flush=True)
        del fns, model
        gc.collect()
    result["load"].append(os.getloadavg()[0])
    pathlib.Path(args.result).write_text(json.dumps(result))


# ---------------------------------------------------------------------- parent

PEER_ORDER = ("torch", "torch.jit", "onnxruntime", "tensorflow", "keras jit", "keras predict")


def report(results):
    from timing import fmt_time
    lines = []
    for r in results:
        lines.append(f"\n### {r['threads']} thread(s) (load average {r['load'][0]:.1f} -> {r['load'][1]:.1f})\n")
        lines.append("| case | model | nnkern | " + " | ".join(PEER_ORDER) + " | nnkern / fastest peer |")
        lines.append("|---|---|---|" + "---|" * len(PEER_ORDER) + "---|")
        for c in r["cases"]:
            if c.get("skipped"):
                lines.append(f"| {c['case']} | {c['title']} | skipped: {c['skipped']} |" + " |" * (len(PEER_ORDER) + 1))
                continue
            t = c["times"]
            peers = {n: v for n, v in t.items() if n != "nnkern"}
            fastest = min(peers.values()) if peers else None
            cells = [fmt_time(t.get(n)) if n in t else ("mismatch" if n in c["mismatch"] else "-") for n in PEER_ORDER]
            ratio = f"{t['nnkern'] / fastest:.2f}" if fastest and "nnkern" in t else "-"
            lines.append(f"| {c['case']} | {c['title']} | {fmt_time(t.get('nnkern'))} | " + " | ".join(cells)
                         + f" | {ratio} |")
        lines.append("\nmax abs diff against nnkern's output: " + "; ".join(
            f"{c['case']}: " + ", ".join(f"{n} {d.split(' (')[0].replace('max abs diff ', '')}"
                                         for n, d in c.get("diffs", {}).items())
            for c in r["cases"] if not c.get("skipped")))
        missing = {f"{c['case']} {n}": why for c in r["cases"] for n, why in c.get("missing", {}).items()}
        if missing or r["missing"]:
            lines.append("\nnot run: " + "; ".join(f"{k}: {v}" for k, v in {**r["missing"], **missing}.items()))
    lines += scaling_lines(results)
    return "\n".join(lines)


def scaling_lines(results):
    """The report's 1-thread time / 2-thread time table, next to the peers and, when run, for nnkern alone
    (the "alone" results of run()); [] unless both 1 and 2 threads ran."""
    by = {r["threads"]: r for r in results}
    if 1 not in by or 2 not in by:
        return []
    alone = {t: {c["case"]: c for c in by[t]["alone"]["cases"]} for t in (1, 2) if "alone" in by[t]}
    alone = alone if len(alone) == 2 else {}
    names = ("nnkern",) + PEER_ORDER
    lines = ["\n### Scaling: 1-thread time / 2-thread time\n"]
    if alone:
        lines.append("Next to the peers (the runs above), and for nnkern alone in a process of its own (no other "
                     "runtime's thread pool spinning beside it), which the 2-thread targets of the batch >= 8 rows "
                     "are judged on (load average "
                     + ", ".join(f"{t} thread(s) {by[t]['alone']['load'][0]:.1f} -> {by[t]['alone']['load'][1]:.1f}"
                                 for t in (1, 2)) + ").\n")
    else:
        lines.append("Of the runs above, which the 2-thread targets of the batch >= 8 rows are judged on.\n")
    lines.append("| case | " + " | ".join(names) + (" | nnkern alone |" if alone else " |"))
    lines.append("|---|" + "---|" * (len(names) + bool(alone)))
    two = {c["case"]: c for c in by[2]["cases"]}
    for c1 in by[1]["cases"]:
        c2 = two.get(c1["case"], {})
        cells = [ratio_text(c1.get("times", {}).get(n), c2.get("times", {}).get(n)) for n in names]
        if alone:
            cells.append(ratio_text(*(alone[t].get(c1["case"], {}).get("times", {}).get("nnkern") for t in (1, 2))))
        lines.append(f"| {c1['case']} | " + " | ".join(cells) + " |")
    return lines


def ratio_text(one, two):
    return f"{one / two:.2f}x" if one and two else "-"


def run(args):
    """The parent's work: make the model files, then one child per thread count (JAX, torch and ONNX Runtime
    peers) and, when asked for, one more with Keras on TensorFlow, whose times join the first's; when both 1
    and 2 threads are asked for and there are peers, one more child per thread count with nnkern alone, whose
    result goes into that thread count's as "alone". The results, one per thread count."""
    specs = select(args.workloads)
    for name in sorted({s.model for s in specs}):
        model_files.ensure(name, args.cache, args.keras_python or args.python)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def child(threads, peers, backend, label):
            result_path = pathlib.Path(tmp) / f"{label}{threads}.json"
            cmd = [args.python, str(pathlib.Path(__file__).resolve()), "--child", "--threads", str(threads),
                   "--peers", ",".join(peers), "--cache", str(args.cache), "--result", str(result_path)]
            if args.workloads:
                cmd += ["--models", ",".join(args.workloads)]
            if args.quick:
                cmd.append("--quick")
            env = child_environ(backend)
            env["PYTHONPATH"] = os.pathsep.join([str(REPO / "python")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
            env["CUDA_VISIBLE_DEVICES"] = ""
            subprocess.run(cmd, check=True, env=env)
            return json.loads(result_path.read_text())

        for threads in args.threads:
            print(f"whole models: {threads} thread(s) ...", file=sys.stderr, flush=True)
            result = child(threads, [p for p in args.peers if p != "tensorflow"], "jax", "models")
            if "tensorflow" in args.peers:
                print(f"whole models: Keras on TensorFlow, {threads} thread(s) ...", file=sys.stderr, flush=True)
                merge_tensorflow(result, child(threads, ["tensorflow"], "tensorflow", "tensorflow"))
            results.append(result)
        if {1, 2} <= set(args.threads) and args.peers:
            for threads in (1, 2):  # nnkern alone in its process, for the 2-thread scaling
                print(f"whole models: nnkern alone, {threads} thread(s) ...", file=sys.stderr, flush=True)
                result = next(r for r in results if r["threads"] == threads)
                result["alone"] = child(threads, [], "jax", "alone")
    return results


def merge_tensorflow(result, tf_result):
    """The TensorFlow child's figures for its peer, into the main child's cases (nnkern's own times stay the
    main child's)."""
    result["versions"].update({k: v for k, v in tf_result["versions"].items() if k not in result["versions"]})
    result["missing"].update(tf_result["missing"])
    theirs = {c["case"]: c for c in tf_result["cases"]}
    for case in result["cases"]:
        other = theirs.get(case["case"])
        if not other or other.get("skipped"):
            continue
        for key in ("times", "cpu_times", "diffs", "mismatch", "missing"):
            case.setdefault(key, {}).update({n: v for n, v in other.get(key, {}).items() if n == "tensorflow"})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="", help=f"workloads, e.g. M1,M4 (default: all of {WORKLOADS})")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--peers", default="torch,onnxruntime,keras,tensorflow",
                    help="of torch,onnxruntime,keras (on JAX),tensorflow (Keras on TensorFlow, tf.function)")
    ap.add_argument("--quick", action="store_true", help="few repeats: a smoke run, not a measurement")
    ap.add_argument("--cache", default=str(model_files.DEFAULT_CACHE), help="directory of the generated files")
    ap.add_argument("--python", default=BENCH_PYTHON if os.path.exists(BENCH_PYTHON) else sys.executable,
                    help="the Python the children run (with the peers installed)")
    ap.add_argument("--keras-python", help="a Python with Keras 3 to make the files (default: as --python)")
    ap.add_argument("--out", help="also write the report (markdown) to this file")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.threads = [int(t) for t in str(args.threads).split(",") if t]
    args.workloads = [w.strip().upper() for w in args.models.split(",") if w.strip()]
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    select(args.workloads)  # unknown ids fail here, before any child starts
    if args.child:
        run_child(args)
        return 0
    results = run(args)
    text = "median wall-clock time per predict call\n" + report(results)
    print(text)
    if args.out:
        pathlib.Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
