"""Conv2D / Conv1D goldens (channels_last), from Keras 3 layers with seeded weights.

- every padding x strides {1, 2, 3, (1, 2)} x dilation {1, 2} x kernel {1, 3, 4, 5, (5, 3)} that Keras
  accepts (it refuses strides > 1 together with dilation > 1), on 2x9x11x3 -> 4 filters;
- odd sizes (127x127, 1 channel), batch 1 and 3, groups, activations, no bias;
- Conv1D valid / same / causal with strides and dilation, and groups;
- batch 0: the output shape Keras's compute_output_shape gives (stored as `output_shape`).
Inputs are multiples of 1/16 (exact in float32, and they compress), weights are full floats.
"""
import keras

from _golden_io import GoldenWriter
from _keras_helpers import run_layer, seeded

STRIDES = [1, 2, 3, (1, 2)]
DILATIONS = [1, 2]
KERNELS = [1, 3, 4, 5, (5, 3)]


def _input(shape, seed):
    return seeded(shape, seed, -2, 2, steps=16)


def _name(v):
    return "x".join(map(str, v)) if isinstance(v, tuple) else str(v)


def _pair(v):
    return list(v) if isinstance(v, tuple) else [v, v]


class _Cases:
    def __init__(self):
        self.writer = GoldenWriter("conv2d")
        self.seed = 0

    def add(self, case_id, rank, x, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, groups=1,
            activation="linear", use_bias=True):
        self.seed += 1
        layer_cls = keras.layers.Conv2D if rank == 2 else keras.layers.Conv1D
        layer = layer_cls(filters, kernel_size, strides=strides, padding=padding, dilation_rate=dilation_rate,
                          groups=groups, activation=activation, use_bias=use_bias)
        ks = tuple(_pair(kernel_size)) if rank == 2 else (kernel_size,)
        kernel = seeded(ks + (x.shape[-1] // groups, filters), self.seed + 1000)
        weights = [kernel] + ([seeded((filters,), self.seed + 2000)] if use_bias else [])
        output_shape = layer.compute_output_shape(x.shape)
        weights, y = run_layer(layer, x, weights)
        assert tuple(y.shape) == tuple(output_shape), (case_id, y.shape, output_shape)
        params = {"rank": rank, "strides": _pair(strides) if rank == 2 else strides, "padding": padding,
                  "dilation_rate": _pair(dilation_rate) if rank == 2 else dilation_rate, "groups": groups,
                  "activation": activation, "use_bias": use_bias, "output_shape": list(output_shape)}
        arrays = {"x": x, "kernel": weights[0], "y": y}
        if use_bias:
            arrays["bias"] = weights[1]
        self.writer.add(case_id, params, **arrays)


def generate(data_dir):
    c = _Cases()
    x = _input((2, 9, 11, 3), 1)
    for padding in ["valid", "same"]:
        for strides in STRIDES:
            for dilation in DILATIONS:
                if max(_pair(strides)) > 1 and dilation > 1:
                    continue  # Keras refuses this combination
                for kernel in KERNELS:
                    c.add(f"grid_{padding}_s{_name(strides)}_d{dilation}_k{_name(kernel)}", 2, x, 4, kernel,
                          strides=strides, padding=padding, dilation_rate=dilation)

    # Odd sizes, batch 1 (few channels keep the file small).
    x = _input((1, 127, 127, 1), 2)
    c.add("odd127_same_s2_k3", 2, x, 2, 3, strides=2, padding="same")
    c.add("odd127_valid_s3_k4_relu", 2, x, 2, 4, strides=3, activation="relu")
    c.add("odd127_same_d2x1_k2x3", 2, x[:, :31, :45], 3, (2, 3), padding="same", dilation_rate=(2, 1))
    # Batch 3, no bias, a non-square dilation.
    c.add("b3_same_d1x2_k3_nobias", 2, _input((3, 8, 10, 2), 3), 5, 3, padding="same", dilation_rate=(1, 2),
          use_bias=False)

    # Groups: 4 -> 6 in 2 groups (3x3, 1x1 pointwise, strided), 6 -> 3 in 3 groups.
    x = _input((2, 7, 8, 4), 4)
    c.add("groups2_same_k3", 2, x, 6, 3, padding="same", groups=2)
    c.add("groups2_k1", 2, x, 6, 1, groups=2)
    c.add("groups2_valid_s2_k3_relu", 2, x, 6, 3, strides=2, groups=2, activation="relu")
    c.add("groups3_same_k3x2", 2, _input((1, 6, 5, 6), 5), 3, (3, 2), padding="same", groups=3)

    # Activations on a 3x3 same conv (softmax runs over the filters axis).
    x = _input((2, 6, 7, 3), 6)
    for act in ["relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "elu", "leaky_relu"]:
        c.add(f"act_{act}", 2, x, 5, 3, padding="same", activation=act)
    c.add("act_relu_k1", 2, x, 5, 1, activation="relu")

    # Conv1D: every padding with dilation and strides (not together), groups, activation.
    x = _input((2, 13, 3), 7)
    for padding in ["valid", "same", "causal"]:
        for strides, dilation in [(1, 1), (1, 2), (2, 1), (3, 1)]:
            for kernel in [1, 3, 4]:
                c.add(f"conv1d_{padding}_s{strides}_d{dilation}_k{kernel}", 1, x, 4, kernel, strides=strides,
                      padding=padding, dilation_rate=dilation)
    c.add("conv1d_causal_d3_k3_groups2_relu", 1, _input((1, 10, 4), 8), 6, 3, padding="causal", dilation_rate=3,
          groups=2, activation="relu")

    # Batch 0: only the output shape is meaningful.
    c.add("batch0_valid_k3", 2, _input((0, 9, 11, 3), 9), 4, 3)
    c.add("batch0_same_s2_k5x3", 2, _input((0, 9, 11, 3), 9), 4, (5, 3), strides=2, padding="same")
    c.add("batch0_conv1d_causal_d2", 1, _input((0, 13, 3), 10), 4, 3, padding="causal", dilation_rate=2)
    return c.writer.save(data_dir)
