"""The benchmark workloads W1-W10 of issue 5, as specs every candidate is built from.

A workload is one layer (or, for W10, a small model) at a fixed input shape. `build_model(K, spec)` builds it
with a Keras-compatible module K - `nnkern` or `keras` - so both run exactly the same definition; the peers
(numpy, torch, ONNX Runtime) are built in compare.py from the same Keras-layout weights.
"""
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Spec:
    case: str           # "W1/b1": workload id and, where the issue lists several, the batch
    workload: str       # "W1"
    title: str          # the description
    kind: str           # dense | conv2d | conv2d_transpose | max_pool2d | lstm | embedding_lstm
    input_shape: tuple  # Keras layout (NHWC / batch, steps, features), batch included
    params: dict = field(default_factory=dict)
    compute_bound: bool = False  # the issue's >= 90 GFLOP/s cases

    @property
    def flops(self):
        """Multiply-adds x 2 of the layer's main product (None for pooling)."""
        p, shape = self.params, self.input_shape
        if self.kind == "dense":
            return 2.0 * shape[0] * p["in"] * p["units"]
        if self.kind == "conv2d":  # stride 1, same: output H x W
            n, h, w, cin = shape
            return 2.0 * n * h * w * p["filters"] * p["k"] * p["k"] * cin
        if self.kind == "conv2d_transpose":  # every input pixel scatters a k x k x filters patch
            n, h, w, cin = shape
            return 2.0 * n * h * w * cin * p["k"] * p["k"] * p["filters"]
        if self.kind in ("lstm", "embedding_lstm"):
            n, steps = shape[0], shape[1]
            features = p["dim"] if self.kind == "embedding_lstm" else shape[2]
            return 2.0 * n * steps * (features + p["units"]) * 4 * p["units"]
        return None


def _specs():
    out = []
    for batch in (1, 256):
        out.append(Spec(f"W1/b{batch}", "W1", "Dense 64->200 relu", "dense", (batch, 64),
                        {"in": 64, "units": 200, "activation": "relu"}))
    for batch in (1, 256):
        out.append(Spec(f"W2/b{batch}", "W2", "Dense 1024->1024", "dense", (batch, 1024),
                        {"in": 1024, "units": 1024, "activation": None}, compute_bound=batch == 256))
    out.append(Spec("W3", "W3", "Conv2D 3->32 3x3 same", "conv2d", (1, 128, 128, 3), {"filters": 32, "k": 3}))
    out.append(Spec("W4", "W4", "Conv2D 64->64 3x3 same", "conv2d", (8, 56, 56, 64), {"filters": 64, "k": 3},
                    compute_bound=True))
    out.append(Spec("W5", "W5", "Conv2DTranspose 3->32 3x3 s2 same", "conv2d_transpose", (1, 128, 128, 3),
                    {"filters": 32, "k": 3, "strides": 2}))
    out.append(Spec("W6", "W6", "Conv2DTranspose 64->32 3x3 s2 same", "conv2d_transpose", (8, 32, 32, 64),
                    {"filters": 32, "k": 3, "strides": 2}))
    out.append(Spec("W7", "W7", "MaxPool2D 2x2", "max_pool2d", (8, 128, 128, 32), {"pool": 2}))
    for batch in (1, 32):
        out.append(Spec(f"W8/b{batch}", "W8", "LSTM 64, input 20, 100 steps", "lstm", (batch, 100, 20),
                        {"units": 64}))
    out.append(Spec("W9", "W9", "LSTM 256, input 128, 50 steps", "lstm", (32, 50, 128), {"units": 256},
                    compute_bound=True))
    out.append(Spec("W10", "W10", "Input(100) int -> Embedding(1000, 20) -> LSTM(64)", "embedding_lstm",
                    (1, 100), {"vocab": 1000, "dim": 20, "units": 64}))
    return out


SPECS = _specs()
WORKLOADS = sorted({s.workload for s in SPECS}, key=lambda w: int(w[1:]))


def select_specs(specs, known, workloads):
    """The specs (of workload ids `known`) of the given workload ids, all when none are given; ValueError
    naming unknown ids. Also bench/models.py's selection of M1-M6."""
    if not workloads:
        return list(specs)
    wanted = {w.upper() for w in workloads}  # ids in any case, as typed on a command line ("m5b")
    unknown = sorted(wanted - {w.upper() for w in known})
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; known: {known}")
    return [s for s in specs if s.workload.upper() in wanted]


def select(workloads=None):
    """The specs of the given workload ids ("W1", ...; all when None); ValueError naming unknown ids."""
    return select_specs(SPECS, WORKLOADS, workloads)


def make_input(spec, rng):
    if spec.kind == "embedding_lstm":
        return rng.integers(0, spec.params["vocab"], size=spec.input_shape).astype(np.int32)
    return rng.standard_normal(spec.input_shape).astype(np.float32)


def make_weights(spec, rng):
    """Keras-layout weights: uniform in +-sqrt(3 / fan_in) so activations stay O(1) through the layer."""
    p = spec.params

    def uniform(shape, fan_in):
        limit = np.sqrt(3.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape).astype(np.float32)

    def bias(n):
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    if spec.kind == "dense":
        return [uniform((p["in"], p["units"]), p["in"]), bias(p["units"])]
    if spec.kind == "conv2d":
        cin = spec.input_shape[-1]
        return [uniform((p["k"], p["k"], cin, p["filters"]), p["k"] * p["k"] * cin), bias(p["filters"])]
    if spec.kind == "conv2d_transpose":
        cin = spec.input_shape[-1]
        return [uniform((p["k"], p["k"], p["filters"], cin), p["k"] * p["k"] * cin), bias(p["filters"])]
    if spec.kind == "max_pool2d":
        return []
    u = p["units"]
    features = p["dim"] if spec.kind == "embedding_lstm" else spec.input_shape[-1]
    lstm = [uniform((features, 4 * u), features), uniform((u, 4 * u), u), bias(4 * u)]
    if spec.kind == "embedding_lstm":
        return [rng.standard_normal((p["vocab"], p["dim"])).astype(np.float32)] + lstm
    return lstm


def build_model(K, spec):
    """The workload as a Sequential model of the Keras-compatible module K (nnkern or keras)."""
    p, L = spec.params, K.layers
    sample_shape = spec.input_shape[1:]
    if spec.kind == "dense":
        layers = [L.Dense(p["units"], activation=p["activation"])]
    elif spec.kind == "conv2d":
        layers = [L.Conv2D(p["filters"], p["k"], padding="same")]
    elif spec.kind == "conv2d_transpose":
        layers = [L.Conv2DTranspose(p["filters"], p["k"], strides=p["strides"], padding="same")]
    elif spec.kind == "max_pool2d":
        layers = [L.MaxPooling2D(p["pool"])]
    elif spec.kind == "lstm":
        layers = [L.LSTM(p["units"])]
    elif spec.kind == "embedding_lstm":
        layers = [L.Embedding(p["vocab"], p["dim"]), L.LSTM(p["units"])]
    else:
        raise ValueError(f"unknown workload kind {spec.kind!r}")
    dtype = "int32" if spec.kind == "embedding_lstm" else "float32"
    return K.Sequential([K.Input(sample_shape, dtype=dtype)] + layers)
