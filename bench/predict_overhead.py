"""Python overhead of `model.predict` at batch 1: predict minus the bare `nnkern._core` calls it makes.

    PYTHONPATH=python python bench/predict_overhead.py [rounds]

Cases: W10 (Input(100) int32 -> Embedding(1000, 20) -> LSTM(64)), W8 (LSTM 64, input 20, 100 steps) and a
small Conv2D(8, 3, same, relu) + MaxPooling2D(2) on 1x16x16x3. Process CPU time (the machine is shared),
predict and bare kernels interleaved round by round; medians over the rounds.
"""
import statistics
import sys
import time

import numpy as np

import nnkern as keras
from nnkern import _core
from nnkern import layers as L

RNG = np.random.default_rng(0)


def per_call(fn, n):
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n


def w10():
    emb, lstm = L.Embedding(1000, 20), L.LSTM(64)
    model = keras.Sequential([keras.Input((100,), dtype="int32"), emb, lstm])
    x = RNG.integers(0, 1000, (1, 100)).astype(np.int32)
    table = emb.embeddings.value
    k, r, b = (w.value for w in lstm.weights)
    return model, x, lambda: _core.lstm(np.take(table, x, axis=0), k, r, b)[0], 200


def w8():
    lstm = L.LSTM(64)
    model = keras.Sequential([keras.Input((100, 20)), lstm])
    x = RNG.standard_normal((1, 100, 20)).astype(np.float32)
    k, r, b = (w.value for w in lstm.weights)
    return model, x, lambda: _core.lstm(x, k, r, b)[0], 200


def conv_pool():
    conv = L.Conv2D(8, 3, padding="same", activation="relu")
    model = keras.Sequential([keras.Input((16, 16, 3)), conv, L.MaxPooling2D(2)])
    x = RNG.standard_normal((1, 16, 16, 3)).astype(np.float32)
    k, b = conv.kernel.value, conv.bias.value
    return (model, x, lambda: _core.max_pool2d(_core.conv2d(x, k, b, (1, 1), "same", (1, 1), 1, "relu"),
                                               (2, 2), (2, 2), "valid"), 2000)


def main(rounds=15):
    keras.set_num_threads(1)
    for name, make in (("W10", w10), ("W8", w8), ("Conv2D+MaxPool", conv_pool)):
        model, x, bare, n = make()
        predict = lambda: model.predict(x, batch_size=1, verbose=0)  # noqa: E731
        np.testing.assert_allclose(predict(), bare(), rtol=1e-5, atol=1e-6)
        for _ in range(100):
            predict(), bare()
        tp, tb = [], []
        for _ in range(rounds):
            tp.append(per_call(predict, n))
            tb.append(per_call(bare, n))
        med = statistics.median
        print(f"{name:15s} predict {med(tp) * 1e6:8.2f} µs  bare kernels {med(tb) * 1e6:8.2f} µs  "
              f"overhead {med(p - b for p, b in zip(tp, tb)) * 1e6:5.2f} µs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
