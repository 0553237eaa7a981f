"""The nn and math families of ``keras.ops``: activations (computed by ``nnkern.activation_kernels``,
i.e. the compiled kernels, for float32), one_hot, normalize, the cross-entropies, erf, logsumexp, top_k."""
import math

import numpy as np

from nnkern import activation_kernels as _act
from nnkern.ops._dtypes import convert_to_tensor, floatx, result_type, standardize_dtype
from nnkern.ops._settings import epsilon as _epsilon
from nnkern.ops._settings import standardize_data_format
from nnkern.ops._wrap import keras_op

_t = convert_to_tensor


def _as_float(x):
    """(float32 array to compute on, dtype of the result): floats keep their type, ints give floatx()."""
    x = _t(x)
    out = x.dtype.name if x.dtype.kind == "f" else floatx()
    return (x if x.dtype == np.float32 else x.astype(np.float32)), out


def _finish(y, out):
    return y if y.dtype == out else y.astype(out)


def _activation(name, act_fn, keep_int=False):
    def f(x):
        if keep_int:
            x = _t(x)
            if x.dtype.kind in "iub":
                x = x.astype("int32") if x.dtype == np.bool_ else x
                return np.maximum(x, np.zeros((), x.dtype))
        x, out = _as_float(x)
        return _finish(act_fn(x), out)
    return keras_op(f, name=name,
                    doc=f"Keras `ops.{name}` (float32 through nnkern.activation_kernels; ints give floatx()).")


relu = _activation("relu", _act.relu, keep_int=True)
relu6 = _activation("relu6", _act.relu6)
sigmoid = _activation("sigmoid", _act.sigmoid)
tanh = _activation("tanh", _act.tanh)
softplus = _activation("softplus", _act.softplus)
softsign = _activation("softsign", _act.softsign)
silu = _activation("silu", _act.silu)
swish = _activation("swish", _act.silu)
selu = _activation("selu", _act.selu)
hard_sigmoid = _activation("hard_sigmoid", _act.hard_sigmoid)
hard_silu = _activation("hard_silu", _act.hard_silu)
hard_swish = _activation("hard_swish", _act.hard_silu)


@keras_op
def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    x, out = _as_float(x)
    return _finish(-np.logaddexp(np.float32(0), -x), out)


@keras_op
def elu(x, alpha=1.0):
    x, out = _as_float(x)
    return _finish(_act.elu(x, alpha=alpha), out)


@keras_op
def leaky_relu(x, negative_slope=0.2):
    x, out = _as_float(x)
    return _finish(_act.leaky_relu(x, negative_slope=negative_slope), out)


@keras_op
def gelu(x, approximate=True):
    """Keras ``ops.gelu``: the tanh approximation by default (``activations.gelu`` defaults to exact)."""
    x, out = _as_float(x)
    return _finish(_act.gelu(x, approximate=approximate), out)


def _over_axes(fn, x, axis):
    """Apply a last-axis function (softmax, log_softmax) over ``axis``: an int, a tuple or None (all)."""
    if isinstance(axis, int):
        return fn(x, axis=axis)
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    y = fn(moved.reshape(moved.shape[:len(keep)] + (-1,)), axis=-1).reshape(moved.shape)
    return np.transpose(y, np.argsort(keep + list(axes)))


@keras_op
def softmax(x, axis=-1):
    """Softmax over ``axis`` (an int, a tuple of ints, or None for all axes)."""
    x, out = _as_float(x)
    return _finish(_over_axes(_act.softmax, x, axis), out)


@keras_op
def log_softmax(x, axis=-1):
    x, out = _as_float(x)
    return _finish(_over_axes(_act.log_softmax, x, axis), out)


_erf_scalar = np.frompyfunc(math.erf, 1, 1)


@keras_op
def erf(x):
    """The error function, elementwise (computed in double precision, rounded to the input's float type)."""
    x, out = _as_float(x)
    return np.asarray(_erf_scalar(x.astype(np.float64)), dtype=out)


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, shifted by the maximum so that it does not overflow."""
    x, out = _as_float(x)
    axis = tuple(axis) if isinstance(axis, list) else axis
    if x.size == 0:
        return np.asarray(np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)), dtype=out)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, np.float32(0))
    y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.asarray(y if keepdims else np.squeeze(y, axis=axis), dtype=out)


@keras_op
def top_k(x, k, sorted=True):
    """[values, int32 indices] of the k largest entries along the last axis, largest first; equal
    values keep their index order, as jax.lax.top_k (a list, as Keras's JAX backend returns).
    ``sorted=False`` returns the same order."""
    x = _t(x)
    if x.ndim == 0:
        raise ValueError("x must have at least 1 dimension")
    n = x.shape[-1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an int in [0, {n}] (the size of the last axis), got {k!r}")
    # A stable ascending sort of the reversed row, read backwards: largest first, ties by index.
    order = np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    indices = (n - 1 - order).astype("int32")
    return [np.take_along_axis(x, indices, axis=-1), indices]


@keras_op
def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the k largest of its row (ties count in its favour;
    a NaN prediction never is)."""
    predictions = _t(predictions)
    targets = np.asarray(targets).astype("int32")
    at_label = np.take_along_axis(predictions, targets[..., None], axis=-1)
    at_label = np.where(np.isnan(at_label), -np.inf, at_label)
    rank = 1 + np.sum(predictions > at_label, axis=-1)
    return rank <= k


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer x: a new axis of length ``num_classes`` at ``axis``; indices out of
    [0, num_classes) give all-zero rows. floatx() unless ``dtype`` is given."""
    if sparse:
        raise ValueError("sparse=True is not supported by nnkern (dense numpy arrays only)")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 0:
        raise ValueError(f"num_classes must be a non-negative int, got {num_classes!r}")
    x = _t(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"axis {axis} is out of bounds for the {x.ndim + 1}-D result")
    y = (x[..., None] == np.arange(num_classes, dtype=np.int32)).astype(standardize_dtype(dtype))
    return y if axis in (-1, x.ndim) else np.moveaxis(y, -1, axis)


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its ``order``-norm over ``axis`` (at least ``epsilon``, default backend epsilon)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an int >= 1, got {order!r}")
    x, out = _as_float(x)
    if x.ndim == 0:
        x = x[None]
    eps = _epsilon() if epsilon is None else epsilon
    if order == 2:
        inv_norm = 1.0 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
        return _finish(x * np.minimum(inv_norm, np.float32(1.0 / eps)), out)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return _finish(x / np.maximum(norm, np.float32(eps)), out)



def _probabilities(output, from_logits, axis):
    """log-probabilities along ``axis``: log_softmax of logits, or the clipped log of renormalised
    probabilities (Keras's clip to [epsilon, 1 - epsilon])."""
    if from_logits:
        return _over_axes(_act.log_softmax, output.astype(np.float32), axis).astype(output.dtype)
    output = output / np.sum(output, axis=axis, keepdims=True)
    eps = _epsilon()
    return np.log(np.clip(output, eps, 1.0 - eps))


def _float_pair(target, output):
    output = _t(output)
    if output.dtype.kind != "f":
        output = output.astype(floatx())
    target = _t(target)
    dtype = result_type(target.dtype.name, output.dtype.name)
    return target.astype(dtype, copy=False), output.astype(dtype, copy=False)


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no reduction); probabilities are clipped to
    [epsilon, 1 - epsilon], logits go through log_sigmoid."""
    target, output = _float_pair(target, output)
    if target.shape != output.shape:
        raise ValueError("target and output must have the same shape, "
                         f"got target.shape={target.shape}, output.shape={output.shape}")
    if from_logits:
        log_p = -np.logaddexp(np.zeros((), output.dtype), -output)
        log_not_p = -np.logaddexp(np.zeros((), output.dtype), output)
        return -target * log_p - (1.0 - target) * log_not_p
    eps = _epsilon()
    output = np.clip(output, eps, 1.0 - eps)
    return -(target * np.log(output) + (1.0 - target) * np.log(1.0 - output))


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predictions along ``axis``."""
    target, output = _float_pair(target, output)
    if target.shape != output.shape:
        raise ValueError("target and output must have the same shape, "
                         f"got target.shape={target.shape}, output.shape={output.shape}")
    if target.ndim < 1:
        raise ValueError(f"target and output must be at least rank 1, got shape {target.shape}")
    return -np.sum(target * _probabilities(output, from_logits, axis), axis=axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class targets and predictions along ``axis``; a target of shape
    output.shape[:-1] + (1,) is squeezed; out-of-range classes give 0."""
    output = _t(output)
    if output.dtype.kind != "f":
        output = output.astype(floatx())
    target = np.asarray(target).astype("int32")
    if target.ndim == output.ndim and target.ndim and target.shape[-1] == 1:
        target = target[..., 0]
    if output.ndim < 1:
        raise ValueError(f"output must be at least rank 1, got shape {output.shape}")
    if target.shape != output.shape[:-1]:
        raise ValueError("target and output must have the same shape up until the last dimension, "
                         f"got target.shape={target.shape}, output.shape={output.shape}")
    log_prob = _probabilities(output, from_logits, axis)
    onehot = one_hot(target, output.shape[axis], axis=axis, dtype=output.dtype)
    return -np.sum(onehot * log_prob, axis=axis)


# ---- convolution and pooling (1-D and 2-D, through the compiled kernels) ---------------------------

def _to_channels_last(inputs, data_format, op):
    """(float32 channels-last array, whether to move the channels back, spatial rank)."""
    data_format = standardize_data_format(data_format)
    x = _t(inputs)
    rank = x.ndim - 2
    if rank not in (1, 2):
        raise ValueError(f"inputs must be 3-D (1-D {op}) or 4-D (2-D {op}) with batch and channel axes; "
                         f"nnkern has no 3-D {op}. Received inputs.shape={x.shape}")
    moved = data_format == "channels_first"
    if moved:
        x = np.moveaxis(x, 1, -1)
    return x, moved, rank


def _from_channels_last(y, moved, dtype="float32"):
    """Back to the caller's layout, in the dtype Keras returns (the kernels compute in float32; integer
    results are exact there while they stay below 2**24)."""
    if dtype != "float32":
        y = (np.rint(y) if np.dtype(dtype).kind in "iu" else y).astype(dtype)
    return np.ascontiguousarray(np.moveaxis(y, -1, 1)) if moved else y


def _padding(padding):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding!r}")
    return p


def _conv_operands(inputs, kernel, padding, data_format, op):
    """What the convolution ops start from: (x channels-last, moved, rank, kernel array, padding)."""
    x, moved, rank = _to_channels_last(inputs, data_format, op)
    return x, moved, rank, _t(kernel), _padding(padding)


def _check_kernel(x, kernel, rank, channels_axis, name):
    if kernel.ndim != rank + 2:
        raise ValueError(f"kernel must be {rank + 2}-D for {rank}-D inputs, got kernel.shape={kernel.shape}")
    if x.shape[-1] % kernel.shape[channels_axis]:
        raise ValueError(f"The number of input channels ({x.shape[-1]}) must be a multiple of the kernel's "
                         f"{name} ({kernel.shape[channels_axis]}); got inputs.shape={x.shape}, "
                         f"kernel.shape={kernel.shape}")


@keras_op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D or 2-D convolution; kernel (spatial..., in_channels / groups, out_channels) as Keras's Conv
    layers store it (the group count is channels / kernel in-channels, as Keras infers it)."""
    from nnkern import _core

    x, moved, rank, kernel, padding = _conv_operands(inputs, kernel, padding, data_format, "convolution")
    _check_kernel(x, kernel, rank, -2, "input channels")
    groups = x.shape[-1] // kernel.shape[-2]
    fn = _core.conv1d if rank == 1 else _core.conv2d
    y = fn(x, kernel, None, strides=strides, padding=padding, dilation_rate=dilation_rate, groups=groups)
    return _from_channels_last(y, moved, result_type(x.dtype.name, kernel.dtype.name))


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise 1-D or 2-D convolution; kernel (spatial..., in_channels, multiplier); output channel
    c * multiplier + m is input channel c under kernel[..., c, m], as Keras."""
    from nnkern import _core

    x, moved, rank, kernel, padding = _conv_operands(inputs, kernel, padding, data_format, "convolution")
    if kernel.ndim != rank + 2 or kernel.shape[-2] != x.shape[-1]:
        raise ValueError(f"kernel must have shape (spatial..., {x.shape[-1]}, multiplier) for inputs of shape "
                         f"{x.shape}, got kernel.shape={kernel.shape}")
    grouped = kernel.reshape(kernel.shape[:-2] + (1, kernel.shape[-2] * kernel.shape[-1]))
    fn = _core.conv1d if rank == 1 else _core.conv2d
    y = fn(x, grouped, None, strides=strides, padding=padding, dilation_rate=dilation_rate, groups=x.shape[-1])
    return _from_channels_last(y, moved, result_type(x.dtype.name, kernel.dtype.name))


def _one_d(v, what):
    """A 1-D argument as the width of a height-1 2-D one."""
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"{what} must be an int or a 1-tuple for 1-D inputs, got {v!r}")
        v = v[0]
    return (0, v) if what == "output_padding" else (1, v)


@keras_op
def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """1-D or 2-D transposed convolution; kernel (spatial..., out_channels, in_channels) as Keras's
    ConvTranspose layers store it; Keras's output size."""
    from nnkern import _core

    x, moved, rank, kernel, padding = _conv_operands(inputs, kernel, padding, data_format, "transposed convolution")
    if kernel.ndim != rank + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(f"kernel must have shape (spatial..., out_channels, {x.shape[-1]}) for inputs of shape "
                         f"{x.shape}, got kernel.shape={kernel.shape}")
    if rank == 2:
        y = _core.conv2d_transpose(x, kernel, None, strides=strides, padding=padding, output_padding=output_padding,
                                   dilation_rate=dilation_rate)
    else:  # a height-1 2-D transposed convolution
        y = _core.conv2d_transpose(x[:, None], kernel[None], None, strides=_one_d(strides, "strides"),
                                   padding=padding, output_padding=_one_d(output_padding, "output_padding"),
                                   dilation_rate=_one_d(dilation_rate, "dilation_rate"))[:, 0]
    return _from_channels_last(y, moved, result_type(x.dtype.name, kernel.dtype.name))


def _pool(kind, inputs, pool_size, strides, padding, data_format):
    from nnkern import _core

    x, moved, rank = _to_channels_last(inputs, data_format, "pooling")
    padding = _padding(padding)
    fn = {("max", 1): _core.max_pool1d, ("max", 2): _core.max_pool2d,
          ("avg", 1): _core.avg_pool1d, ("avg", 2): _core.avg_pool2d}[kind, rank]
    if rank == 1:  # the 1-D kernels take ints
        pool_size, strides = (v[0] if isinstance(v, (tuple, list)) and len(v) == 1 else v
                              for v in (pool_size, strides))
    dtype = x.dtype.name if kind == "max" else (x.dtype.name if x.dtype.kind == "f" else floatx())
    return _from_channels_last(fn(x, pool_size, strides, padding), moved, dtype)


@keras_op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """1-D or 2-D max pooling (strides None: pool_size); padded cells never win."""
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@keras_op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """1-D or 2-D average pooling; with 'same' padding the padded cells are left out of the mean."""
    return _pool("avg", inputs, pool_size, strides, padding, data_format)
