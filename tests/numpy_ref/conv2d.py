"""Plain numpy convolution (Keras Conv2D / Conv1D, channels_last), float64, one kernel tap at a time.

Padding follows TensorFlow: `same` pads total = max((out - 1) * stride + dilated_kernel - in, 0) with
the odd extra cell after (bottom/right); Conv1D `causal` pads (kernel - 1) * dilation on the left.
"""
import numpy as np

from numpy_ref.activations import activation


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def _same_pads(size, kernel, stride, dilation):
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1, act="linear",
           pads=None):
    """x (N, H, W, C), kernel (kh, kw, C / groups, F). `pads` ((top, bottom), (left, right)) overrides
    `padding`."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilation_rate)
    kh, kw, cin_g, filters = kernel.shape
    n, h, w, c = x.shape
    assert c == cin_g * groups and filters % groups == 0
    if pads is None:
        if padding == "same":
            pads = (_same_pads(h, kh, sh, dh), _same_pads(w, kw, sw, dw))
        else:
            pads = ((0, 0), (0, 0))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out_h = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out_h, out_w = max(out_h, 0), max(out_w, 0)
    y = np.zeros((n, out_h, out_w, filters))
    fg = filters // groups
    for g in range(groups):
        xg = xp[..., g * cin_g:(g + 1) * cin_g]
        for i in range(kh):
            for j in range(kw):
                # Input pixels this tap sees for every output pixel.
                rows = slice(i * dh, i * dh + (out_h - 1) * sh + 1, sh)
                cols = slice(j * dw, j * dw + (out_w - 1) * sw + 1, sw)
                tap = xg[:, rows, cols, :]
                y[..., g * fg:(g + 1) * fg] += tap @ kernel[i, j, :, g * fg:(g + 1) * fg]
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return activation(y, act)


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1, act="linear"):
    """x (N, L, C), kernel (k, C / groups, F); padding valid / same / causal."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    stride = strides if np.isscalar(strides) else strides[0]
    dilation = dilation_rate if np.isscalar(dilation_rate) else dilation_rate[0]
    k = kernel.shape[0]
    if padding == "causal":
        pw = ((k - 1) * dilation, 0)
    elif padding == "same":
        pw = _same_pads(x.shape[1], k, stride, dilation)
    else:
        pw = (0, 0)
    y = conv2d(x[:, None], kernel[None], bias, (1, stride), dilation_rate=(1, dilation), groups=groups, act=act,
               pads=((0, 0), pw))
    return y[:, 0]
