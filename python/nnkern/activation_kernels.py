"""Keras 3's activation functions on numpy arrays (float32), computed by the compiled kernels where one
exists. Both ``nnkern.activations`` (Keras's names, get / serialize, fusing into kernels) and
``nnkern.ops`` (Keras's dtype rules) are built over these, so neither imports the other."""
import numpy as np

from nnkern import _core


def _as_float32(x):
    return np.asarray(x, dtype=np.float32)


def _kernel(name):
    def f(x):
        return _core.activation(x, name)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = f"Keras 3 `{name}` activation on a float32 copy of x."
    return f


linear = _kernel("linear")
sigmoid = _kernel("sigmoid")
tanh = _kernel("tanh")
softplus = _kernel("softplus")
softsign = _kernel("softsign")
selu = _kernel("selu")
silu = _kernel("silu")
swish = silu
hard_sigmoid = _kernel("hard_sigmoid")
hard_silu = _kernel("hard_silu")
hard_swish = hard_silu
exponential = _kernel("exponential")
relu6 = _kernel("relu6")
mish = _kernel("mish")


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0) by default; Keras's negative_slope, max_value and threshold as in keras.activations.relu."""
    if negative_slope == 0.0 and threshold == 0.0:
        if max_value is None:
            return _core.activation(x, "relu")
        if max_value == 6:
            return _core.activation(x, "relu6")
        return np.clip(_as_float32(x), np.float32(0), np.float32(max_value))
    x = _as_float32(x)
    # x == threshold gives 0, as in Keras (x itself only above the threshold)
    y = np.where(x > threshold, x, np.float32(negative_slope) * (x - np.float32(threshold)))
    if max_value is not None:
        y = np.minimum(y, np.float32(max_value))
    return y.astype(np.float32)


def leaky_relu(x, negative_slope=0.2):
    if negative_slope == 0.2:
        return _core.activation(x, "leaky_relu")
    x = _as_float32(x)
    return np.where(x > 0, x, np.float32(negative_slope) * x).astype(np.float32)


def elu(x, alpha=1.0):
    if alpha == 1.0:
        return _core.activation(x, "elu")
    x = _as_float32(x)
    return np.where(x > 0, x, np.float32(alpha) * np.expm1(np.minimum(x, 0))).astype(np.float32)


def gelu(x, approximate=False):
    if not approximate:
        return _core.activation(x, "gelu")
    x = _as_float32(x)
    c = np.float32(np.sqrt(2.0 / np.pi))
    return (0.5 * x * (1.0 + np.tanh(c * (x + np.float32(0.044715) * x ** 3)))).astype(np.float32)


def _along_axis(name, x, axis):
    x = _as_float32(x)
    if axis in (-1, x.ndim - 1):
        return _core.activation(x, name)
    return np.moveaxis(_core.activation(np.moveaxis(x, axis, -1), name), -1, axis)


def softmax(x, axis=-1):
    return _along_axis("softmax", x, axis)


def log_softmax(x, axis=-1):
    return _along_axis("log_softmax", x, axis)


# Keras 3's newer activations, in numpy (float32); formulas as keras/src/backend/jax/nn.py computes them.

def celu(x, alpha=1.0):
    x = _as_float32(x)
    a = np.float32(alpha)
    return (np.maximum(x, 0) + a * np.expm1(np.minimum(x, 0) / a)).astype(np.float32)


def glu(x, axis=-1):
    """Gated linear unit: the first half of `axis` times the sigmoid of the second half."""
    x = _as_float32(x)
    if x.shape[axis] % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}")
    a, b = np.split(x, 2, axis=axis)
    return (a * sigmoid(b)).astype(np.float32)


def hard_shrink(x, threshold=0.5):
    x = _as_float32(x)
    return np.where(np.abs(x) > threshold, x, np.float32(0)).astype(np.float32)


def hard_tanh(x):
    return np.clip(_as_float32(x), -1, 1).astype(np.float32)


def log_sigmoid(x):
    x = _as_float32(x)
    return (-np.logaddexp(np.float32(0), -x)).astype(np.float32)


def soft_shrink(x, threshold=0.5):
    x = _as_float32(x)
    t = np.float32(threshold)
    return np.where(x > t, x - t, np.where(x < -t, x + t, np.float32(0))).astype(np.float32)


def sparse_plus(x):
    x = _as_float32(x)
    return np.where(x <= -1, np.float32(0), np.where(x >= 1, x, (x + 1) ** 2 / 4)).astype(np.float32)


def sparse_sigmoid(x):
    return (np.float32(0.5) * np.clip(_as_float32(x) + 1, 0, 2)).astype(np.float32)


def sparsemax(x, axis=-1):
    """Keras 3's sparsemax, threshold rule included as keras/src/backend/jax/nn.py writes it."""
    logits = _as_float32(x)
    ordered = -np.sort(-logits, axis=axis)
    cumsum = np.cumsum(ordered, axis=axis)
    shape = [1] * logits.ndim
    shape[axis] = -1
    r = np.arange(1, logits.shape[axis] + 1, dtype=np.float32).reshape(shape)
    support = ordered - (cumsum - 1) / r > 0
    k = np.sum(support, axis=axis, keepdims=True)
    tau = (np.sum(np.where(support, cumsum, np.float32(0)), axis=axis, keepdims=True) - 1) / k
    return np.maximum(logits - tau, 0).astype(np.float32)


def squareplus(x, b=4):
    x = _as_float32(x)
    return ((x + np.sqrt(x * x + np.float32(b))) / 2).astype(np.float32)


def tanh_shrink(x):
    x = _as_float32(x)
    return (x - np.tanh(x)).astype(np.float32)


def threshold(x, threshold, default_value):
    x = _as_float32(x)
    return np.where(x > threshold, x, np.float32(default_value)).astype(np.float32)


for _f in (relu, leaky_relu, elu, gelu, softmax, log_softmax, celu, glu, hard_shrink, hard_tanh, log_sigmoid,
           soft_shrink, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold):
    _f.__doc__ = _f.__doc__ or f"Keras 3 `{_f.__name__}` activation (float32)."
