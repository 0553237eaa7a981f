"""The candidates of a workload in the child process: nnkern (through predict and as the bare kernel call)
and each peer, built from the same Keras-layout weights, each given its input in its own native layout."""
import numpy as np

import workloads

NNKERN = ("nnkern", "nnkern kernel")
PEERS = ("numpy", "torch", "torch.jit", "onnxruntime", "keras predict", "keras call")
PEER_GROUPS = {"numpy": ("numpy",), "torch": ("torch", "torch.jit"), "onnxruntime": ("onnxruntime",),
               "keras": ("keras predict", "keras call")}


def nnkern_model(env, spec, weights):
    model = workloads.build_model(env.nnkern, spec)
    model.set_weights(weights)
    return model


def nnkern_kernel(env, spec, weights, x):
    """The bare `_core` call(s) that the workload's layer makes."""
    core, p = env.nnkern._core, spec.params
    if spec.kind == "dense":
        w, b = weights
        act = p["activation"] or "linear"
        return lambda: core.dense(x, w, b, act)
    if spec.kind == "conv2d":
        w, b = weights
        return lambda: core.conv2d(x, w, b, 1, "same")
    if spec.kind == "conv2d_transpose":
        w, b = weights
        return lambda: core.conv2d_transpose(x, w, b, p["strides"], "same")
    if spec.kind == "max_pool2d":
        return lambda: core.max_pool2d(x, p["pool"])
    if spec.kind == "lstm":
        k, r, b = weights
        return lambda: core.lstm(x, k, r, b)[0]
    table, k, r, b = weights
    return lambda: core.lstm(np.take(table, x, axis=0), k, r, b)[0]


def numpy_candidate(spec, weights, x):
    if spec.kind == "dense":
        w, b = weights
        relu = spec.params["activation"] == "relu"

        def dense():
            y = x @ w
            y += b
            if relu:
                np.maximum(y, 0, out=y)
            return y
        return dense
    if spec.kind == "max_pool2d":
        n, h, w_, c = x.shape
        p = spec.params["pool"]
        return lambda: x.reshape(n, h // p, p, w_ // p, p, c).max(axis=(2, 4))
    return None


def gates_ifco_to_iofc(a):
    """Keras stores LSTM gates as i, f, c, o along the last axis; ONNX wants i, o, f, c."""
    i, f, c, o = np.split(a, 4, axis=-1)
    return np.concatenate([i, o, f, c], axis=-1)


def torch_module(env, spec, weights, x):
    """(module, input, output -> Keras layout) for the workload, weights copied from the Keras layout."""
    torch = env.torch
    nn = torch.nn
    p = spec.params

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a))

    if spec.kind == "dense":
        w, b = weights
        lin = nn.Linear(p["in"], p["units"])
        lin.weight.copy_(t(w.T))
        lin.bias.copy_(t(b))
        module = nn.Sequential(lin, nn.ReLU()) if p["activation"] == "relu" else lin
        return module.eval(), t(x), lambda y: y.numpy()
    nhwc_view = t(x).permute(0, 3, 1, 2) if x.ndim == 4 else None  # NHWC memory = channels_last NCHW
    to_nhwc = lambda y: y.permute(0, 2, 3, 1).numpy()  # noqa: E731
    if spec.kind == "conv2d":
        w, b = weights
        conv = nn.Conv2d(x.shape[-1], p["filters"], p["k"], padding=p["k"] // 2)
        conv.weight.copy_(t(w.transpose(3, 2, 0, 1)))
        conv.bias.copy_(t(b))
        return conv.to(memory_format=torch.channels_last).eval(), nhwc_view, to_nhwc
    if spec.kind == "conv2d_transpose":
        w, b = weights
        s = p["strides"]

        class SameConvTranspose(nn.Module):  # Keras "same": the full output cropped from the start
            def __init__(self):
                super().__init__()
                self.conv = nn.ConvTranspose2d(x.shape[-1], p["filters"], p["k"], stride=s)

            def forward(self, v):
                return self.conv(v)[:, :, :v.shape[2] * s, :v.shape[3] * s]
        module = SameConvTranspose()
        module.conv.weight.copy_(t(w.transpose(3, 2, 0, 1)))
        module.conv.bias.copy_(t(b))
        return module.to(memory_format=torch.channels_last).eval(), nhwc_view, to_nhwc
    if spec.kind == "max_pool2d":
        return nn.MaxPool2d(p["pool"]).eval(), nhwc_view, to_nhwc

    class LastState(nn.Module):  # Keras LSTM (return_sequences=False): the last h
        def __init__(self, features, embedding=None):
            super().__init__()
            self.embedding = embedding
            self.lstm = nn.LSTM(features, p["units"], batch_first=True)

        def forward(self, v):
            if self.embedding is not None:
                v = self.embedding(v)
            return self.lstm(v)[1][0][0]

    if spec.kind == "lstm":
        k, r, b = weights
        module, xin = LastState(x.shape[-1]), t(x)
    else:
        table, k, r, b = weights
        emb = nn.Embedding(p["vocab"], p["dim"])
        emb.weight.copy_(t(table))
        module, xin = LastState(p["dim"], emb), t(x.astype(np.int64))
    module.lstm.weight_ih_l0.copy_(t(k.T))
    module.lstm.weight_hh_l0.copy_(t(r.T))
    module.lstm.bias_ih_l0.copy_(t(b))
    module.lstm.bias_hh_l0.zero_()
    return module.eval(), xin, lambda y: y.numpy()


def torch_jit(env, module, xin):
    import warnings
    torch = env.torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module, xin)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))


def onnx_session(env, spec, weights, x):
    """(session, feed, output -> Keras layout): the workload as an ONNX graph in ONNX's own layouts."""
    from onnx import TensorProto, helper, numpy_helper
    p = spec.params
    nodes, inits = [], []

    def init(name, a):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(a), name))
        return name

    def value(name, a, elem=TensorProto.FLOAT):
        return helper.make_tensor_value_info(name, elem, list(a.shape))

    identity = lambda y: y  # noqa: E731
    to_nhwc = lambda y: y.transpose(0, 2, 3, 1)  # noqa: E731
    if spec.kind == "dense":
        w, b = weights
        feed = x
        relu = p["activation"] == "relu"
        nodes.append(helper.make_node("Gemm", ["x", init("w", w), init("b", b)], ["g" if relu else "y"]))
        if relu:
            nodes.append(helper.make_node("Relu", ["g"], ["y"]))
        out = identity
    elif spec.kind in ("conv2d", "conv2d_transpose", "max_pool2d"):
        feed = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        out = to_nhwc
        if spec.kind == "conv2d":
            w, b = weights
            k = p["k"]
            nodes.append(helper.make_node("Conv", ["x", init("w", w.transpose(3, 2, 0, 1)), init("b", b)], ["y"],
                                          kernel_shape=[k, k], pads=[k // 2] * 4))
        elif spec.kind == "conv2d_transpose":
            w, b = weights
            k, s = p["k"], p["strides"]
            begin = (k - s) // 2  # Keras "same" crops the full output from the start
            end = (k - s) - begin
            nodes.append(helper.make_node("ConvTranspose", ["x", init("w", w.transpose(3, 2, 0, 1)), init("b", b)],
                                          ["y"], kernel_shape=[k, k], strides=[s, s],
                                          pads=[begin, begin, end, end]))
        else:
            nodes.append(helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[p["pool"]] * 2,
                                          strides=[p["pool"]] * 2))
    else:
        u = p["units"]
        if spec.kind == "lstm":
            k, r, b = weights
            feed = np.ascontiguousarray(x.transpose(1, 0, 2))  # time-major
            lstm_in = "x"
        else:
            table, k, r, b = weights
            feed = np.ascontiguousarray(x.T.astype(np.int64))
            nodes.append(helper.make_node("Gather", [init("table", table), "x"], ["e"], axis=0))
            lstm_in = "e"
        nodes.append(helper.make_node(
            "LSTM", [lstm_in, init("W", gates_ifco_to_iofc(k).T[None]), init("R", gates_ifco_to_iofc(r).T[None]),
                     init("B", np.concatenate([gates_ifco_to_iofc(b), np.zeros(4 * u, np.float32)])[None])],
            ["", "y"], hidden_size=u))
        out = lambda y: y[0]  # noqa: E731  Y_h is (directions, batch, units)
    elem = TensorProto.INT64 if feed.dtype == np.int64 else TensorProto.FLOAT
    graph = helper.make_graph(nodes, spec.case, [value("x", feed, elem)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    so = env.ort.SessionOptions()
    so.intra_op_num_threads = env.threads
    so.inter_op_num_threads = 1
    so.execution_mode = env.ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = env.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = env.ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess, {"x": feed}, out


def candidates(env, spec, weights, x):
    """{name: (fn, output -> Keras-layout array)} and {name: why it is missing}."""
    from nnkern.engine.variable import aligned_copy
    out, missing = {}, {}
    as_array = np.asarray
    # Where a buffer starts changes kernel speed (up to ~15 %): the bare kernel runs on the model's own
    # (64-byte aligned) weight buffers, numpy on aligned copies, so only the call path differs.
    aligned = [aligned_copy(w, w.dtype) for w in weights]
    try:
        model = nnkern_model(env, spec, weights)
        out["nnkern"] = (lambda: model.predict(x, batch_size=len(x), verbose=0)), as_array
        aligned = [v.value for v in model.weights]
    except AttributeError as e:  # a layer class not on this branch yet
        missing["nnkern"] = f"layer missing: {e}"
    out["nnkern kernel"] = nnkern_kernel(env, spec, aligned, x), as_array
    if "numpy" in env.peers:
        fn = numpy_candidate(spec, aligned, x)
        if fn is not None:
            out["numpy"] = fn, as_array
    if env.torch is not None:
        module, xin, to_keras = torch_module(env, spec, weights, x)
        out["torch"] = (lambda: module(xin)), to_keras
        try:
            frozen = torch_jit(env, module, xin)
            out["torch.jit"] = (lambda: frozen(xin)), to_keras
        except Exception as e:  # noqa: BLE001  tracing is best effort; the eager module stays
            missing["torch.jit"] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
    if env.ort is not None:
        sess, feed, to_keras = onnx_session(env, spec, weights, x)
        out["onnxruntime"] = (lambda: sess.run(None, feed)[0]), to_keras
    if env.keras is not None:
        kmodel = workloads.build_model(env.keras, spec)
        kmodel.set_weights(weights)
        out["keras predict"] = (lambda: kmodel.predict(x, batch_size=len(x), verbose=0)), as_array
        if env.keras.backend.backend() == "jax":  # JAX returns before computing: time until the result exists
            import jax
            out["keras call"] = (lambda: jax.block_until_ready(kmodel(x, training=False))), as_array
        else:
            out["keras call"] = (lambda: kmodel(x, training=False)), as_array
    return out, missing

