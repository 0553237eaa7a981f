"""Conv2DTranspose goldens: padding x strides x dilation x kernel size (every combination Keras
accepts), output_padding, an odd 63x63 size, batch 0 / 1 / >1, a few activations, no bias; plus
strides and dilation together through keras.ops.conv_transpose.

Keras 3 refuses, and so these omit: strides > 1 together with dilation_rate > 1 in the layer
("`strides > 1` not supported in conjunction with `dilation_rate > 1`"; keras.ops.conv_transpose
accepts it), and output_padding >= strides on any axis.
"""
import itertools

import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import run_layer, seeded

PADDINGS = ["valid", "same"]
STRIDES = [1, 2, 3, (1, 2)]
DILATIONS = [1, 2]
KERNELS = [1, 3, 4, 5, (5, 3)]


def _pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def _tag(v):
    return "x".join(map(str, _pair(v)))


def _params(kernel, strides, padding, dilation, output_padding, activation, use_bias):
    return {"kernel_size": _pair(kernel), "strides": _pair(strides), "padding": padding,
            "dilation_rate": _pair(dilation),
            "output_padding": None if output_padding is None else _pair(output_padding),
            "activation": activation, "use_bias": use_bias}


def _add_layer_case(w, case_id, x, filters, kernel, strides=1, padding="valid", dilation=1,
                    output_padding=None, activation="linear", use_bias=True, seed=0):
    layer = keras.layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding,
                                         output_padding=output_padding, dilation_rate=dilation,
                                         activation=activation, use_bias=use_bias)
    kh, kw = _pair(kernel)
    weights = [seeded((kh, kw, filters, x.shape[-1]), seed + 1000)]
    if use_bias:
        weights.append(seeded((filters,), seed + 2000))
    weights, y = run_layer(layer, x, weights)
    arrays = {"x": x, "kernel": weights[0], "y": y}
    if use_bias:
        arrays["bias"] = weights[1]
    params = _params(kernel, strides, padding, dilation, output_padding, activation, use_bias)
    params["keras_output_shape"] = [int(d) for d in layer.compute_output_shape(x.shape)]
    w.add(case_id, params, **arrays)


def generate(data_dir):
    w = GoldenWriter("conv2d_transpose")
    seed = 0
    # The grid, on small inputs (batch 1, every third 2, to keep the file small).
    for padding, strides, dilation, kernel in itertools.product(PADDINGS, STRIDES, DILATIONS, KERNELS):
        if max(_pair(strides)) > 1 and dilation > 1:
            continue  # refused by Keras (see the module docstring)
        seed += 1
        x = seeded((2 if seed % 3 == 0 else 1, 5, 7, 3), seed)
        _add_layer_case(w, f"{padding}_s{_tag(strides)}_d{dilation}_k{_tag(kernel)}", x, 4, kernel,
                        strides, padding, dilation, seed=seed)

    # output_padding (must be < strides per axis), including 0 and per-axis pairs.
    for padding, strides, output_padding, kernel in [
            ("valid", 2, 1, 3), ("same", 2, 1, 3), ("same", 2, 0, 3), ("valid", 2, 0, 4),
            ("same", 2, 1, 4), ("same", 3, 2, 5), ("valid", 3, (2, 1), (5, 3)), ("same", 3, (0, 2), 1),
            ("same", (2, 3), (1, 2), 4), ("valid", 1, 0, 3), ("same", 1, 0, 4), ("valid", 3, 1, 1)]:
        seed += 1
        x = seeded((2, 4, 6, 3), seed)
        _add_layer_case(w, f"op{_tag(output_padding)}_{padding}_s{_tag(strides)}_k{_tag(kernel)}", x, 4,
                        kernel, strides, padding, output_padding=output_padding, seed=seed)
    seed += 1
    _add_layer_case(w, "op0_same_s1_d2_k3", seeded((1, 5, 6, 2), seed), 3, 3, 1, "same", 2,
                    output_padding=0, seed=seed)

    # Odd sizes with 1-2 channels: a stride-2 upsampling, a stride-1 case, U-Net's 2x2 stride 2.
    seed += 1
    _add_layer_case(w, "odd63_same_s2_k3", seeded((1, 63, 63, 1), seed), 1, 3, 2, "same", seed=seed)
    seed += 1
    _add_layer_case(w, "odd63_valid_s1_k5x3", seeded((1, 63, 63, 1), seed), 1, (5, 3), 1, "valid", seed=seed)
    seed += 1
    _add_layer_case(w, "odd15x17_same_s2_k2", seeded((2, 15, 17, 2), seed), 2, 2, 2, "same", seed=seed)

    # Activations (softmax acts over the channels), no bias, more channels, larger batch.
    for activation in ["relu", "sigmoid", "tanh", "softmax"]:
        seed += 1
        _add_layer_case(w, f"{activation}_same_s2_k3", seeded((3, 4, 5, 3), seed, -2, 2), 5, 3, 2, "same",
                        activation=activation, seed=seed)
    seed += 1
    _add_layer_case(w, "nobias_valid_s2_k4", seeded((2, 5, 4, 3), seed), 4, 4, 2, "valid", use_bias=False,
                    seed=seed)
    seed += 1
    _add_layer_case(w, "wide_same_s2_k3_b2", seeded((2, 5, 4, 16), seed), 12, 3, 2, "same", seed=seed)

    # Batch 0: Keras's compute_output_shape and the (empty) output.
    for padding, strides in [("same", 2), ("valid", 3)]:
        seed += 1
        _add_layer_case(w, f"batch0_{padding}_s{strides}_k3", np.zeros((0, 5, 7, 3), np.float32), 4, 3,
                        strides, padding, seed=seed)

    # Strides with dilation: only keras.ops.conv_transpose accepts them (no bias, linear).
    for padding, strides, dilation, kernel in [("valid", 2, 2, 3), ("same", 2, 2, 3), ("same", (3, 2), (2, 3), (3, 2))]:
        seed += 1
        kh, kw = _pair(kernel)
        x = seeded((2, 4, 5, 3), seed)
        k = seeded((kh, kw, 4, 3), seed + 1000)
        y = np.asarray(keras.ops.conv_transpose(x, k, strides=strides, padding=padding, dilation_rate=dilation))
        w.add(f"ops_{padding}_s{_tag(strides)}_d{_tag(dilation)}_k{_tag(kernel)}",
              _params(kernel, strides, padding, dilation, None, "linear", False), x=x, kernel=k, y=y)
    return w.save(data_dir)
