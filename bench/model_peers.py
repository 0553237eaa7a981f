"""Peers of the whole-model workloads (bench/models.py), each built from the same `.keras` file as nnkern:

- torch: the Keras graph rebuilt layer by layer as a PyTorch module (`KerasGraphModule`) with the file's
  weights, run eagerly under inference_mode on a channels_last input; "torch.jit" is it traced, frozen and
  optimize_for_inference'd (which folds BatchNormalization into the convolutions). The IMDB BiLSTM is a
  hand-written module (nn.Embedding, two bidirectional nn.LSTM, nn.Linear).
  torchvision's mobilenet_v2 / resnet50 / efficientnet_b0 are not used: they compute other functions than
  Keras's applications of the same names (ResNet50 v1.5 puts the stride in the 3x3 convolution, Keras's v1
  in the 1x1; Keras pads stride-2 convolutions bottom/right, torchvision symmetrically), so copying the
  weights over would not give the same outputs; the rebuilt graph runs the same torch operators.
- onnxruntime: the torch module exported to ONNX (TorchScript exporter, opset 17), run with all graph
  optimisations on NCHW input.
- keras: `keras.saving.load_model` of the file on JAX; "keras jit" is the forward `stateless_call` under
  jax.jit, "keras predict" is `model.predict`.
"""
import io
import math

import numpy as np


# ---------------------------------------------------------------------- torch from the Keras graph

def _same_pads(size, k, s, d):
    """(before, after) padding of Keras/TF "same" for one spatial axis."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _torch_activation(torch, name):
    F = torch.nn.functional
    table = {"linear": None, "relu": F.relu, "relu6": F.relu6, "silu": F.silu, "swish": F.silu,
             "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softmax": lambda x: F.softmax(x, dim=1),
             "hard_silu": F.hardswish, "hard_swish": F.hardswish, "gelu": F.gelu}
    if name not in table:
        raise NotImplementedError(f"activation {name!r}")
    return table[name]


def torch_from_keras_graph(torch, model):
    """A torch.nn.Module computing the nnkern (Keras) functional `model` on NCHW input (4-D tensors NCHW, 2-D
    as they are), with copies of its weights; NotImplementedError for a layer it does not translate."""
    nn, F = torch.nn, torch.nn.functional
    functional = getattr(model, "_functional", model)
    steps = []          # (fn, input ids, output id)
    params = nn.ParameterList()

    def param(a):
        p = nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)), requires_grad=False)
        params.append(p)
        return p

    for node in functional._execution_nodes:
        if node.is_input:
            continue
        layer = node.operation
        kind = type(layer).__name__
        ins = [id(t) for t in node.keras_tensors]
        out = id(node.outputs[0])
        shape = node.keras_tensors[0].shape
        w = [v.numpy() for v in layer.weights]
        fn = _translate(torch, nn, F, layer, kind, shape, w, param)
        steps.append((fn, ins, out))
    input_id, output_id = id(functional._inputs[0]), id(functional._outputs[0])

    class KerasGraphModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.params = params

        def forward(self, x):
            values = {input_id: x}
            for fn, ins, out in steps:
                values[out] = fn(*[values[i] for i in ins])
            return values[output_id]
    return KerasGraphModule().eval()


def _conv_padding(layer, shape, k, s, d):
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    (t, b), (l, r) = [_same_pads(shape[1 + i], k[i], s[i], d[i]) for i in range(2)]
    return (l, r, t, b)


def _translate(torch, nn, F, layer, kind, shape, w, param):
    if kind in ("Conv2D", "DepthwiseConv2D"):
        k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
        if kind == "Conv2D":
            weight, groups = param(w[0].transpose(3, 2, 0, 1)), layer.groups
        else:
            kh, kw, c, m = w[0].shape
            weight, groups = param(w[0].reshape(kh, kw, c * m).transpose(2, 0, 1)[:, None]), c
        bias = param(w[1]) if len(w) > 1 else None
        pads = _conv_padding(layer, shape, k, s, d)
        act = _torch_activation(torch, getattr(layer.activation, "__name__", "?"))
        symmetric = pads[0] == pads[1] and pads[2] == pads[3]
        padding = (pads[2], pads[0]) if symmetric else (0, 0)

        def conv(x):
            if not symmetric:
                x = F.pad(x, pads)
            y = F.conv2d(x, weight, bias, s, padding, d, groups)
            return y if act is None else act(y)
        return conv
    if kind == "BatchNormalization":
        if layer._axes != [len(shape) - 1]:
            raise NotImplementedError("BatchNormalization over another axis than the channels")
        gamma = param(layer.gamma.numpy()) if layer.gamma is not None else None
        beta = param(layer.beta.numpy()) if layer.beta is not None else None
        mean, var, eps = param(layer.moving_mean.numpy()), param(layer.moving_variance.numpy()), layer.epsilon
        return lambda x: F.batch_norm(x, mean, var, gamma, beta, False, 0.0, eps)
    if kind == "ReLU":
        if layer.negative_slope or layer.threshold:
            raise NotImplementedError("ReLU with a slope or threshold")
        return F.relu if layer.max_value is None else (lambda x, m=float(layer.max_value): F.hardtanh(x, 0.0, m))
    if kind == "Activation":
        act = _torch_activation(torch, getattr(layer.activation, "__name__", "?"))
        return (lambda x: x) if act is None else act
    if kind == "ZeroPadding2D":
        (t, b), (l, r) = layer.padding
        return lambda x: F.pad(x, (l, r, t, b))
    if kind == "Add":
        return lambda *xs: sum(xs[1:], xs[0])
    if kind == "Multiply":
        def multiply(*xs):
            y = xs[0]
            for v in xs[1:]:
                y = y * v
            return y
        return multiply
    if kind == "GlobalAveragePooling2D":
        return (lambda x: x.mean((2, 3), keepdim=True)) if layer.keepdims else (lambda x: x.mean((2, 3)))
    if kind == "Reshape":
        target = tuple(layer.target_shape)
        if len(target) == 3 and target[:2] == (1, 1):  # (N, C) -> (N, 1, 1, C): NCHW (N, C, 1, 1)
            return lambda x: x.reshape(x.shape[0], -1, 1, 1)
        raise NotImplementedError(f"Reshape to {target}")
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        k, s = layer.pool_size, layer.strides
        if layer.padding != "valid":
            raise NotImplementedError("pooling with padding='same'")
        pool = F.max_pool2d if kind == "MaxPooling2D" else F.avg_pool2d
        return lambda x: pool(x, k, s)
    if kind == "Dense":
        weight, bias = param(w[0].T), param(w[1]) if len(w) > 1 else None
        act = _torch_activation(torch, getattr(layer.activation, "__name__", "?"))
        return lambda x: F.linear(x, weight, bias) if act is None else act(F.linear(x, weight, bias))
    if kind == "Rescaling":
        scale, offset = float(layer.scale), float(layer.offset)
        return lambda x: x * scale + offset
    if kind == "Normalization":
        if layer.invert or layer._keep_axis != (len(shape) - 1,):
            raise NotImplementedError("Normalization other than over the channels")
        mean, std = (np.asarray(v, np.float32).reshape(1, -1, 1, 1) for v in layer._mean_and_std())
        mean_t, std_t = param(mean), param(std)
        return lambda x: (x - mean_t) / std_t
    if kind in ("Dropout", "SpatialDropout2D", "Identity"):
        return lambda x: x
    raise NotImplementedError(f"layer {kind}")


def torch_bilstm(torch, model):
    """The IMDB BiLSTM (Embedding -> Bidirectional(LSTM, return_sequences) -> Bidirectional(LSTM) -> Dense
    sigmoid) as a hand-written torch module with the nnkern model's weights."""
    nn = torch.nn
    emb_layer, bi1, bi2, dense = [l for l in model.layers if l.weights]

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    def lstm_from(bi):
        units = bi.forward_layer.units
        features = bi.forward_layer.cell.kernel.shape[0]
        lstm = nn.LSTM(features, units, batch_first=True, bidirectional=True)
        for suffix, sub in (("", bi.forward_layer), ("_reverse", bi.backward_layer)):
            k, r, b = (v.numpy() for v in sub.cell.weights)
            getattr(lstm, f"weight_ih_l0{suffix}").data.copy_(t(k.T))  # Keras and torch: gates i, f, c(g), o
            getattr(lstm, f"weight_hh_l0{suffix}").data.copy_(t(r.T))
            getattr(lstm, f"bias_ih_l0{suffix}").data.copy_(t(b))
            getattr(lstm, f"bias_hh_l0{suffix}").data.zero_()
        return lstm

    class BiLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            table = emb_layer.weights[0].numpy()
            self.embedding = nn.Embedding(*table.shape)
            self.embedding.weight.data.copy_(t(table))
            self.lstm1, self.lstm2 = lstm_from(bi1), lstm_from(bi2)
            w, b = (v.numpy() for v in dense.weights)
            self.dense = nn.Linear(*w.shape)
            self.dense.weight.data.copy_(t(w.T))
            self.dense.bias.data.copy_(t(b))

        def forward(self, ids):
            x = self.lstm1(self.embedding(ids))[0]
            h = self.lstm2(x)[1][0]                      # (2, batch, units): forward, backward last states
            return torch.sigmoid(self.dense(torch.cat([h[0], h[1]], dim=1)))
    return BiLSTM().eval()


def _tensor(torch, a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def torch_gru(torch, model):
    """Embedding -> GRU (reset_after, Keras 3's default) -> Dense as a torch module with the model's weights.
    torch's GRU is Keras's reset_after GRU with the gates in another order: torch (r, z, n), Keras (z, r, h)."""
    nn = torch.nn
    emb_layer, gru, dense = [l for l in model.layers if l.weights]
    if not gru.cell.reset_after:
        raise NotImplementedError("GRU with reset_after=False")
    kernel, recurrent, bias = gru.get_weights()
    units = recurrent.shape[0]

    def torch_order(w):  # the last axis holds Keras's (z, r, h) blocks
        z, r, h = np.split(w, 3, axis=-1)
        return np.concatenate([r, z, h], axis=-1)

    class GRUClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            table = emb_layer.get_weights()[0]
            self.embedding = nn.Embedding(*table.shape)
            self.embedding.weight.data.copy_(_tensor(torch, table))
            self.gru = nn.GRU(kernel.shape[0], units, batch_first=True)
            self.gru.weight_ih_l0.data.copy_(_tensor(torch, torch_order(kernel).T))
            self.gru.weight_hh_l0.data.copy_(_tensor(torch, torch_order(recurrent).T))
            self.gru.bias_ih_l0.data.copy_(_tensor(torch, torch_order(bias[0])))
            self.gru.bias_hh_l0.data.copy_(_tensor(torch, torch_order(bias[1])))
            w, b = dense.get_weights()
            self.dense = nn.Linear(*w.shape)
            self.dense.weight.data.copy_(_tensor(torch, w.T))
            self.dense.bias.data.copy_(_tensor(torch, b))
            self.act = _torch_activation(torch, getattr(dense.activation, "__name__", "?"))

        def forward(self, ids):
            y = self.dense(self.gru(self.embedding(ids))[1][0])
            return y if self.act is None else self.act(y)
    return GRUClassifier().eval()


def torch_encoder(torch, model):
    """A post-norm Transformer encoder as Keras builds it here (Embedding, an optional LayerNormalization,
    blocks of MultiHeadAttention -> Add -> LayerNormalization -> Dense -> Dense -> Add -> LayerNormalization,
    then an optional GlobalAveragePooling1D and Dense head) as a torch module with the model's weights; the
    attention through F.scaled_dot_product_attention (Keras's scale 1/sqrt(key_dim))."""
    nn, F = torch.nn, torch.nn.functional
    weighted = [l for l in model.layers if l.weights]
    kinds = [type(l).__name__ for l in weighted]
    pooled = any(type(l).__name__ == "GlobalAveragePooling1D" for l in model.layers)
    if kinds[0] != "Embedding":
        raise NotImplementedError(f"encoder starting with {kinds[0]}")
    params = nn.ParameterList()

    def param(a):
        p = nn.Parameter(_tensor(torch, a), requires_grad=False)
        params.append(p)
        return p

    def layer_norm(layer):
        gamma, beta = (param(w) for w in layer.get_weights())
        return lambda x: F.layer_norm(x, gamma.shape, gamma, beta, layer.epsilon)

    def dense(layer):
        w, b = layer.get_weights()
        weight, bias = param(w.T), param(b)
        act = _torch_activation(torch, getattr(layer.activation, "__name__", "?"))
        return lambda x: F.linear(x, weight, bias) if act is None else act(F.linear(x, weight, bias))

    def attention(layer):
        qk, qb, kk, kb, vk, vb, ok, ob = layer.get_weights()
        d, heads, key_dim = qk.shape
        value_dim = vk.shape[2]
        wq, wk, wv = (param(k.reshape(d, -1).T) for k in (qk, kk, vk))
        bq, bk, bv = (param(b.reshape(-1)) for b in (qb, kb, vb))
        wo, bo = param(ok.reshape(heads * value_dim, -1).T), param(ob)

        def run(x):
            n, t, _ = x.shape
            q, k, v = (F.linear(x, w, b).reshape(n, t, heads, -1).transpose(1, 2)
                       for w, b in ((wq, bq), (wk, bk), (wv, bv)))
            y = F.scaled_dot_product_attention(q, k, v)  # scale 1/sqrt(key_dim), as Keras
            return F.linear(y.transpose(1, 2).reshape(n, t, heads * value_dim), wo, bo)
        return run

    table = weighted[0].get_weights()[0]
    steps, i = [], 1
    if kinds[i] == "LayerNormalization":
        steps.append(("norm", layer_norm(weighted[i])))
        i += 1
    while i < len(kinds) and kinds[i] == "MultiHeadAttention":
        if kinds[i:i + 5] != ["MultiHeadAttention", "LayerNormalization", "Dense", "Dense", "LayerNormalization"]:
            raise NotImplementedError(f"encoder block {kinds[i:i + 5]}")
        mha, ln1, d1, d2, ln2 = (f(l) for f, l in zip((attention, layer_norm, dense, dense, layer_norm),
                                                        weighted[i:i + 5]))
        steps.append(("block", (mha, ln1, d1, d2, ln2)))
        i += 5
    head = [dense(l) for l in weighted[i:]]
    if any(k != "Dense" for k in kinds[i:]):
        raise NotImplementedError(f"encoder head {kinds[i:]}")

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(*table.shape)
            self.embedding.weight.data.copy_(_tensor(torch, table))
            self.params = params

        def forward(self, ids):
            x = self.embedding(ids)
            for kind, step in steps:
                if kind == "norm":
                    x = step(x)
                else:
                    mha, ln1, d1, d2, ln2 = step
                    x = ln1(x + mha(x))
                    x = ln2(x + d2(d1(x)))
            if pooled:
                x = x.mean(1)
            for f in head:
                x = f(x)
            return x
    return Encoder().eval()


SEQUENCE_MODULES = {"imdb_bilstm": torch_bilstm, "gru_classifier": torch_gru, "transformer": torch_encoder,
                    "bert_mini": torch_encoder}


def torch_candidates(env, spec, model, x):
    """{name: (fn, output -> Keras layout)}, {name: why missing} for torch eager and torch.jit, plus the module
    and its input for the ONNX export."""
    torch = env.torch
    out, missing = {}, {}
    if spec.kind == "cnn":
        module = torch_from_keras_graph(torch, model)
        xin = torch.from_numpy(x).permute(0, 3, 1, 2)  # NHWC memory = a channels_last NCHW view
        to_keras = lambda y: y.numpy() if y.ndim == 2 else y.permute(0, 2, 3, 1).numpy()  # noqa: E731
    else:
        if spec.model not in SEQUENCE_MODULES:
            raise NotImplementedError(f"no torch module for {spec.model}")
        module = SEQUENCE_MODULES[spec.model](torch, model)
        xin = torch.from_numpy(x.astype(np.int64))
        to_keras = lambda y: y.numpy()  # noqa: E731

    def eager():
        with torch.inference_mode():
            return module(xin)
    out["torch"] = eager, to_keras
    try:
        import warnings
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(module, xin).eval()))
            frozen(xin)
            frozen(xin)

        def jit():
            with torch.no_grad():
                return frozen(xin)
        out["torch.jit"] = jit, to_keras
    except Exception as e:  # noqa: BLE001  tracing is best effort
        missing["torch.jit"] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
    return out, missing, module, xin, to_keras


def onnx_candidate(env, module, xin, to_keras):
    torch, ort = env.torch, env.ort
    buffer = io.BytesIO()
    import warnings
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        feed_t = xin.contiguous()
        torch.onnx.export(module, (feed_t,), buffer, input_names=["x"], output_names=["y"], opset_version=17,
                          dynamo=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = env.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(buffer.getvalue(), so, providers=["CPUExecutionProvider"])
    feed = {"x": feed_t.numpy()}
    return (lambda: sess.run(None, feed)[0]), (lambda y: to_keras(torch.from_numpy(np.asarray(y))))


def keras_candidates(env, path, x):
    """Keras 3 on JAX: load_model of the file; "keras jit": the forward under jax.jit; "keras predict"."""
    import jax
    keras = env.keras
    model = keras.saving.load_model(path)
    # Copies: model.predict donates the variables' buffers (they are deleted after its first call).
    tv = [jax.numpy.array(v.value, copy=True) for v in model.trainable_variables]
    ntv = [jax.numpy.array(v.value, copy=True) for v in model.non_trainable_variables]
    forward = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=False)[0])
    xj = jax.device_put(x)
    jax.block_until_ready(forward(tv, ntv, xj))
    as_array = np.asarray
    return {"keras jit": ((lambda: jax.block_until_ready(forward(tv, ntv, xj))), as_array),
            "keras predict": ((lambda: model.predict(x, batch_size=len(x), verbose=0)), as_array)}


def tensorflow_candidates(env, path, x):
    """Keras 3 on TensorFlow (a process of its own: Keras's backend is fixed per process): the model under
    tf.function (graph mode, no XLA), called on a tf.constant input."""
    import tensorflow as tf
    model = env.keras.saving.load_model(path)
    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    xt = tf.constant(x)
    forward(xt)
    return {"tensorflow": ((lambda: forward(xt).numpy()), np.asarray)}
