"""The core family of ``keras.ops``: conversion, casting, shapes, slicing and unstacking."""
import numpy as np

_py_slice = slice  # the builtin, before the op of the same name shadows it

from nnkern.ops._dtypes import convert_to_tensor, standardize_dtype
from nnkern.ops._wrap import keras_op

_t = convert_to_tensor


@keras_op
def cast(x, dtype):
    """x as a numpy array of ``dtype`` (floats to ints truncate toward zero)."""
    return np.asarray(x).astype(standardize_dtype(dtype))


# The public op, with the error style of the others (ops use the raw converter internally).
convert_to_tensor = keras_op(_t, name="convert_to_tensor")


@keras_op
def convert_to_numpy(x):
    """A fresh numpy array of x."""
    return np.array(x)


def is_tensor(x):
    """True for numpy arrays and scalars, the tensors of nnkern's ops."""
    return isinstance(x, (np.ndarray, np.generic))


def stop_gradient(variable):
    """Identity: nnkern has no gradients."""
    return variable


@keras_op
def shape(x):
    """The shape of x as a tuple of ints."""
    return tuple(int(d) for d in np.shape(x))


@keras_op
def ndim(x):
    return int(np.ndim(x))


def _start_and_size(x, start_indices, shape):
    start = [int(s) for s in np.asarray(start_indices).reshape(-1)]
    size = [int(s) for s in np.asarray(shape).reshape(-1)]
    if not len(start) == len(size) == x.ndim:
        raise ValueError(f"start_indices and shape must each have one entry per axis of inputs ({x.ndim}), "
                         f"got start_indices={list(start)}, shape={list(size)}")
    size = [d - s if n == -1 else n for d, s, n in zip(x.shape, start, size)]
    for d, n in zip(x.shape, size):
        if not 0 <= n <= d:
            raise ValueError(f"slice shape {tuple(size)} does not fit in inputs of shape {x.shape}")
    # As jax.lax.dynamic_slice: start indices are clamped so that the slice lies inside the array.
    start = [min(max(s, 0), d - n) for s, d, n in zip(start, x.shape, size)]
    return tuple(_py_slice(s, s + n) for s, n in zip(start, size))


@keras_op
def slice(inputs, start_indices, shape):
    """The block of ``shape`` (a -1 entry: the rest of that axis) starting at ``start_indices``; starts
    are clamped into the array as jax.lax.dynamic_slice does."""
    inputs = _t(inputs)
    return inputs[_start_and_size(inputs, start_indices, shape)].copy()


@keras_op
def slice_update(inputs, start_indices, updates):
    """A copy of inputs with the block at ``start_indices`` replaced by ``updates``."""
    inputs = _t(inputs)
    updates = np.asarray(updates)
    out = inputs.copy()
    out[_start_and_size(inputs, start_indices, updates.shape)] = updates
    return out


@keras_op
def unstack(x, num=None, axis=0):
    """The list of slices of x along ``axis``."""
    x = _t(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"num={num} does not match the size {x.shape[axis]} of axis {axis}")
    return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]
