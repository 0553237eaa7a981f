"""Pooling goldens: Keras MaxPooling2D / AveragePooling2D / MaxPooling1D / AveragePooling1D.

pool_size x strides x padding grid on small inputs (all negative, so a padded zero would wrongly win a
max and a wrong divisor shows in an average), channel counts that cover the kernel's 32 / 8 / 1
channel blocks, windows larger than a `same` input, an odd 127 x 127 image (63 and 64 outputs), NaN,
and batch 0 (Keras's compute_output_shape only).
"""
import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import run_layer, seeded

LAYERS = {
    ("max", 2): keras.layers.MaxPooling2D,
    ("avg", 2): keras.layers.AveragePooling2D,
    ("max", 1): keras.layers.MaxPooling1D,
    ("avg", 1): keras.layers.AveragePooling1D,
}


def values(shape, seed, low, high, steps=128):
    """Seeded inputs on a 1/steps grid: exact in float32 and compressible (keeps the .npz small)."""
    return seeded(shape, seed, low, high, steps=steps)


def _name(v):
    if v is None:
        return "None"
    return "x".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def _params(op, rank, pool_size, strides, padding):
    as_json = lambda v: list(v) if isinstance(v, tuple) else v  # noqa: E731
    return {"op": op, "rank": rank, "pool_size": as_json(pool_size), "strides": as_json(strides),
            "padding": padding}


def generate(data_dir):
    w = GoldenWriter("pooling")
    seed = 0

    def add(op, rank, x, pool_size, strides, padding, tag=""):
        layer = LAYERS[op, rank](pool_size=pool_size, strides=strides, padding=padding)
        _, y = run_layer(layer, x)
        case_id = f"{op}{rank}d_p{_name(pool_size)}_s{_name(strides)}_{padding}_{_name(x.shape)}{tag}"
        w.add(case_id, _params(op, rank, pool_size, strides, padding), x=x, y=y)

    # The 2-D grid (Keras: strides=None means pool_size).
    for pool_size in [1, 2, 3, (2, 3)]:
        for strides in [None, 1, 2, 3, (1, 2)]:
            for padding in ["valid", "same"]:
                for op in ["max", "avg"]:
                    seed += 1
                    add(op, 2, values((2, 7, 9, 3), seed, -4.0, -0.5), pool_size, strides, padding)
    # Channel blocks of the kernel (32 + 8 + 1), batch 1, mixed signs.
    for op in ["max", "avg"]:
        for pool_size, strides, padding in [(2, None, "same"), (3, 2, "valid"), ((3, 2), (2, 1), "same")]:
            seed += 1
            add(op, 2, values((1, 5, 6, 41), seed, -2.0, 2.0), pool_size, strides, padding)
    # Windows larger than the input (only `same` allows it), stride larger than the window.
    for op in ["max", "avg"]:
        seed += 1
        add(op, 2, values((2, 3, 4, 2), seed, -3.0, -1.0), (5, 7), (1, 2), "same")
        add(op, 2, values((2, 3, 4, 2), seed, -3.0, -1.0), 4, 3, "same")
        add(op, 2, values((3, 8, 8, 5), seed, -3.0, 3.0), 2, (3, 4), "valid")
    # Odd size: 127 x 127 with 2 x 2 pooling gives 63 (valid) and 64 (same).
    x = values((1, 127, 127, 1), 127, -2.0, 2.0, steps=16)
    for op in ["max", "avg"]:
        for padding in ["valid", "same"]:
            add(op, 2, x, 2, None, padding)
    # NaN in a window: lax.max and the sum propagate it.
    x = values((1, 4, 4, 9), 99, -1.0, 1.0)
    x[0, 1, 2, 3] = np.nan
    x[0, 3, 3, 8] = np.nan
    for op in ["max", "avg"]:
        add(op, 2, x, 2, None, "valid", tag="_nan")
        add(op, 2, x, 3, 1, "same", tag="_nan")

    # 1-D: (batch, steps, channels).
    for pool_size in [1, 2, 3, (4,)]:
        for strides in [None, 1, 2]:
            for padding in ["valid", "same"]:
                for op in ["max", "avg"]:
                    seed += 1
                    add(op, 1, values((2, 11, 4), seed, -4.0, -0.5), pool_size, strides, padding)
    for op in ["max", "avg"]:
        seed += 1
        add(op, 1, values((1, 127, 33), seed, -2.0, 2.0, steps=16), 2, None, "same")
        add(op, 1, values((3, 5, 2), seed, -2.0, -1.0), 7, 2, "same")

    # Batch 0: Keras's output shape only (there are no values to compare).
    for rank, shape, pool_size, strides, padding in [
        (2, (0, 7, 9, 3), 2, None, "valid"), (2, (0, 7, 9, 3), (2, 3), 1, "same"),
        (2, (0, 127, 127, 1), 2, None, "same"), (1, (0, 11, 4), 3, 2, "valid"), (1, (0, 11, 4), 2, None, "same"),
    ]:
        for op in ["max", "avg"]:
            layer = LAYERS[op, rank](pool_size=pool_size, strides=strides, padding=padding)
            out_shape = [int(d) for d in layer.compute_output_shape(shape)]
            w.add(f"{op}{rank}d_p{_name(pool_size)}_s{_name(strides)}_{padding}_{_name(shape)}",
                  {**_params(op, rank, pool_size, strides, padding), "x_shape": list(shape),
                   "y_shape": out_shape})
    return w.save(data_dir)
