"""The numpy family of ``keras.ops`` (abs, sum, matmul, reshape, where, ...) on numpy arrays.

Each op converts its inputs as Keras does (``convert_to_tensor``), computes with numpy and returns a
numpy array of the dtype Keras 3 returns (see ``_dtypes``). Most ops are built from a few tables:
elementwise ops that keep the input dtype, elementwise ops with a float result, binary ops under type
promotion, comparisons, and reductions.
"""
import numpy as np

from nnkern.ops._dtypes import (convert_to_tensor, dtype_of, float_result, floatx, result_type,
                                standardize_dtype)
from nnkern.ops._wrap import keras_op

_t = convert_to_tensor
_SMALL_INT_SUM = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}


def _axis(axis):
    """numpy wants a tuple where Keras also accepts a list of axes."""
    return tuple(axis) if isinstance(axis, list) else axis


def _compute_dtype(out):
    # float16 is computed in float32 and rounded once, as JAX does.
    return "float32" if out == "float16" else out


# ---- elementwise, one input ----------------------------------------------------------------------

def _same(name, np_fn, bool_as=None):
    def f(x):
        x = _t(x)
        if bool_as and x.dtype == np.bool_:
            x = x.astype(bool_as)
        return np.asarray(np_fn(x))
    return keras_op(f, name=name,
                    doc=f"Keras `ops.{name}`: elementwise numpy `{np_fn.__name__}`, same dtype as x.")


def _floating(name, np_fn):
    def f(x):
        x = _t(x)
        out = float_result(x.dtype)
        return np.asarray(np_fn(x.astype(_compute_dtype(out), copy=False)), dtype=out)
    return keras_op(f, name=name,
                    doc=f"Keras `ops.{name}`: elementwise numpy `{np_fn.__name__}`; ints and bools give floatx().")


abs = _same("abs", np.absolute)
absolute = _same("absolute", np.absolute)
negative = _same("negative", np.negative)
sign = _same("sign", np.sign)
square = _same("square", np.square, bool_as="int32")
conj = _same("conj", np.conj)
sqrt = _floating("sqrt", np.sqrt)
exp = _floating("exp", np.exp)
log = _floating("log", np.log)
log1p = _floating("log1p", np.log1p)
log2 = _floating("log2", np.log2)
log10 = _floating("log10", np.log10)
expm1 = _floating("expm1", np.expm1)
floor = _floating("floor", np.floor)
ceil = _floating("ceil", np.ceil)
reciprocal = _floating("reciprocal", np.reciprocal)
sin = _floating("sin", np.sin)
cos = _floating("cos", np.cos)
tan = _floating("tan", np.tan)
arcsin = _floating("arcsin", np.arcsin)
arccos = _floating("arccos", np.arccos)
arctan = _floating("arctan", np.arctan)
sinh = _floating("sinh", np.sinh)
cosh = _floating("cosh", np.cosh)


@keras_op
def round(x, decimals=0):
    """Round half to even to ``decimals`` places; same dtype as x."""
    return np.asarray(np.round(_t(x), decimals=decimals))


@keras_op
def isnan(x):
    return np.asarray(np.isnan(_t(x)))


@keras_op
def isinf(x):
    return np.asarray(np.isinf(_t(x)))


@keras_op
def isfinite(x):
    return np.asarray(np.isfinite(_t(x)))


@keras_op
def logical_not(x):
    return np.asarray(np.logical_not(_t(x)))


# ---- elementwise, two inputs under Keras type promotion --------------------------------------------

def _promoted(x1, x2, *extra):
    dtype = result_type(dtype_of(x1), dtype_of(x2), *extra)
    return np.asarray(x1, dtype=dtype), np.asarray(x2, dtype=dtype)


def _binary(name, np_fn, *extra, arithmetic=False):
    def f(x1, x2):
        a, b = _promoted(x1, x2, *extra)
        if arithmetic and a.dtype == np.bool_:  # Keras computes bool // bool (and %, **) in int32
            a, b = a.astype("int32"), b.astype("int32")
        return np.asarray(np_fn(a, b))
    return keras_op(f, name=name, doc=f"Keras `ops.{name}`: numpy `{np_fn.__name__}` after Keras type promotion.")


def _logical(name, np_fn):
    def f(x1, x2):
        return np.asarray(np_fn(_t(x1), _t(x2)))
    return keras_op(f, name=name, doc=f"Keras `ops.{name}`: boolean result.")


add = _binary("add", np.add)
subtract = _binary("subtract", np.subtract)
multiply = _binary("multiply", np.multiply)
divide = _binary("divide", np.true_divide, float)
true_divide = _binary("true_divide", np.true_divide, float)
floor_divide = _binary("floor_divide", np.floor_divide, arithmetic=True)
mod = _binary("mod", np.mod, arithmetic=True)
power = _binary("power", np.power, arithmetic=True)
maximum = _binary("maximum", np.maximum)
minimum = _binary("minimum", np.minimum)
arctan2 = _binary("arctan2", np.arctan2, float)
equal = _binary("equal", np.equal)
not_equal = _binary("not_equal", np.not_equal)
greater = _binary("greater", np.greater)
greater_equal = _binary("greater_equal", np.greater_equal)
less = _binary("less", np.less)
less_equal = _binary("less_equal", np.less_equal)
logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


@keras_op
def clip(x, x_min, x_max):
    """Clip x to [x_min, x_max]; bools count as int32, and a float bound makes an int x float."""
    x = _t(x)
    if x.dtype == np.bool_:
        x = x.astype("int32")
    bounds = [b for b in (x_min, x_max) if b is not None]
    dtype = result_type(x.dtype, *(dtype_of(b) for b in bounds))
    return np.asarray(np.clip(x.astype(dtype, copy=False), x_min, x_max), dtype=dtype)


@keras_op
def where(condition, x1=None, x2=None):
    """Elements of x1 where condition holds, else of x2 (promoted); with condition alone, the
    int32 indices of its true elements, one array per axis."""
    condition = np.asarray(condition, dtype=bool) if not isinstance(condition, np.ndarray) else condition
    if x1 is None and x2 is None:
        return tuple(i.astype("int32") for i in np.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError("x1 and x2 must both be given, or both be None")
    a, b = _promoted(x1, x2)
    return np.asarray(np.where(condition, a, b))


# ---- reductions ----------------------------------------------------------------------------------

@keras_op
def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (int, tuple or None for all); bool / int8 / int16 sum to int32, uint8 / uint16
    to uint32."""
    x = _t(x)
    out = _SMALL_INT_SUM.get(x.dtype.name, x.dtype.name)
    return np.asarray(np.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=_compute_dtype(out)), dtype=out)


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x)
    out = standardize_dtype(dtype) if dtype is not None else _SMALL_INT_SUM.get(x.dtype.name, x.dtype.name)
    return np.asarray(np.prod(x, axis=_axis(axis), keepdims=keepdims, dtype=_compute_dtype(out)), dtype=out)


@keras_op
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``; ints and bools give floatx()."""
    x = _t(x)
    out = float_result(x.dtype)
    return np.asarray(np.mean(x, axis=_axis(axis), keepdims=keepdims, dtype=_compute_dtype(out)), dtype=out)


def _extreme(np_fn):
    def f(x, axis=None, keepdims=False, initial=None):
        x = _t(x)
        kwargs = {} if initial is None else {"initial": initial}
        return np.asarray(np_fn(x, axis=_axis(axis), keepdims=keepdims, **kwargs), dtype=x.dtype)
    f.__name__ = np_fn.__name__
    f.__doc__ = f"Keras `ops.{np_fn.__name__}` over ``axis``; same dtype as x."
    return f


max = keras_op(_extreme(np.max), name="max")
min = keras_op(_extreme(np.min), name="min")
amax = keras_op(_extreme(np.max), name="amax")
amin = keras_op(_extreme(np.min), name="amin")


def _statistic(name, np_fn):
    def f(x, axis=None, keepdims=False):
        x = _t(x)
        out = float_result(x.dtype)
        return np.asarray(np_fn(x.astype(_compute_dtype(out), copy=False), axis=_axis(axis),
                                keepdims=keepdims), dtype=out)
    return keras_op(f, name=name, doc=f"Keras `ops.{name}` over ``axis``; ints and bools give floatx().")


std = _statistic("std", np.std)
var = _statistic("var", np.var)


@keras_op
def any(x, axis=None, keepdims=False):
    return np.asarray(np.any(_t(x), axis=_axis(axis), keepdims=keepdims))


@keras_op
def all(x, axis=None, keepdims=False):
    return np.asarray(np.all(_t(x), axis=_axis(axis), keepdims=keepdims))


@keras_op
def count_nonzero(x, axis=None):
    return np.asarray(np.count_nonzero(_t(x), axis=_axis(axis)), dtype="int32")


def _arg_extreme(np_fn):
    def f(x, axis=None, keepdims=False):
        x = _t(x)
        if x.dtype.kind == "f" and x.ndim:
            # Keras ranks -0.0 below +0.0.
            x = np.where((x == 0) & np.signbit(x), -np.finfo(x.dtype).tiny, x)
        return np.asarray(np_fn(x, axis=axis, keepdims=keepdims), dtype="int32")
    f.__name__ = np_fn.__name__
    f.__doc__ = f"Keras `ops.{np_fn.__name__}`: int32 index over ``axis`` (None: the flattened array)."
    return keras_op(f)


argmax = _arg_extreme(np.argmax)
argmin = _arg_extreme(np.argmin)


@keras_op
def cumsum(x, axis=None, dtype=None):
    x = _t(x)
    out = standardize_dtype(dtype) if dtype is not None else ("int32" if x.dtype == np.bool_ else x.dtype.name)
    return np.asarray(np.cumsum(x, axis=axis, dtype=_compute_dtype(out)), dtype=out)


@keras_op
def cumprod(x, axis=None, dtype=None):
    x = _t(x)
    out = standardize_dtype(dtype) if dtype is not None else ("int32" if x.dtype == np.bool_ else x.dtype.name)
    return np.asarray(np.cumprod(x, axis=axis, dtype=_compute_dtype(out)), dtype=out)


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm as numpy.linalg.norm; ints and bools give floatx()."""
    x = _t(x)
    out = float_result(x.dtype)
    return np.asarray(np.linalg.norm(x.astype(_compute_dtype(out), copy=False), ord=ord, axis=_axis(axis),
                                     keepdims=keepdims), dtype=out)


# ---- products ------------------------------------------------------------------------------------

def _check_inner(name, a, b, b_axis):
    if a.ndim == 0 or b.ndim == 0:
        if name == "matmul":
            raise ValueError(f"inputs must be at least 1-D, got shapes {a.shape} and {b.shape}")
        return
    if a.shape[-1] != b.shape[b_axis]:
        raise ValueError(f"incompatible shapes {a.shape} and {b.shape}: the last axis of x1 ({a.shape[-1]}) "
                         f"must equal axis {b_axis} of x2 ({b.shape[b_axis]})")


def _product_dtype(*arrays):
    names = {a.dtype.name for a in arrays}
    return "int32" if names == {"int8"} else result_type(*names)  # matmul / einsum: int8 accumulates in int32


@keras_op
def matmul(x1, x2):
    """Matrix product with numpy.matmul broadcasting; int8 x int8 gives int32."""
    a, b = _t(x1), _t(x2)
    _check_inner("matmul", a, b, -2 if b.ndim > 1 else 0)
    dtype = _product_dtype(a, b)
    return np.asarray(np.matmul(a.astype(dtype, copy=False), b.astype(dtype, copy=False)))


@keras_op
def dot(x1, x2):
    """numpy.dot: for N-D inputs the sum product over the last axis of x1 and the second-to-last of x2."""
    a, b = _t(x1), _t(x2)
    _check_inner("dot", a, b, -2 if b.ndim > 1 else 0)
    dtype = result_type(a.dtype.name, b.dtype.name)  # int8 . int8 stays int8, unlike matmul
    return np.asarray(np.dot(a.astype(dtype, copy=False), b.astype(dtype, copy=False)))


@keras_op
def tensordot(x1, x2, axes=2):
    a, b = _t(x1), _t(x2)
    dtype = result_type(a.dtype.name, b.dtype.name)  # int8 stays int8, as dot
    return np.asarray(np.tensordot(a.astype(dtype, copy=False), b.astype(dtype, copy=False), axes=axes))


@keras_op
def outer(x1, x2):
    a, b = _promoted(x1, x2)
    return np.outer(a, b)


@keras_op
def einsum(subscripts, *operands, **kwargs):
    """numpy.einsum under Keras type promotion (all-int8 operands give int32)."""
    arrays = [_t(o) for o in operands]
    dtype = _product_dtype(*arrays)
    return np.asarray(np.einsum(subscripts, *(a.astype(dtype, copy=False) for a in arrays), **kwargs), dtype=dtype)


# ---- shapes and copies ---------------------------------------------------------------------------

@keras_op
def transpose(x, axes=None):
    return np.transpose(_t(x), axes=axes)


@keras_op
def reshape(x, newshape):
    """Reshape to ``newshape`` (one entry may be -1)."""
    return np.reshape(_t(x), newshape)


@keras_op
def ravel(x):
    return np.ravel(_t(x))


@keras_op
def expand_dims(x, axis):
    return np.expand_dims(_t(x), _axis(axis))


@keras_op
def squeeze(x, axis=None):
    """Remove axes of length 1 (all of them, or ``axis``, which must have length 1)."""
    return np.squeeze(_t(x), axis=_axis(axis))


def _same_type(xs, what):
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"expected a list or tuple of arrays for {what}, got {type(xs).__name__}")
    arrays = [_t(x) for x in xs]
    if not arrays:
        raise ValueError(f"need at least one array for {what}")
    dtype = result_type(*{a.dtype.name for a in arrays})
    return [a.astype(dtype, copy=False) for a in arrays]


@keras_op
def concatenate(xs, axis=0):
    """Join arrays along an existing axis (dtypes promoted)."""
    return np.concatenate(_same_type(xs, "xs"), axis=axis)


@keras_op
def stack(x, axis=0):
    """Join arrays along a new axis (dtypes promoted)."""
    return np.stack(_same_type(x, "x"), axis=axis)


@keras_op
def split(x, indices_or_sections, axis=0):
    """A list of sub-arrays: ``indices_or_sections`` equal parts, or cut at the given indices."""
    return np.split(_t(x), indices_or_sections, axis=axis)


@keras_op
def tile(x, repeats):
    return np.tile(_t(x), repeats)


@keras_op
def repeat(x, repeats, axis=None):
    return np.repeat(_t(x), repeats, axis=axis)


@keras_op
def flip(x, axis=None):
    return np.flip(_t(x), axis=_axis(axis))


@keras_op
def roll(x, shift, axis=None):
    return np.roll(_t(x), shift, axis=_axis(axis))


@keras_op
def moveaxis(x, source, destination):
    return np.moveaxis(_t(x), source, destination)


@keras_op
def swapaxes(x, axis1, axis2):
    return np.swapaxes(_t(x), axis1, axis2)


@keras_op
def broadcast_to(x, shape):
    return np.broadcast_to(_t(x), shape).copy()  # a writable array, as Keras returns a new tensor


_PAD_MODES = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum", "reflect",
              "symmetric", "wrap", "empty")


@keras_op
def pad(x, pad_width, mode="constant", constant_values=None):
    """numpy.pad; ``constant_values`` only with mode 'constant'."""
    if mode not in _PAD_MODES:
        raise ValueError(f"mode must be one of {_PAD_MODES}, got {mode!r}")
    x = _t(x)
    if constant_values is not None:
        if mode != "constant":
            raise ValueError(f"constant_values may only be given with mode='constant', got mode={mode!r}")
        return np.pad(x, pad_width, mode=mode, constant_values=constant_values)
    return np.pad(x, pad_width, mode=mode)


@keras_op
def sort(x, axis=-1):
    return np.sort(_t(x), axis=axis, kind="stable")


@keras_op
def argsort(x, axis=-1):
    """int32 indices that sort x along ``axis`` (stable: ties keep their order)."""
    return np.argsort(_t(x), axis=axis, kind="stable").astype("int32")


@keras_op
def take(x, indices, axis=None):
    """Elements of x at ``indices`` along ``axis`` (None: of the flattened x). Negative indices count
    from the end; an index out of range raises IndexError (JAX would fill with NaN)."""
    indices = np.asarray(indices)
    if indices.dtype.kind not in "iub":
        raise TypeError(f"indices must be integers, got dtype {indices.dtype}")
    return np.take(_t(x), indices, axis=axis)


@keras_op
def take_along_axis(x, indices, axis=None):
    return np.take_along_axis(_t(x), np.asarray(indices), axis=axis)


@keras_op
def tril(x, k=0):
    return np.tril(_t(x), k=k)


@keras_op
def triu(x, k=0):
    return np.triu(_t(x), k=k)


# ---- creation ------------------------------------------------------------------------------------

@keras_op
def zeros(shape, dtype=None):
    """Zeros of ``shape``; floatx() unless ``dtype`` is given."""
    return np.zeros(shape, dtype=standardize_dtype(dtype))


@keras_op
def ones(shape, dtype=None):
    return np.ones(shape, dtype=standardize_dtype(dtype))


@keras_op
def full(shape, fill_value, dtype=None):
    """``shape`` filled with ``fill_value``; floatx() unless ``dtype`` is given (as Keras, even for an
    int fill value)."""
    return np.full(shape, fill_value, dtype=standardize_dtype(dtype))


@keras_op
def zeros_like(x, dtype=None):
    x = _t(x)
    return np.zeros_like(x, dtype=x.dtype if dtype is None else standardize_dtype(dtype))


@keras_op
def ones_like(x, dtype=None):
    x = _t(x)
    return np.ones_like(x, dtype=x.dtype if dtype is None else standardize_dtype(dtype))


@keras_op
def full_like(x, fill_value, dtype=None):
    x = _t(x)
    return np.full_like(x, fill_value, dtype=x.dtype if dtype is None else standardize_dtype(dtype))


@keras_op
def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M=M, k=k, dtype=standardize_dtype(dtype))


@keras_op
def identity(n, dtype=None):
    return np.identity(n, dtype=standardize_dtype(dtype))


@keras_op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop): int32 for int arguments, floatx() if any is a float."""
    if dtype is None:
        dtype = result_type(*(dtype_of(v) for v in (start, stop, step) if v is not None))
    else:
        dtype = standardize_dtype(dtype)
    if stop is None:
        start, stop = 0, start
    return np.arange(start, stop, 1 if step is None else step, dtype=dtype)


@keras_op
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    dtype = result_type(dtype_of(start), dtype_of(stop), float) if dtype is None else standardize_dtype(dtype)
    out = np.linspace(start, stop, num=num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis)
    if retstep:
        return out[0], np.asarray(out[1], dtype=dtype)
    return out


@keras_op
def size(x):
    return int(np.size(_t(x)))

