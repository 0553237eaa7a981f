"""``nnkern.backend``: the Keras 1/2 backend functions (``from keras import backend as K``) that older
tutorials use, on numpy arrays.

Keras 2 ran these on TensorFlow tensors; here a "tensor" or "variable" is a numpy array, so
``K.eval`` / ``K.get_value`` simply return it and ``K.set_value`` writes into it. Semantics follow
Keras 2's TensorFlow backend (kept in Keras 3 as keras/src/legacy/backend.py): ``K.dot`` is the N-D
dot, ``K.batch_dot`` the batchwise dot, ``K.shape`` returns the shape as an int32 array,
``K.hard_sigmoid`` is Keras 2's 0.2 * x + 0.5, ``K.sqrt`` clamps negatives to 0. Result dtypes follow
Keras 3's rules (``nnkern.ops``) where TensorFlow would have refused mixed dtypes. Random functions
draw from numpy's generator: the same distributions as TensorFlow, not the same numbers.

Also here: the Keras 3 ``keras.backend`` / ``keras.config`` functions (floatx, epsilon,
image_data_format, clear_session, result_type, standardize_dtype, ...).
"""
import builtins
import contextlib

import numpy as np

from nnkern import activations as _act
from nnkern import ops as _ops
from nnkern.ops._dtypes import convert_to_tensor as _t
from nnkern.ops._dtypes import result_type, standardize_dtype
from nnkern.ops._settings import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                  set_image_data_format, standardize_data_format)
from nnkern.ops._wrap import keras_op


def _k(fn, **naming):
    """keras_op under the ``backend.`` prefix; ``naming``: its name= and doc=."""
    return keras_op(fn, prefix="backend", **naming)


# ---- configuration (Keras 3 keras.backend / keras.config) ------------------------------------------

def backend():
    """The name of the backend: 'nnkern'."""
    return "nnkern"


def clear_session(free_memory=True):
    """Reset the automatic layer names (``dense``, ``dense_1``, ...) as Keras does; with free_memory, also
    free the memory the kernels keep for reusing large outputs (``nnkern._core.release_cached_outputs``)."""
    if free_memory:
        from nnkern import _core
        _core.release_cached_outputs()
    try:
        from nnkern.engine.naming import reset_names
    except ImportError:  # the layer engine is not there: nothing to reset
        return
    reset_names()


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith("float")


def is_int_dtype(dtype):
    return "int" in standardize_dtype(dtype)


def cast_to_floatx(x):
    return np.asarray(x, dtype=floatx())


# ---- variables and evaluation ---------------------------------------------------------------------

@_k
def variable(value, dtype=None, name=None, constraint=None):
    """A new numpy array holding ``value`` (floatx() unless ``dtype`` is given). ``name`` and
    ``constraint`` are accepted and ignored."""
    return np.array(value, dtype=standardize_dtype(dtype))


@_k
def constant(value, dtype=None, shape=None, name=None):
    """A numpy array of ``value`` (floatx() unless ``dtype``); with ``shape``, a scalar is repeated to
    fill it and a sequence of the right size is reshaped."""
    value = np.array(value, dtype=standardize_dtype(dtype))
    if shape is None:
        return value
    shape = tuple(shape)
    if value.size == 1:
        return np.full(shape, value.reshape(()), dtype=value.dtype)
    return value.reshape(shape)


def eval(x):
    """The value of x as a numpy array (x itself when it already is one)."""
    return np.asarray(x)


get_value = eval


def batch_get_value(tensors):
    return [np.asarray(x) for x in tensors]


@_k
def set_value(x, value):
    """Write ``value`` into the variable x (a numpy array) in place."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a variable (a numpy array), got {type(x).__name__}")
    value = np.asarray(value)
    if value.shape != x.shape:
        raise ValueError(f"value of shape {value.shape} does not match the variable's shape {x.shape}")
    x[...] = value


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    set_value(x, new_x)
    return x


@_k
def update_add(x, increment):
    x += np.asarray(increment, dtype=x.dtype)
    return x


@_k
def update_sub(x, decrement):
    x -= np.asarray(decrement, dtype=x.dtype)
    return x


# ---- shapes ----------------------------------------------------------------------------------------

@_k
def shape(x):
    """The shape of x as an int32 array (Keras 2's tf.shape): ``K.eval(K.shape(a))`` -> [1, 2, 2]."""
    return np.array(np.shape(x), dtype=np.int32)


def int_shape(x):
    """The shape of x as a tuple of ints."""
    return tuple(int(d) for d in np.shape(x))


def ndim(x):
    return int(np.ndim(x))


def dtype(x):
    """The dtype name of x, e.g. 'float32'."""
    return np.asarray(x).dtype.name


def count_params(x):
    return int(np.prod(np.shape(x), dtype=np.int64))


def is_sparse(tensor):
    return False


def to_dense(tensor):
    return tensor


def is_tensor(x):
    return isinstance(x, (np.ndarray, np.generic))


def is_keras_tensor(x):
    """Whether x is a symbolic tensor (the output of ``Input`` or of a layer called on one)."""
    from nnkern.engine.keras_tensor import is_keras_tensor as _is_keras_tensor
    return _is_keras_tensor(x)


class _LearningPhase:
    """Keras 2's `K.learning_phase()` placeholder: an input of `K.function` fed 0 (inference) or 1."""

    def __repr__(self):
        return "<learning_phase>"


_LEARNING_PHASE = _LearningPhase()


def learning_phase():
    return _LEARNING_PHASE


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's `K.function(inputs, outputs)`: a callable taking a list of arrays (one per input) and
    returning the list of output arrays (one array if `outputs` is a single tensor).

    `inputs` and `outputs` are symbolic tensors of one graph: `model.input` / `model.inputs`, any layer's
    `.output` / `.input` (`K.function([model.input], [model.layers[2].output])`), the outputs then being
    computed from the inputs given. `K.learning_phase()` may be one of the inputs: its value (0 or 1) is
    the training flag of that call. `updates` must be empty: nnkern does not train."""
    from nnkern.engine import tree
    from nnkern.engine.dtypes import numpy_dtype
    from nnkern.engine.graph import execution_order, map_graph
    from nnkern.engine.keras_tensor import KerasTensor
    from nnkern.engine.plan import Plan

    if updates:
        raise ValueError("K.function(): `updates` are not supported (nnkern runs inference only).")
    single_output = not isinstance(outputs, (list, tuple))
    flat_inputs = tree.flatten(inputs)
    flat_outputs = tree.flatten(outputs)
    for what, values in (("inputs", flat_inputs), ("outputs", flat_outputs)):
        for x in values:
            if not isinstance(x, KerasTensor) and not (what == "inputs" and x is _LEARNING_PHASE):
                raise ValueError(f"K.function(): all `{what}` must be symbolic tensors (a model's or layer's "
                                 f"input / output). Received: {x!r} (of type {type(x).__name__})")
    tensors = [x for x in flat_inputs if x is not _LEARNING_PHASE]
    phase_index = next((i for i, x in enumerate(flat_inputs) if x is _LEARNING_PHASE), None)
    _, nodes_by_depth, _, _ = map_graph(tensors, flat_outputs)
    nodes = execution_order(nodes_by_depth)
    try:
        plans = {None: Plan(tensors, flat_outputs, nodes)}
    except ValueError as e:
        raise ValueError(f"K.function(): the outputs cannot be computed from `inputs` "
                         f"({[t.name for t in tensors]}): {e}") from None
    dtypes = [numpy_dtype(t.dtype) for t in tensors]

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(flat_inputs):
            raise ValueError(f"K.function(): expected {len(flat_inputs)} input value(s), received {len(values)}.")
        training = None
        if phase_index is not None:
            training = bool(values.pop(phase_index))
        plan = plans.get(training)
        if plan is None:
            plan = plans[training] = Plan(tensors, flat_outputs, nodes, training)
        arrays = [np.asarray(v, dtype=d) for v, d in zip(values, dtypes)]
        results = [np.asarray(r) for r in plan.run(arrays)]
        return results[0] if single_output else results

    return run


def stop_gradient(variables):
    return variables


@contextlib.contextmanager
def name_scope(name):
    yield


# ---- products --------------------------------------------------------------------------------------

@_k
def dot(x, y):
    """Keras 2's N-D dot: the sum product over the last axis of x and the second-to-last axis of y
    (the last if y is 1-D); the result has shape x.shape[:-1] + y.shape[:-2] + y.shape[-1:]."""
    return _ops.dot(x, y)


def _batch_dot_axes(x_shape, y_shape, axes):
    x_ndim, y_ndim = len(x_shape), len(y_shape)
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                         f"{x_shape} and {y_shape}.")
    if x_shape[0] != y_shape[0]:
        raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
                         f"shapes {x_shape} and {y_shape}.")
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        axes = [int(axes), int(axes)]
    elif axes is None:
        axes = [x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2]
    elif not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(f"axes must be None, an int or a pair of ints, got {axes!r}")
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError(f"Multiple target dimensions are not supported. Expected: None, int, (int, int), "
                         f"Provided: {axes}")
    a0, a1 = (int(a) for a in axes)
    if not (-x_ndim <= a0 < x_ndim and -y_ndim <= a1 < y_ndim):
        raise ValueError(f"axes {list(axes)} are out of range for inputs of shapes {x_shape} and {y_shape}")
    a0, a1 = a0 % x_ndim, a1 % y_ndim
    if a0 == 0 or a1 == 0:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                         "batch dimension to your inputs using K.expand_dims(x, 0)")
    if x_shape[a0] != y_shape[a1]:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {x_shape} and {y_shape} with "
                         f"axes={[a0, a1]}. x.shape[{a0}] != y.shape[{a1}] ({x_shape[a0]} != {y_shape[a1]}).")
    return a0, a1


@_k
def batch_dot(x, y, axes=None):
    """Batchwise dot product: for every sample b, the sum product of x[b] and y[b] over axis
    ``axes[0]`` of x and ``axes[1]`` of y (an int means the same axis for both; None: the last axis of x
    and the second-to-last of y, or its last if y is 2-D). The result has x's remaining axes, then y's
    remaining non-batch axes; when both inputs are 2-D it is (batch, 1), as in Keras.
    ``batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]], axes=1)`` -> [[17], [53]]."""
    x, y = _t(x), _t(y)
    a0, a1 = _batch_dot_axes(x.shape, y.shape, axes)
    dtype = "int32" if x.dtype == y.dtype == np.int8 else result_type(x.dtype.name, y.dtype.name)
    xm = np.moveaxis(x, a0, -1)
    ym = np.moveaxis(y, a1, 1)
    x_rest, y_rest = xm.shape[1:-1], ym.shape[2:]
    n, k = x.shape[0], x.shape[a0]
    out = np.matmul(xm.reshape(n, int(np.prod(x_rest, dtype=np.int64)), k).astype(dtype, copy=False),
                    ym.reshape(n, k, int(np.prod(y_rest, dtype=np.int64))).astype(dtype, copy=False))
    if x.ndim == 2 and y.ndim == 2:
        return out.reshape(n, 1)
    return out.reshape((n,) + x_rest + y_rest)


# ---- reshaping and indexing ------------------------------------------------------------------------

@_k
def permute_dimensions(x, pattern):
    """Reorder the axes of x: axis i of the result is axis ``pattern[i]`` of x."""
    x = _t(x)
    pattern = tuple(int(p) for p in pattern)
    if sorted(pattern) != list(range(x.ndim)):
        raise ValueError(f"pattern {list(pattern)} is not a permutation of the {x.ndim} axes of x "
                         f"(shape {x.shape})")
    return np.transpose(x, pattern)


@_k
def expand_dims(x, axis=-1):
    return np.expand_dims(_t(x), axis)


@_k
def squeeze(x, axis):
    """Remove ``axis``, which must have length 1."""
    x = _t(x)
    if x.shape[axis] != 1:
        raise ValueError(f"cannot squeeze axis {axis} of shape {x.shape}: its length is {x.shape[axis]}, not 1")
    return np.squeeze(x, axis=axis)


@_k
def gather(reference, indices):
    """Rows of ``reference`` (entries along its first axis) at ``indices``."""
    reference = _t(reference)
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    return np.take(reference, indices, axis=0)


@_k
def one_hot(indices, num_classes):
    """One-hot float32 encoding along a new last axis."""
    return _ops.one_hot(indices, num_classes)


@_k
def reshape(x, shape):
    return _ops.reshape(x, shape)


@_k
def transpose(x):
    """Reverse all axes (tf.transpose)."""
    return _ops.transpose(x)


@_k
def flatten(x):
    return _ops.ravel(x)


@_k
def batch_flatten(x):
    """(batch, everything else flattened)."""
    x = _t(x)
    if x.ndim == 0:
        raise ValueError("x must have a batch axis, got a scalar")
    return x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))


@_k
def concatenate(tensors, axis=-1):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError("tensors must be a non-empty list of arrays")
    if axis < 0:
        rank = np.ndim(tensors[0])
        axis = axis % rank if rank else 0
    return _ops.concatenate(list(tensors), axis=axis)


@_k
def stack(x, axis=0):
    return _ops.stack(list(x), axis=axis)


@_k
def repeat(x, n):
    """(batch, dim) -> (batch, n, dim): each sample repeated n times."""
    x = _t(x)
    if x.ndim != 2:
        raise ValueError(f"Expected input `x` to have rank 2. Received: rank(x)={x.ndim}")
    return np.repeat(x[:, None, :], n, axis=1)


@_k
def repeat_elements(x, rep, axis):
    """Each slice of x along ``axis`` repeated ``rep`` times (numpy.repeat)."""
    return np.repeat(_t(x), rep, axis=axis)


@_k
def tile(x, n):
    return np.tile(_t(x), [n] if isinstance(n, int) else n)


@_k
def reverse(x, axes):
    return np.flip(_t(x), axis=(axes,) if isinstance(axes, int) else tuple(axes))


@_k
def temporal_padding(x, padding=(1, 1)):
    """Zero-pad axis 1 of a 3-D tensor."""
    if len(padding) != 2:
        raise ValueError(f"Expected `padding` to be a tuple of 2 integers. Received: padding={padding}")
    return np.pad(_t(x), [(0, 0), tuple(padding), (0, 0)])


@_k
def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zero-pad the two spatial axes of a 4-D tensor."""
    if len(padding) != 2 or len(padding[0]) != 2 or len(padding[1]) != 2:
        raise ValueError("Expected `padding` to be a tuple of 2 tuples of 2 integers. "
                         f"Received: padding={padding}")
    if standardize_data_format(data_format) == "channels_first":
        pattern = [(0, 0), (0, 0), tuple(padding[0]), tuple(padding[1])]
    else:
        pattern = [(0, 0), tuple(padding[0]), tuple(padding[1]), (0, 0)]
    return np.pad(_t(x), pattern)


@_k
def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zero-pad the three spatial axes of a 5-D tensor."""
    if len(padding) != 3 or builtins.any(len(p) != 2 for p in padding):
        raise ValueError("Expected `padding` to be a tuple of 3 tuples of 2 integers. "
                         f"Received: padding={padding}")
    data_format = standardize_data_format(data_format)
    spatial = [tuple(p) for p in padding]
    pattern = [(0, 0), (0, 0)] + spatial if data_format == "channels_first" else [(0, 0)] + spatial + [(0, 0)]
    return np.pad(_t(x), pattern)


@_k
def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Upscale the two spatial axes of a 4-D tensor by integer factors, each pixel repeated (the only
    interpolation nnkern has: 'nearest', which with integer factors is exact repetition)."""
    data_format = standardize_data_format(data_format)
    if interpolation != "nearest":
        raise ValueError(f"nnkern's resize_images supports interpolation='nearest' only. "
                         f"Received: interpolation={interpolation!r}")
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"Expected a 4-D tensor, got shape {x.shape}")
    rows = 2 if data_format == "channels_first" else 1
    return np.repeat(np.repeat(x, int(height_factor), axis=rows), int(width_factor), axis=rows + 1)


@_k
def bias_add(x, bias, data_format=None):
    """x + bias, the bias on the channel axis (last for channels_last, 1 for channels_first)."""
    x, bias = _t(x), _t(bias)
    data_format = standardize_data_format(data_format)
    if bias.ndim != 1 and bias.ndim != x.ndim - 1:
        raise ValueError(f"Unexpected bias dimensions {bias.ndim}. Expected it to be 1 or {x.ndim - 1} dimensions")
    if data_format == "channels_first" and x.ndim > 2:
        if bias.ndim == 1:
            bias = bias.reshape((-1,) + (1,) * (x.ndim - 2))
        else:
            bias = np.moveaxis(bias, -1, 0)
    return _ops.add(x, bias)


@_k
def switch(condition, then_expression, else_expression):
    """then_expression where condition holds, else else_expression. A scalar condition picks one of
    the two (calling it if it is a function); a tensor condition is broadcast over trailing axes."""
    condition = np.asarray(condition).astype(bool)
    if condition.ndim == 0:
        chosen = then_expression if condition else else_expression
        return chosen() if callable(chosen) else chosen
    then_value = _t(then_expression() if callable(then_expression) else then_expression)
    else_value = _t(else_expression() if callable(else_expression) else else_expression)
    if condition.ndim > then_value.ndim:
        raise ValueError("Rank of `condition` should be less than or equal to rank of `then_expression` and "
                         f"`else_expression`. ndim(condition)={condition.ndim}, "
                         f"ndim(then_expression)={then_value.ndim}")
    condition = condition.reshape(condition.shape + (1,) * (then_value.ndim - condition.ndim))
    return _ops.where(condition, then_value, else_value)


# ---- elementwise and reductions ----------------------------------------------------------------------

# Keras 2 backend functions that are the keras.ops function of the same name (as backend.<name> in errors).

def _same_name(name):
    fn = getattr(_ops, name)

    def f(x):
        return fn(x)
    return _k(f, name=name, doc=f"Keras 2 `K.{name}`: elementwise, as ``nnkern.ops.{name}``.")


# Module globals abs, square, ...: inside this module abs and round are these (builtins.abs for the builtin).
globals().update({name: _same_name(name) for name in (
    "abs", "square", "exp", "log", "round", "sign", "sin", "cos", "tanh", "sigmoid", "softplus", "softsign")})


@_k
def sqrt(x):
    """Square root, negative inputs clamped to 0 first (Keras 2)."""
    x = _t(x)
    return _ops.sqrt(np.maximum(x, np.zeros((), x.dtype)))


@_k
def pow(x, a):
    return _ops.power(x, a)


def _pair(name):
    fn = getattr(_ops, name)

    def f(x, y):
        return fn(x, y)
    return _k(f, name=name, doc=f"Keras 2 `K.{name}`, as ``nnkern.ops.{name}``.")


globals().update({name: _pair(name) for name in (
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "maximum", "minimum")})


def _reduction(name, bool_to_float=False):
    fn = getattr(_ops, name)

    def f(x, axis=None, keepdims=False):
        x = _t(x)
        if bool_to_float and x.dtype == np.bool_:
            x = x.astype(floatx())
        return fn(x, axis=axis, keepdims=keepdims)
    return _k(f, name=name, doc=f"Keras 2 `K.{name}(x, axis=None, keepdims=False)`, as ``nnkern.ops.{name}``.")


sum = _reduction("sum")
prod = _reduction("prod")
max = _reduction("max")
min = _reduction("min")
mean = _reduction("mean", bool_to_float=True)
std = _reduction("std", bool_to_float=True)
var = _reduction("var", bool_to_float=True)


@_k
def any(x, axis=None, keepdims=False):
    return _ops.any(np.asarray(x).astype(bool), axis=axis, keepdims=keepdims)


@_k
def all(x, axis=None, keepdims=False):
    return _ops.all(np.asarray(x).astype(bool), axis=axis, keepdims=keepdims)


@_k
def argmax(x, axis=-1):
    """int64 index of the largest entry along ``axis`` (tf.argmax)."""
    return np.argmax(_t(x), axis=axis).astype(np.int64)


@_k
def argmin(x, axis=-1):
    return np.argmin(_t(x), axis=axis).astype(np.int64)


@_k
def cumsum(x, axis=0):
    return _ops.cumsum(x, axis=axis)


@_k
def cumprod(x, axis=0):
    return _ops.cumprod(x, axis=axis)


@_k
def cast(x, dtype):
    return _ops.cast(x, dtype)


@_k
def clip(x, min_value, max_value):
    """x clipped to [min_value, max_value]; None means unbounded, and max < min clips to min."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    x = _t(x)
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return np.clip(x, low, high).astype(x.dtype, copy=False)


@_k
def l2_normalize(x, axis=None):
    """x / sqrt(max(sum(x ** 2, axis), 1e-12)) (tf.linalg.l2_normalize); axis None: over everything."""
    x = _t(x)
    out = x.dtype if x.dtype.kind == "f" else np.dtype(floatx())
    x = x.astype(out, copy=False)
    axis = tuple(axis) if isinstance(axis, list) else axis
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    return (x / np.sqrt(np.maximum(square_sum, np.asarray(1e-12, out)))).astype(out, copy=False)


# ---- activations -----------------------------------------------------------------------------------

@_k
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's relu: leaky below ``threshold`` with slope ``alpha``, clipped at ``max_value``."""
    x = _t(x)
    if x.dtype.kind != "f":
        x = x.astype(floatx())
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return _ops.relu(x)
    zero = np.zeros((), x.dtype)
    if alpha != 0.0 and max_value is None and threshold == 0:
        return np.maximum(np.asarray(alpha, x.dtype) * x, x)  # tf.nn.leaky_relu
    negative_part = np.maximum(-x + np.asarray(threshold, x.dtype), zero) if alpha != 0.0 else None
    if threshold != 0:
        y = x * (x > threshold).astype(x.dtype)
    else:
        y = np.maximum(x, zero)
    if max_value is not None:
        y = np.clip(y, zero, np.asarray(max_value, x.dtype))
    if negative_part is not None:
        y = y - np.asarray(alpha, x.dtype) * negative_part
    return y


@_k
def elu(x, alpha=1.0):
    return _ops.elu(x, alpha=alpha)


@_k
def hard_sigmoid(x):
    """Keras 2's hard sigmoid, clip(0.2 * x + 0.5, 0, 1) (Keras 3's activation uses x / 6 + 0.5)."""
    x = _t(x)
    if x.dtype.kind != "f":
        x = x.astype(floatx())
    return np.clip(x * np.asarray(0.2, x.dtype) + np.asarray(0.5, x.dtype), 0, 1).astype(x.dtype, copy=False)


@_k
def softmax(x, axis=-1):
    x = _t(x)
    if x.ndim <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input of shape {x.shape}")
    return _ops.softmax(x, axis=axis)


@_k
def in_top_k(predictions, targets, k):
    return _ops.in_top_k(targets, predictions, k)


# ---- losses (Keras 2 forms: no reduction over the last axis) ----------------------------------------

@_k
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy, Keras 2 style: output clipped to [eps, 1 - eps] and eps added
    inside the logs."""
    if from_logits:
        return _ops.binary_crossentropy(target, output, from_logits=True)
    output = _t(output)
    if output.dtype.kind != "f":
        output = output.astype(floatx())
    target = np.asarray(target, dtype=output.dtype)
    eps = epsilon()
    output = np.clip(output, eps, 1.0 - eps)
    return -(target * np.log(output + eps) + (1 - target) * np.log(1 - output + eps))


@_k
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return _ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


@_k
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1, ignore_class=None):
    from nnkern import losses
    return losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits,
                                                  ignore_class=ignore_class, axis=axis)


# ---- convolution, pooling and normalization (Keras 2 signatures over nnkern.ops) -----------------------

def _conv_padding(padding):
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid padding: {padding}")
    return padding


@_k
def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution, kernel (width, in_channels, filters); padding 'valid', 'same' or 'causal'
    (left-padded by dilation_rate * (width - 1))."""
    data_format = standardize_data_format(data_format)
    if padding == "causal":
        kernel = _t(kernel)
        x = _t(x)
        time_axis = 2 if data_format == "channels_first" else 1
        pads = [(0, 0)] * x.ndim
        pads[time_axis] = (int(dilation_rate) * (kernel.shape[0] - 1), 0)
        x, padding = np.pad(x, pads), "valid"
    return _ops.conv(x, kernel, strides=strides, padding=_conv_padding(padding), data_format=data_format,
                     dilation_rate=dilation_rate)


@_k
def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-D convolution, kernel (rows, cols, in_channels, filters)."""
    return _ops.conv(x, kernel, strides=strides, padding=_conv_padding(padding),
                     data_format=standardize_data_format(data_format), dilation_rate=dilation_rate)


@_k
def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """Depthwise 2-D convolution, kernel (rows, cols, in_channels, multiplier)."""
    return _ops.depthwise_conv(x, depthwise_kernel, strides=strides, padding=_conv_padding(padding),
                               data_format=standardize_data_format(data_format), dilation_rate=dilation_rate)


def _transpose_crop(in_len, out_len, kernel, stride, dilation, padding):
    """(first output of the full transposed convolution kept) for tf.nn.conv2d_transpose's output_shape,
    after checking that a forward convolution of out_len gives in_len back, as TensorFlow requires."""
    dilated = (kernel - 1) * dilation + 1
    forward = -(-out_len // stride) if padding == "same" else -(-(out_len - dilated + 1) // stride)
    if forward != in_len:
        raise ValueError(f"output_shape length {out_len} is not one a {padding!r} convolution with kernel {kernel}, "
                         f"stride {stride}, dilation {dilation} maps back to the input's {in_len}")
    return builtins.max((in_len - 1) * stride + dilated - out_len, 0) // 2 if padding == "same" else 0


@_k
def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """tf.nn.conv2d_transpose: the transposed 2-D convolution whose spatial size is given by
    ``output_shape`` (batch, rows, cols, filters) (channels_first: (batch, filters, rows, cols)); kernel
    (rows, cols, filters, in_channels). Computed as the full transposed convolution cropped where
    TensorFlow's padding puts the output."""
    data_format = standardize_data_format(data_format)
    padding = _conv_padding(padding)
    x, kernel = _t(x), _t(kernel)
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
        output_shape = (output_shape[0],) + tuple(output_shape[2:]) + (output_shape[1],)
    strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
    dilation_rate = (dilation_rate, dilation_rate) if isinstance(dilation_rate, int) else tuple(dilation_rate)
    if len(output_shape) != 4 or output_shape[-1] != kernel.shape[-2]:
        raise ValueError(f"output_shape must be (batch, rows, cols, {kernel.shape[-2]}) for a kernel of shape "
                         f"{kernel.shape}, got {tuple(output_shape)}")
    full = _ops.conv_transpose(x, kernel, strides=strides, padding="valid", dilation_rate=dilation_rate)
    out = np.zeros((x.shape[0],) + tuple(int(d) for d in output_shape[1:3]) + (kernel.shape[-2],), full.dtype)
    window = []
    for axis in (1, 2):
        first = _transpose_crop(x.shape[axis], out.shape[axis], kernel.shape[axis - 1], strides[axis - 1],
                                dilation_rate[axis - 1], padding)
        window.append(builtins.min(out.shape[axis], full.shape[axis] - first))
        full = np.take(full, np.arange(first, first + window[-1]), axis=axis)
    out[:, :window[0], :window[1]] = full
    return np.ascontiguousarray(np.moveaxis(out, -1, 1)) if data_format == "channels_first" else out


@_k
def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D max or average pooling. Note Keras 2's default strides=(1, 1), not pool_size."""
    if len(pool_size) != 2:
        raise ValueError("`pool_size` must be a tuple of 2 integers.")
    if len(strides) != 2:
        raise ValueError("`strides` must be a tuple of 2 integers.")
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"Invalid pooling mode: {pool_mode}")
    pool = _ops.max_pool if pool_mode == "max" else _ops.average_pool
    return pool(x, tuple(pool_size), strides=tuple(strides), padding=_conv_padding(padding),
                data_format=standardize_data_format(data_format))


@_k
def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta (beta / gamma may be None), as
    tf.nn.batch_normalization; mean, var, beta and gamma broadcast against x."""
    x = _t(x)
    inv = 1.0 / np.sqrt(_t(var) + np.asarray(epsilon, _t(var).dtype))
    if gamma is not None:
        inv = inv * _t(gamma)
    offset = -_t(mean) * inv if beta is None else _t(beta) - _t(mean) * inv
    return (x * inv + offset).astype(result_type(x.dtype.name, np.asarray(inv).dtype.name), copy=False)


# ---- functional helpers -------------------------------------------------------------------------------

def map_fn(fn, elems, name=None, dtype=None):
    """fn applied to each entry of elems along its first axis (to the entries of all of them when
    elems is a tuple / list), the results stacked."""
    if isinstance(elems, (tuple, list)):
        results = [fn(tuple(e)) for e in zip(*elems)]
    else:
        results = [fn(e) for e in elems]
    out = np.stack([np.asarray(r) for r in results]) if results else np.zeros((0,))
    return out if dtype is None else out.astype(standardize_dtype(dtype))


def foldl(fn, elems, initializer=None, name=None):
    """fn(accumulator, entry) over the entries of elems from first to last; without an initializer,
    the first entry starts the accumulator."""
    entries = list(elems)
    if initializer is None:
        if not entries:
            raise ValueError("foldl: elems is empty and no initializer was given")
        initializer, entries = entries[0], entries[1:]
    acc = initializer
    for e in entries:
        acc = fn(acc, e)
    return acc


def _where_step(mask_t, new, old):
    """new for the samples whose step counts (mask_t, one bool per sample), old for the others."""
    return np.where(mask_t.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None, time_major=False, zero_output_for_mask=False, return_all_outputs=True):
    """Keras 2's loop over time: ``step_function(input_t, states + constants)`` returns (output_t,
    new_states) for each step of inputs (batch, time, ...) (time first if ``time_major``), from the end
    if ``go_backwards``. Where ``mask`` (batch, time) is False a step keeps the previous output and
    states (zero output if ``zero_output_for_mask``). Returns (last_output, outputs, new_states);
    outputs are in iteration order, (batch, time, ...) unless time_major, and only the last step's
    when ``return_all_outputs`` is False. ``unroll`` and ``input_length`` change nothing here."""
    inputs = np.asarray(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"Input should be at least 3D. Received: inputs.shape={inputs.shape}")
    steps = inputs if time_major else np.swapaxes(inputs, 0, 1)  # time first
    if mask is not None:
        mask = np.asarray(mask).astype(bool)
        if mask.ndim == 3:
            mask = mask[..., 0]
        mask = mask if time_major else mask.T
    order = range(len(steps) - 1, -1, -1) if go_backwards else range(len(steps))
    states = [np.asarray(s) for s in initial_states]
    constants = list(constants or [])
    outputs, prev_output = [], None
    for t in order:
        output, new_states = step_function(steps[t], states + constants)
        output, new_states = np.asarray(output), [np.asarray(s) for s in new_states]
        if mask is not None:
            if prev_output is None:
                prev_output = np.zeros_like(output)
            output = _where_step(mask[t], output, np.zeros_like(output) if zero_output_for_mask else prev_output)
            new_states = [_where_step(mask[t], new, old) for new, old in zip(new_states, states)]
        prev_output, states = output, new_states
        outputs.append(output)
    if not outputs:
        raise ValueError("rnn: inputs have no time steps")
    stacked = np.stack(outputs if return_all_outputs else outputs[-1:])
    return outputs[-1], (stacked if time_major else np.swapaxes(stacked, 0, 1)), states


def foldr(fn, elems, initializer=None, name=None):
    """foldl from the last entry to the first."""
    return foldl(fn, list(elems)[::-1], initializer=initializer, name=name)


# ---- creation and randomness -----------------------------------------------------------------------

@_k
def zeros(shape, dtype=None, name=None):
    return np.zeros(shape, dtype=standardize_dtype(dtype))


@_k
def ones(shape, dtype=None, name=None):
    return np.ones(shape, dtype=standardize_dtype(dtype))


@_k
def zeros_like(x, dtype=None, name=None):
    return _ops.zeros_like(x, dtype=dtype)


@_k
def ones_like(x, dtype=None, name=None):
    return _ops.ones_like(x, dtype=dtype)


@_k
def eye(size, dtype=None, name=None):
    """Identity matrix: ``size`` is n, or a pair (rows, columns)."""
    n, m = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    return np.eye(n, m, dtype=standardize_dtype(dtype))


@_k
def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None and start < 0:
        start = 0
    if stop is None:
        start, stop = 0, start
    return np.arange(start, stop, step).astype(standardize_dtype(dtype))


def _rng(seed):
    return np.random.default_rng(seed)


@_k
def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _rng(seed).uniform(minval, maxval, size=shape).astype(standardize_dtype(dtype))


@_k
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _rng(seed).normal(mean, stddev, size=shape).astype(standardize_dtype(dtype))


@_k
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until within two standard deviations of the mean."""
    rng = _rng(seed)
    z = rng.standard_normal(size=shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(z) > 2
    return (mean + stddev * z).astype(standardize_dtype(dtype))


@_k
def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    return (_rng(seed).uniform(size=shape) <= p).astype(standardize_dtype(dtype))


@_k
def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    return random_uniform(shape, low, high, dtype=dtype, seed=seed)


@_k
def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    return random_normal(shape, mean, scale, dtype=dtype, seed=seed)


@_k
def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout: zero a fraction ``level`` of x and scale the rest by 1 / (1 - level)."""
    x = _t(x)
    if not 0 <= level < 1:
        raise ValueError(f"level must be in [0, 1), got {level}")
    keep = _rng(seed).uniform(size=x.shape if noise_shape is None else noise_shape) >= level
    return np.where(keep, x / np.asarray(1 - level, x.dtype), np.zeros((), x.dtype)).astype(x.dtype, copy=False)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("builtins", "contextlib", "np", "keras_op")]
