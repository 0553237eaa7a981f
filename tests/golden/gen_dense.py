"""Dense goldens: every activation, with and without bias, batch 0 / 1 / >1, wide and narrow."""
import keras

from _golden_io import GoldenWriter
from _keras_helpers import run_layer, seeded

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
               "elu", "selu", "gelu", "silu", "hard_sigmoid", "hard_silu", "exponential", "leaky_relu",
               "relu6", "mish"]


def generate(data_dir):
    w = GoldenWriter("dense")
    seed = 0
    for act in ACTIVATIONS:
        for batch, k, n, use_bias in [(3, 7, 5, True), (1, 16, 9, False)]:
            seed += 1
            x = seeded((batch, k), seed, -3, 3)
            weights = [seeded((k, n), seed + 100)] + ([seeded((n,), seed + 200)] if use_bias else [])
            layer = keras.layers.Dense(n, activation=act, use_bias=use_bias)
            weights, y = run_layer(layer, x, weights)
            arrays = {"x": x, "kernel": weights[0], "y": y}
            if use_bias:
                arrays["bias"] = weights[1]
            w.add(f"{act}_b{batch}_{k}x{n}_{'bias' if use_bias else 'nobias'}",
                  {"activation": act, "use_bias": use_bias}, **arrays)
    for batch, k, n in [(33, 127, 65), (2, 1024, 3)]:
        x = seeded((batch, k), batch)
        weights, y = run_layer(keras.layers.Dense(n), x, [seeded((k, n), 7), seeded((n,), 8)])
        w.add(f"linear_b{batch}_{k}x{n}", {"activation": "linear", "use_bias": True},
              x=x, kernel=weights[0], bias=weights[1], y=y)
    return w.save(data_dir)
