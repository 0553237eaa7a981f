"""Keras 3 Conv2DTranspose in plain numpy loops (float64): every input cell scatters every kernel tap.

The sizes follow Keras 3's own arithmetic, restated here from keras/src/backend/common/
backend_utils.py (_convert_conv_transpose_padding_args_from_keras_to_jax) rather than taken from
nnkern, so the reference checks nnkern's shape rules too.
"""
import numpy as np

from numpy_ref.activations import activation


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def keras_axis(length, kernel, stride, dilation, padding, output_padding):
    """(output length, cells cropped at the start) of one axis, as Keras's JAX backend computes them:
    the stride-dilated input is padded by (left, right) and correlated with the flipped kernel."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        left, right = k - 1, k - 1 + op
    else:
        pad_len = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        left = min(pad_len // 2 + pad_len % 2, k - 1)
        right = pad_len - left
    out = (length - 1) * stride + 1 + left + right - k + 1
    return out, k - 1 - left


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                     act="linear"):
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)  # (kh, kw, out, in)
    n, h, w, _ = x.shape
    kh, kw, c_out, _ = kernel.shape
    (sh, sw), (dh, dw) = _pair(strides), _pair(dilation_rate)
    oph, opw = (None, None) if output_padding is None else _pair(output_padding)
    out_h, crop_top = keras_axis(h, kh, sh, dh, padding, oph)
    out_w, crop_left = keras_axis(w, kw, sw, dw, padding, opw)
    y = np.zeros((n, out_h, out_w, c_out))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    oh, ow = i * sh + a * dh - crop_top, j * sw + b * dw - crop_left
                    if 0 <= oh < out_h and 0 <= ow < out_w:
                        y[:, oh, ow, :] += x[:, i, j, :] @ kernel[a, b].T
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return activation(y, act)
