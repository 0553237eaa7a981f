"""Keras Conv3D, Conv3DTranspose and 3-D pooling in plain numpy (float64, channels_last), one kernel tap
or window at a time. Sizes and pads restate TensorFlow/Keras's rules (conv2d.py, conv2d_transpose.py,
pooling.py give the same rules in 2-D)."""
import itertools

import numpy as np

from numpy_ref.activations import activation
from numpy_ref.conv2d_transpose import keras_axis


def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


def _conv_axis(size, kernel, stride, dilation, padding):
    """(output length, pad before, pad after) of a forward window on one axis."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        return max((size - k) // stride + 1, 0), 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def conv3d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1, act="linear"):
    """x (N, D, H, W, C), kernel (kd, kh, kw, C / groups, F)."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    strides, dilation = _triple(strides), _triple(dilation_rate)
    *ks, cin_g, filters = kernel.shape
    assert x.shape[-1] == cin_g * groups and filters % groups == 0
    axes = [_conv_axis(n, k, s, d, padding) for n, k, s, d in zip(x.shape[1:4], ks, strides, dilation)]
    xp = np.pad(x, ((0, 0),) + tuple((a[1], a[2]) for a in axes) + ((0, 0),))
    out = [a[0] for a in axes]
    y = np.zeros((x.shape[0], *out, filters))
    fg = filters // groups
    for g in range(groups):
        xg = xp[..., g * cin_g:(g + 1) * cin_g]
        for tap in itertools.product(*(range(k) for k in ks)):
            index = tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, d, o, s in zip(tap, dilation, out, strides))
            y[..., g * fg:(g + 1) * fg] += xg[(slice(None),) + index] @ kernel[tap][:, g * fg:(g + 1) * fg]
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return activation(y, act)


def conv3d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                     act="linear"):
    """x (N, D, H, W, in), kernel (kd, kh, kw, out, in): every input cell scatters every tap."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    strides, dilation = _triple(strides), _triple(dilation_rate)
    paddings = (None,) * 3 if output_padding is None else _triple(output_padding)
    *ks, c_out, _ = kernel.shape
    axes = [keras_axis(n, k, s, d, padding, p) for n, k, s, d, p in zip(x.shape[1:4], ks, strides, dilation, paddings)]
    out, crop = [a[0] for a in axes], [a[1] for a in axes]
    y = np.zeros((x.shape[0], *out, c_out))
    for tap in itertools.product(*(range(k) for k in ks)):
        contribution = x @ kernel[tap].T  # (N, D, H, W, out): every input cell's share through this tap
        # Input cell i lands at i * stride + tap * dilation - crop; keep the cells landing inside.
        src, dst = [], []
        for n, t, s, d, c, o in zip(x.shape[1:4], tap, strides, dilation, crop, out):
            i = np.arange(n)
            pos = i * s + t * d - c
            keep = (pos >= 0) & (pos < o)
            src.append(i[keep])
            dst.append(pos[keep])
        y[:, dst[0][:, None, None], dst[1][None, :, None], dst[2][None, None, :]] += \
            contribution[:, src[0][:, None, None], src[1][None, :, None], src[2][None, None, :]]
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return activation(y, act)


def pool3d(x, pool_size=2, strides=None, padding="valid", op="max"):
    """Keras MaxPooling3D / AveragePooling3D: padded cells are not part of a window."""
    x = np.asarray(x, np.float64)
    pool = _triple(pool_size)
    strides = pool if strides is None else _triple(strides)
    axes = [_conv_axis(n, p, s, 1, padding)[:2] for n, p, s in zip(x.shape[1:4], pool, strides)]
    y = np.zeros((x.shape[0], *(a[0] for a in axes), x.shape[-1]))
    for o in itertools.product(*(range(a[0]) for a in axes)):
        starts = [i * s - a[1] for i, s, a in zip(o, strides, axes)]
        window = x[(slice(None),) + tuple(slice(max(b, 0), b + p) for b, p in zip(starts, pool))]
        window = window.reshape(x.shape[0], int(np.prod(window.shape[1:4])), x.shape[-1])
        y[(slice(None),) + o] = window.max(axis=1) if op == "max" else window.mean(axis=1)
    return y
