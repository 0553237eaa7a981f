import numpy as np

from numpy_ref.activations import activation


def dense(x, kernel, bias=None, act="linear"):
    y = np.asarray(x, np.float64) @ np.asarray(kernel, np.float64)
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return activation(y, act)
