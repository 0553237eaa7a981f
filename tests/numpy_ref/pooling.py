"""Keras/TensorFlow pooling written out window by window (channels_last, float64 inside).

`same` pads ceil-style: out = ceil(n / stride), total padding max((out - 1) * stride + pool - n, 0),
the smaller half before; padded cells are simply not part of the window (never a max, not counted
in a mean).
"""
import numpy as np


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _axis(n, pool, stride, padding):
    """(output length, padding before) on one axis."""
    if padding == "valid":
        return (n - pool) // stride + 1, 0
    out = -(-n // stride)
    return out, max((out - 1) * stride + pool - n, 0) // 2


def pool2d(x, pool_size=2, strides=None, padding="valid", op="max"):
    x = np.asarray(x, np.float64)
    ph, pw = _pair(pool_size)
    sh, sw = (ph, pw) if strides is None else _pair(strides)
    n, h, w, c = x.shape
    out_h, top = _axis(h, ph, sh, padding)
    out_w, left = _axis(w, pw, sw, padding)
    y = np.zeros((n, out_h, out_w, c))
    for i in range(out_h):
        h0 = i * sh - top
        for j in range(out_w):
            w0 = j * sw - left
            window = x[:, max(h0, 0):h0 + ph, max(w0, 0):w0 + pw, :]
            window = window.reshape(n, window.shape[1] * window.shape[2], c)
            y[:, i, j, :] = window.max(axis=1) if op == "max" else window.mean(axis=1)
    return y


def pool1d(x, pool_size=2, strides=None, padding="valid", op="max"):
    """(batch, steps, channels): 2-D pooling of a height-1 image."""
    k = pool_size if np.isscalar(pool_size) else pool_size[0]
    s = k if strides is None else (strides if np.isscalar(strides) else strides[0])
    return pool2d(np.asarray(x)[:, None], (1, k), (1, s), padding, op)[:, 0]
