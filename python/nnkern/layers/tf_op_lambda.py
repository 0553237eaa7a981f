"""Keras 2's TF-op nodes: `TFOpLambda` and `SlicingOpLambda`, which tf.keras records when TensorFlow
functions or Python operators are applied to KerasTensors (`tf.concat([a, b], -1)`, `x * 0.5`, `x[:, 0]`).

A config names the function by its TF API path (`"math.multiply"`, `"__operators__.getitem"`); the node's
first argument is the inbound tensor structure, the rest arrive as keyword arguments under TF's own
argument names. `TF_FUNCTIONS` below is the one table from those names to numpy code with TF's signature:
it is also the allowlist (nothing is looked up on a module by a name from a file), and an unknown name
raises a ValueError naming it."""
import numpy as np

from nnkern.engine import tree
from nnkern.engine.dtypes import numpy_dtype
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.spec_inference import materialize, trial_sizes

__all__ = ["TFOpLambda", "SlicingOpLambda", "TF_FUNCTIONS"]


def _op(name):
    """nnkern.ops.<name>, imported on first call (`import nnkern` leaves nnkern.ops unloaded)."""
    def call(*args, **kwargs):
        from nnkern import ops
        return getattr(ops, name)(*args, **kwargs)
    call.__name__ = name
    return call


def _axis(axis):
    return tuple(int(a) for a in axis) if isinstance(axis, (list, tuple, np.ndarray)) else axis


def _reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        return fn(input_tensor, axis=_axis(axis), keepdims=bool(keepdims))
    return reduce


def _binary(fn):
    def binary(x, y, name=None):
        return fn(x, y)
    return binary


def _unary(fn):
    def unary(x, name=None):
        return fn(x)
    return unary


def _features(fn):
    def activation(features, name=None):
        return fn(features)
    return activation


def _matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
            b_is_sparse=False, output_type=None, grad_a=False, grad_b=False, name=None):
    a = np.swapaxes(a, -1, -2) if transpose_a or adjoint_a else a
    b = np.swapaxes(b, -1, -2) if transpose_b or adjoint_b else b
    return np.matmul(a, b)


def _concat(values, axis, name="concat"):
    return np.concatenate(values, axis=int(axis))


def _stack(values, axis=0, name="stack"):
    return np.stack(values, axis=int(axis))


def _reshape(tensor, shape, name=None):
    return np.reshape(tensor, tuple(int(s) for s in np.asarray(shape).reshape(-1)))


def _transpose(a, perm=None, name="transpose", conjugate=False):
    return np.transpose(a, None if perm is None else _axis(perm))


def _squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    axis = squeeze_dims if axis is None else axis
    return np.squeeze(input, axis=_axis(axis) if axis is not None and np.ndim(axis) else axis)


def _gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    if batch_dims:
        raise ValueError(f"TFOpLambda gather: batch_dims={batch_dims} is not supported by nnkern (only 0)")
    return np.take(params, np.asarray(indices), axis=int(axis or 0))


def _where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise ValueError("TFOpLambda where: the one-argument form (indices of true elements) has a data-dependent "
                         "shape and is not supported by nnkern")
    return np.where(condition, x, y)


def _one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    dtype = numpy_dtype(dtype or "float32")
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    hot = np.asarray(indices)[..., None] == np.arange(int(depth))
    out = np.where(hot, on, off).astype(dtype)
    return out if axis in (None, -1) else np.moveaxis(out, -1, int(axis))


def _pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    mode = str(mode).lower()
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"TFOpLambda pad: invalid mode {mode!r}; expected 'CONSTANT', 'REFLECT' or 'SYMMETRIC'")
    widths = [tuple(int(v) for v in p) for p in paddings]
    if mode == "constant":
        return np.pad(tensor, widths, mode="constant", constant_values=constant_values)
    return np.pad(tensor, widths, mode=mode)


def _split(value, num_or_size_splits, axis=0, num=None, name="split"):
    axis = int(axis)
    if np.ndim(num_or_size_splits) == 0:
        return list(np.split(value, int(num_or_size_splits), axis=axis))
    sizes = [int(s) for s in num_or_size_splits]
    if -1 in sizes:
        sizes[sizes.index(-1)] = value.shape[axis] - (sum(sizes) + 1)
    return list(np.split(value, np.cumsum(sizes)[:-1], axis=axis))


def _unstack(value, num=None, axis=0, name="unstack"):
    return [np.take(value, i, axis=int(axis)) for i in range(value.shape[int(axis)])]


def _cumulative(fn):
    def cumulative(x, axis=0, exclusive=False, reverse=False, name=None):
        axis = int(axis)
        x = np.flip(x, axis) if reverse else x
        out = fn(x, axis=axis)
        if exclusive:
            identity = np.zeros_like(np.take(x, [0], axis=axis)) if fn is np.cumsum else \
                np.ones_like(np.take(x, [0], axis=axis))
            out = np.concatenate([identity, np.take(out, np.arange(x.shape[axis] - 1), axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out
    return cumulative


def _arg(fn):
    def arg(input, axis=None, output_type="int64", name=None):  # noqa: A002
        return fn(input, axis=0 if axis is None else int(axis)).astype(numpy_dtype(output_type or "int64"))
    return arg


def _l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    axis = _axis(dim if axis is None else axis)
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    return x / np.sqrt(np.maximum(square_sum, epsilon))


def _norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002
    keepdims = bool(keep_dims if keepdims is None else keepdims)
    axis = _axis(axis)
    if ord in ("euclidean", "fro", 2, 2.0):
        return np.sqrt(np.sum(np.square(tensor), axis=axis, keepdims=keepdims))
    if ord in (1, 1.0):
        return np.sum(np.abs(tensor), axis=axis, keepdims=keepdims)
    if ord in (np.inf, "inf"):
        return np.max(np.abs(tensor), axis=axis, keepdims=keepdims)
    raise ValueError(f"TFOpLambda norm: ord={ord!r} is not supported by nnkern (only 'euclidean', 1, inf)")


def _top_k(input, k=1, sorted=True, index_type="int32", name=None):  # noqa: A002
    indices = np.argsort(-np.asarray(input), axis=-1, kind="stable")[..., :int(k)]
    return [np.take_along_axis(input, indices, axis=-1), indices.astype(numpy_dtype(index_type or "int32"))]


def _bias_add(value, bias, data_format=None, name=None):
    if data_format is not None and str(data_format).startswith("NC"):
        return value + np.reshape(bias, (-1,) + (1,) * (value.ndim - 2))
    return value + bias


def _shape(input, name=None, out_type=None):  # noqa: A002
    return np.asarray(np.shape(input), dtype=numpy_dtype(out_type or "int32"))


def _like(fill):
    def like(input, dtype=None, name=None, layout=None):  # noqa: A002
        return np.full(np.shape(input), fill, dtype=numpy_dtype(dtype) if dtype else np.asarray(input).dtype)
    return like


def _no_nan(fn):
    def no_nan(x, y, name=None):
        return np.where(y == 0, np.zeros_like(fn(x, np.ones_like(y))), fn(x, np.where(y == 0, 1, y)))
    return no_nan


def _range(start, limit=None, delta=1, dtype=None, name="range"):
    start, limit = (0, start) if limit is None else (start, limit)
    values = [np.asarray(v).item() for v in (start, limit, delta)]
    if dtype is None:
        dtype = "float32" if any(isinstance(v, float) for v in values) else "int32"
    return np.arange(*values).astype(numpy_dtype(dtype))


def _getitem(tensor, slice_spec, var=None):
    # TF reads a list slice spec as a tuple of per-axis indices (never as fancy indexing).
    return tensor[tuple(slice_spec) if isinstance(slice_spec, list) else slice_spec]


def _softmax(fn):
    def softmax(logits, axis=None, name=None):
        return fn(logits, axis=-1 if axis is None else int(axis))
    return softmax


def _swish(features, beta=1.0):
    return features * _op("sigmoid")(beta * np.asarray(features))


# TF API path (as tf.keras writes it in `function`) -> numpy code with TF's argument names.
TF_FUNCTIONS = {
    # Python operators on KerasTensors (x + y; x - y, x * y, x / y, x // y, x % y, x @ y are the math.* below)
    "__operators__.add": _binary(np.add), "__operators__.getitem": _getitem,
    # arithmetic
    "math.add": _binary(np.add), "math.subtract": _binary(np.subtract), "math.multiply": _binary(np.multiply),
    "math.truediv": _binary(np.true_divide), "compat.v1.floor_div": _binary(np.floor_divide),
    "math.floormod": _binary(np.mod), "math.pow": _binary(np.power), "math.maximum": _binary(np.maximum),
    "math.minimum": _binary(np.minimum), "math.squared_difference": _binary(lambda x, y: np.square(x - y)),
    "math.divide_no_nan": _no_nan(np.true_divide), "math.multiply_no_nan": _no_nan(np.multiply),
    "math.add_n": lambda inputs, name=None: sum(inputs[1:], inputs[0]),
    "compat.v1.math.scalar_mul": lambda scalar, x, name=None: scalar * x,
    "linalg.matmul": _matmul,
    # element-wise functions
    "math.negative": _unary(np.negative), "math.abs": _unary(np.abs), "math.sqrt": _unary(np.sqrt),
    "math.rsqrt": _unary(lambda x: 1 / np.sqrt(x)), "math.square": _unary(np.square), "math.exp": _unary(np.exp),
    "math.log": _unary(np.log), "math.log1p": _unary(np.log1p), "math.expm1": _unary(np.expm1),
    "math.sin": _unary(np.sin), "math.cos": _unary(np.cos), "math.tan": _unary(np.tan),
    "math.atan": _unary(np.arctan), "math.sinh": _unary(np.sinh), "math.cosh": _unary(np.cosh),
    "math.erf": _unary(_op("erf")), "math.reciprocal": _unary(np.reciprocal), "math.sign": _unary(np.sign),
    "math.floor": _unary(np.floor), "math.ceil": _unary(np.ceil), "math.round": _unary(np.round),
    "math.is_nan": _unary(np.isnan), "math.sigmoid": _unary(_op("sigmoid")), "math.tanh": _unary(np.tanh),
    "math.softplus": _features(_op("softplus")),
    # comparisons and logic
    "math.equal": _binary(np.equal), "math.not_equal": _binary(np.not_equal), "math.less": _binary(np.less),
    "math.less_equal": _binary(np.less_equal), "math.greater": _binary(np.greater),
    "math.greater_equal": _binary(np.greater_equal), "math.logical_and": _binary(np.logical_and),
    "math.logical_or": _binary(np.logical_or), "math.logical_not": _unary(np.logical_not),
    # reductions and scans
    "math.reduce_sum": _reduce(np.sum), "math.reduce_mean": _reduce(np.mean), "math.reduce_max": _reduce(np.max),
    "math.reduce_min": _reduce(np.min), "math.reduce_prod": _reduce(np.prod), "math.reduce_std": _reduce(np.std),
    "math.reduce_variance": _reduce(np.var), "math.reduce_any": _reduce(np.any), "math.reduce_all": _reduce(np.all),
    "math.reduce_logsumexp": _reduce(_op("logsumexp")),
    "math.reduce_euclidean_norm": _reduce(lambda x, axis, keepdims: np.sqrt(np.sum(np.square(x), axis,
                                                                               keepdims=keepdims))),
    "math.cumsum": _cumulative(np.cumsum), "math.cumprod": _cumulative(np.cumprod),
    "math.argmax": _arg(np.argmax), "math.argmin": _arg(np.argmin), "math.top_k": _top_k,
    "math.l2_normalize": _l2_normalize, "compat.v1.norm": _norm,
    # activations (tf.nn; tf.nn.sigmoid, tanh, softplus, swish record as math.sigmoid, ..., nn.silu)
    "nn.relu": _features(_op("relu")), "nn.relu6": _features(_op("relu6")), "nn.elu": _features(_op("elu")),
    "nn.selu": _features(_op("selu")), "nn.softsign": _features(_op("softsign")),
    "nn.gelu": lambda features, approximate=False, name=None: _op("gelu")(features, approximate=bool(approximate)),
    "nn.leaky_relu": lambda features, alpha=0.2, name=None: _op("leaky_relu")(features, negative_slope=alpha),
    "nn.silu": _swish, "nn.softmax": _softmax(_op("softmax")), "nn.log_softmax": _softmax(_op("log_softmax")),
    "nn.bias_add": _bias_add,
    # shapes, joins and selection (tf.transpose, squeeze, gather, pad, shape record as compat.v1.*)
    "concat": _concat, "stack": _stack, "reshape": _reshape, "compat.v1.transpose": _transpose,
    "expand_dims": lambda input, axis, name=None: np.expand_dims(input, int(axis)),  # noqa: A006
    "compat.v1.squeeze": _squeeze,
    "tile": lambda input, multiples, name=None: np.tile(input, tuple(int(m) for m in multiples)),  # noqa: A006
    "cast": lambda x, dtype, name=None: np.asarray(x).astype(numpy_dtype(dtype)),
    "one_hot": _one_hot, "compat.v1.gather": _gather, "where": _where,
    "clip_by_value": lambda t, clip_value_min, clip_value_max, name=None: np.clip(t, clip_value_min, clip_value_max),
    "identity": lambda input, name=None: np.array(input),  # noqa: A006
    "zeros_like": _like(0), "ones_like": _like(1), "compat.v1.pad": _pad,
    "reverse": lambda tensor, axis, name=None: np.flip(tensor, _axis(axis)),
    "repeat": lambda input, repeats, axis=None, name=None: np.repeat(input, repeats, axis=axis),  # noqa: A006
    "split": _split, "unstack": _unstack, "compat.v1.shape": _shape, "range": _range,
}


# Functions whose output depends only on their input's shape.
_SHAPE_FUNCTIONS = {"compat.v1.shape"}


def _to_float32(value):
    if isinstance(value, (list, tuple)):
        return [_to_float32(v) for v in value]
    value = np.asarray(value)
    return value.astype(np.float32) if value.dtype == np.float64 else value


class TFOpLambda(Layer):
    """A TensorFlow function applied to KerasTensors in tf.keras (`function`: its TF API path)."""

    # tf.keras passes the node's first argument with its structure (a list for tf.concat, not unpacked).
    _preserve_input_structure_in_config = True

    def __init__(self, function, **kwargs):
        kwargs.pop("autocast", None)
        super().__init__(autocast=False, **kwargs)
        if not isinstance(function, str) or function not in TF_FUNCTIONS:
            raise ValueError(f"{type(self).__name__} '{self.name}': nnkern does not implement the TensorFlow "
                             f"function 'tf.{function}' (supported: see nnkern.layers.tf_op_lambda.TF_FUNCTIONS). "
                             "Rebuild the model with Keras layers or keras.ops, or pass your own "
                             f"`custom_objects={{'{type(self).__name__}': ...}}`.")
        self.function = function
        self._fn = TF_FUNCTIONS[function]
        self.built = True

    def call(self, *args, **kwargs):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # TF gives inf / nan silently
            return _to_float32(self._fn(*args, **kwargs))

    def __call__(self, *args, **kwargs):
        outputs = super().__call__(*args, **kwargs)
        self._record_trial_values((args, kwargs), outputs)
        return outputs

    def _record_trial_values(self, arguments, outputs):
        """Give small integer outputs computed from shapes alone (tf.shape(x), its items, sums of them)
        their value in each shape-inference trial: ops using them as shapes get the right output shape."""
        tensors = [x for x in tree.flatten(arguments) if isinstance(x, KerasTensor)]
        flat_outputs = [x for x in tree.flatten(outputs) if isinstance(x, KerasTensor)]
        from_shapes = self.function in _SHAPE_FUNCTIONS or (
            tensors and all(getattr(x, "trial_values", None) is not None for x in tensors))
        if not tensors or not from_shapes or not all(
                x.dtype.startswith("int") and len(x.shape) <= 1 for x in flat_outputs):
            return
        values = {}
        for size in trial_sizes():
            args, kwargs = materialize(arguments, size)
            values[size] = tree.flatten(self.call(*args, **kwargs))
        for i, x in enumerate(flat_outputs):
            x.trial_values = {size: np.asarray(values[size][i]) for size in values}

    def get_config(self):
        return {**super().get_config(), "function": self.function}


def _dict_to_slice(value):
    if isinstance(value, dict) and set(value) == {"start", "stop", "step"}:
        return slice(value["start"], value["stop"], value["step"])
    return value


class SlicingOpLambda(TFOpLambda):
    """`x[...]` on a KerasTensor in tf.keras: slices arrive as {'start', 'stop', 'step'} dicts."""

    def call(self, *args, **kwargs):
        def revive(value):
            value = _dict_to_slice(value)
            return [_dict_to_slice(v) for v in value] if isinstance(value, (list, tuple)) else value
        return super().call(*[revive(a) for a in args], **{k: revive(v) for k, v in kwargs.items()})
