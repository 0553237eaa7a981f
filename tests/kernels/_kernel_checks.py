"""What several kernel tests share: random convolution operands, the refusal of bad arguments, and
the text of show_config."""
import numpy as np
import pytest

import nnkern


def random_conv_arrays(seed, x_shape, kernel_shape, bias_size, use_bias=True, x_range=2.0):
    """float32 x uniform in [-x_range, x_range], kernel and bias uniform in [-1, 1], drawn in that
    order from one seed; bias is None without use_bias."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-x_range, x_range, x_shape).astype(np.float32)
    kernel = rng.uniform(-1, 1, kernel_shape).astype(np.float32)
    bias = rng.uniform(-1, 1, bias_size).astype(np.float32) if use_bias else None
    return x, kernel, bias


def assert_refuses(kernel_fn, x_shape, kernel_shape, kwargs, match):
    """kernel_fn(zeros of x_shape, zeros of kernel_shape, **kwargs) raises a ValueError matching `match`."""
    with pytest.raises(ValueError, match=match):
        kernel_fn(np.zeros(x_shape, np.float32), np.zeros(kernel_shape, np.float32), **kwargs)


def show_config_text():
    """What nnkern.show_config prints, as one string."""
    lines = []
    nnkern.show_config(print_fn=lines.append)
    return "\n".join(lines)
