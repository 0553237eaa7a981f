"""Plain numpy depthwise convolution (Keras DepthwiseConv2D / DepthwiseConv1D, channels_last), float64.

A depthwise convolution is the grouped convolution with one group per input channel whose kernel
(kh, kw, C, M) is viewed as (kh, kw, 1, C * M) — what Keras's backends do — so the grouped reference
in numpy_ref.conv2d computes it.
"""
import numpy as np

from numpy_ref.conv2d import conv1d, conv2d


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, act="linear"):
    """x (N, H, W, C), kernel (kh, kw, C, M) -> (N, OH, OW, C * M); output channel c * M + m."""
    kh, kw, c, m = kernel.shape
    return conv2d(x, np.reshape(kernel, (kh, kw, 1, c * m)), bias, strides, padding, dilation_rate, groups=c,
                  act=act)


def depthwise_conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, act="linear"):
    """x (N, L, C), kernel (k, C, M) -> (N, OL, C * M)."""
    k, c, m = kernel.shape
    return conv1d(x, np.reshape(kernel, (k, 1, c * m)), bias, strides, padding, dilation_rate, groups=c, act=act)
