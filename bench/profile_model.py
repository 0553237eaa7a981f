"""Where a whole-model predict spends its time: nnkern's plan steps (and ONNX Runtime's nodes) summed by kind.

    PYTHONPATH=python /tmp/benchenv/bin/python bench/profile_model.py --model resnet50 --batch 1 --threads 1
    ... --model mobilenet_v2 --batch 8 --peer ort        # with ONNX Runtime's per-node profile of the same model
    ... --model bert_mini --batch 8 --threads 2 --top 10   # a sequence model (token ids), its slowest steps

Models are bench/model_files.py's `.keras` files (the cache bench/models.py makes). nnkern: each step of the
model's prediction plan (engine/plan.py; a step is one layer call, or a convolution with the BatchNormalization
and activation folded into it, or a 1x1 expansion and the depthwise convolution after it as one kernel call,
counted as the kind "conv 1x1 s1 + depthwise ...") is timed with perf_counter around it, over --repeats runs of the plan; a step's
time is its median. "rest of the wall time" is predict()'s median wall time minus the sum of the steps' medians:
the entry checks, the Python between steps, and (on a loaded machine) the preemptions the medians leave out. ONNX Runtime: SessionOptions.enable_profiling on the ONNX export of the
same model (bench/model_peers.py), node times (median over the runs) summed by the same kinds; its wall time
from a session without the profiler. FLOPs count a
multiply-add as 2; GFLOP/s is a kind's FLOPs over its time.
"""
import argparse
import collections
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model_files  # noqa: E402


def conv_kind(kh, kw, stride, groups, cin):
    """The label of a convolution, shared by nnkern's layers and ORT's Conv nodes."""
    if groups > 1 and groups == cin:
        return f"depthwise {kh}x{kw} s{stride}"
    return f"conv {kh}x{kw} s{stride}"


def step_kind(layer, out_shape, in_shape):
    """(kind, FLOPs) of one plan step's first layer, for input/output shapes with the batch filled in."""
    name = type(layer).__name__
    pixels = 1
    for d in out_shape[1:-1]:
        pixels *= d
    pixels *= out_shape[0]
    if name in ("Conv2D", "DepthwiseConv2D"):
        kh, kw = layer.kernel_size
        stride = layer.strides[0]
        cin = in_shape[-1]
        if name == "DepthwiseConv2D":
            return conv_kind(kh, kw, stride, cin, cin), 2 * pixels * kh * kw * out_shape[-1]
        groups = getattr(layer, "groups", 1)
        return conv_kind(kh, kw, stride, groups, cin), 2 * pixels * kh * kw * cin // groups * out_shape[-1]
    if name == "Dense":
        return "dense", 2 * pixels * in_shape[-1] * out_shape[-1]
    if "Pooling" in name:
        return "pooling", 0
    if name in ("ZeroPadding2D", "Reshape", "Flatten", "Cropping2D"):
        return "copies (padding, reshape)", 0
    if name in ("Add", "Multiply", "Concatenate"):
        return name.lower(), 0
    if name in ("Activation", "ReLU"):
        return "activation (unfused)", 0
    if name == "BatchNormalization":
        return "batch norm (unfolded)", 0
    if name in ("Rescaling", "Normalization"):
        return "input scaling", 0
    if name == "MultiHeadAttention":
        heads, dk, dv = layer.num_heads, layer.key_dim, layer.value_dim
        steps, dim = in_shape[-2], in_shape[-1]
        projections = 2 * pixels * dim * heads * (2 * dk + dv) + 2 * pixels * heads * dv * out_shape[-1]
        return "multi-head attention", projections + 2 * pixels * heads * steps * (dk + dv)
    if name == "LayerNormalization":
        return "layer norm", 0
    return f"other ({name})", 0


def _shape(kt, batch):
    return tuple(batch if d is None else d for d in kt.shape)


def model_input(path, batch, rng):
    """A batch for model_files' model at `path`: uniform images, or token ids below its vocabulary size."""
    import numpy as np
    shape, dtype, vocab = model_files.MODELS[pathlib.Path(path).stem]
    if vocab is None:
        return rng.uniform(-1, 1, size=(batch, *shape)).astype(dtype)
    shape = tuple(200 if d is None else d for d in shape)
    return rng.integers(1, vocab, size=(batch, *shape)).astype(dtype)


def profile_nnkern(path, batch, threads, repeats, top=0):
    import numpy as np
    import nnkern
    nnkern.set_num_threads(threads)
    model = nnkern.models.load_model(path)
    x = model_input(path, batch, np.random.default_rng(0))
    model.predict(x, batch_size=batch, verbose=0)
    wall = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        wall.append(time.perf_counter() - t0)
    plan = model._get_plan(None)
    times = [[] for _ in plan.steps]
    for _ in range(repeats):
        v = [None] * plan.n_slots
        v[plan.input_slots[0]] = x
        for i, step in enumerate(plan.steps):
            t0 = time.perf_counter()
            step(v)
            times[i].append(time.perf_counter() - t0)
    rows = collections.defaultdict(lambda: [0, 0.0, 0])  # kind -> [steps, seconds, flops]
    slowest = []
    for step, ts in zip(plan.steps, times):
        node = step.nodes[0]
        in_shape = _shape(node.keras_tensors[0], batch)
        kind, flops = step_kind(node.operation, _shape(node.outputs[0], batch), in_shape)
        convs = [n for n in step.nodes if type(n.operation).__name__ in ("Conv2D", "DepthwiseConv2D")]
        if len(convs) == 2:  # a 1x1 expansion and its depthwise convolution in one call (plan.expansion_folds)
            parts = [step_kind(n.operation, _shape(n.outputs[0], batch), _shape(n.keras_tensors[0], batch))
                     for n in convs]
            kind, flops = f"{parts[0][0]} + {parts[1][0]}", parts[0][1] + parts[1][1]
        slowest.append((statistics.median(ts), kind, "+".join(n.operation.name for n in step.nodes), in_shape,
                        _shape(step.nodes[-1].outputs[0], batch), flops))
        row = rows[kind]
        row[0] += 1
        row[1] += statistics.median(ts)
        row[2] += flops
    total = statistics.median(wall)
    rows["rest of the wall time"] = [0, max(total - sum(r[1] for r in rows.values()), 0.0), 0]
    if top:
        print(f"\nslowest {top} steps:\n| ms | kind | layers | input | output | GFLOP/s |\n|---|---|---|---|---|---|")
        for t, kind, names, i, o, f in sorted(slowest, key=lambda r: -r[0])[:top]:
            print(f"| {t * 1e3:.2f} | {kind} | {names} | {i} | {o} | {f / t * 1e-9:.1f} |")
    return rows, total


def profile_ort(path, batch, threads, repeats):
    import numpy as np
    import nnkern
    import onnxruntime as ort
    import torch
    import model_peers
    torch.set_num_threads(threads)
    model = nnkern.models.load_model(path)
    module = model_peers.torch_from_keras_graph(torch, model)
    x = np.random.default_rng(0).uniform(-1, 1, size=(batch, 224, 224, 3)).astype(np.float32)
    xin = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(tmp, "model.onnx")
        import warnings
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (xin,), onnx_path, input_names=["x"], output_names=["y"], opset_version=17,
                              dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        feed = {"x": xin.numpy()}
        plain = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        plain.run(None, feed)
        wall = []
        for _ in range(repeats):  # the wall time without the profiler's own cost
            t0 = time.perf_counter()
            plain.run(None, feed)
            wall.append(time.perf_counter() - t0)
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, "ort")
        sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
        for _ in range(repeats + 1):
            sess.run(None, feed)
        events = json.loads(pathlib.Path(sess.end_profiling()).read_text())
    per_node = collections.defaultdict(list)
    info = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        per_node[e["name"]].append(e["dur"] * 1e-6)
        info[e["name"]] = e["args"]
    rows = collections.defaultdict(lambda: [0, 0.0, 0])
    for name, ds in per_node.items():
        args = info[name]
        op = args.get("op_name", "?")
        kind, flops = f"other ({op})", 0
        shapes = [list(d.values())[0] for d in args.get("input_type_shape", [])]
        outs = [list(d.values())[0] for d in args.get("output_type_shape", [])]
        if op in ("Conv", "FusedConv", "NchwcConv") and len(shapes) >= 2 and outs:
            xs, ws, ys = shapes[0], shapes[1], outs[0]
            cin, (kh, kw), groups = xs[1], ws[2:4], xs[1] // ws[1]
            stride = max(1, round(xs[2] / ys[2])) if ys[2] else 1
            kind = conv_kind(kh, kw, stride, groups, cin)
            flops = 2 * ys[0] * ys[2] * ys[3] * kh * kw * ws[1] * ys[1]
        elif op in ("Gemm", "MatMul", "FusedGemm"):
            kind = "dense"
        elif "Pool" in op:
            kind = "pooling"
        elif op in ("Add", "Sum"):
            kind = "add"
        elif op in ("Mul",):
            kind = "multiply"
        elif op in ("ReorderInput", "ReorderOutput", "Transpose", "Pad", "Reshape", "Flatten"):
            kind = "copies (layout, padding, reshape)"
        row = rows[kind]
        row[0] += 1
        row[1] += statistics.median(ds[1:] if len(ds) > 1 else ds)
        row[2] += flops
    total = statistics.median(wall)
    rows["rest of the wall time"] = [0, max(total - sum(r[1] for r in rows.values()), 0.0), 0]
    return rows, total


def table(title, rows, total):
    lines = [f"\n{title}: median predict {total * 1e3:.1f} ms\n",
             "| kind | steps | ms | % | GFLOP | GFLOP/s |", "|---|---|---|---|---|---|"]
    for kind, (n, t, f) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        rate = f"{f / t * 1e-9:.1f}" if f and t else "-"
        lines.append(f"| {kind} | {n} | {t * 1e3:.2f} | {100 * t / total:.1f} | {f * 1e-9:.3f} | {rate} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="resnet50", help=f"one of {sorted(model_files.MODELS)}")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--peer", choices=["ort"], help="also profile ONNX Runtime on the same model (a CNN)")
    ap.add_argument("--top", type=int, default=0, help="also list this many of nnkern's slowest steps")
    ap.add_argument("--cache", default=str(model_files.DEFAULT_CACHE))
    args = ap.parse_args(argv)
    path = model_files.ensure(args.model, args.cache)
    what = f"{args.model} b{args.batch}, {args.threads} thread(s)"
    print(table(f"nnkern, {what}", *profile_nnkern(path, args.batch, args.threads, args.repeats, args.top)))
    if args.peer == "ort":
        print(table(f"ONNX Runtime, {what}", *profile_ort(path, args.batch, args.threads, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
