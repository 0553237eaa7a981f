"""Layer weights: a named float32 (or other dtype) numpy buffer that keeps its identity when assigned,
so compiled prediction plans that hold the buffer always see the current values."""
import contextlib
import contextvars

import numpy as np

from nnkern.engine.dtypes import numpy_dtype, standardize_dtype

# Weight buffers start on a cache line (one AVX-512 register): the kernels run up to ~15 % faster on aligned
# weights (measured: LSTM W8/W10 87 vs 104 µs), and numpy only guarantees 16 bytes.
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array whose data (if any) starts on an ALIGNMENT-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if dtype.hasobject or nbytes == 0:
        return np.empty(shape, dtype=dtype)
    buf = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -buf.ctypes.data % ALIGNMENT
    return buf[start:start + nbytes].view(dtype).reshape(shape)


def aligned_copy(value, dtype):
    """A C-contiguous copy of `value` as `dtype` whose data (if any) starts on an ALIGNMENT-byte boundary."""
    value = np.asarray(value, dtype=dtype)
    if dtype.hasobject or value.size == 0:
        return np.array(value, copy=True, order="C")
    out = aligned_empty(value.shape, dtype)
    out[...] = value
    return out


# How many assign()/fill() calls any variable has had: values derived from weights (BatchNormalization folded
# into a convolution's weights by the prediction plan) are recomputed when it changes.
_assignments = [0]


def assignment_count():
    """A number that changes whenever a variable is assigned (writes into a `value` buffer are not counted)."""
    return _assignments[0]


class Variable:
    """What `Layer.add_weight` returns. Behaves like its array in numpy code (`x @ layer.kernel`,
    `np.asarray(layer.kernel)`), and has Keras's `.numpy()`, `.assign()`, `.shape`, `.name`, `.trainable`.

    A variable made by `deferred_variable` while loading a file holds an uninitialised buffer and its
    initializer, run on the first read unless a value is assigned before (loaders assign every weight)."""

    __array_priority__ = 100  # `ndarray op Variable` defers to Variable's reflected operators

    def __init__(self, value, name="variable", trainable=True, dtype=None, path=None):
        dtype = numpy_dtype(dtype if dtype is not None else getattr(value, "dtype", "float32"))
        self._buffer = aligned_copy(value, dtype)
        self._initial_value = None  # a function returning the value, while the buffer is uninitialised
        self.name = name
        self.path = path or name
        self.trainable = bool(trainable)
        self.regularizer = None
        self.constraint = None

    @property
    def _value(self):
        if self._initial_value is not None:
            self._initialize()
        return self._buffer

    def _initialize(self):
        value = np.asarray(self._initial_value())
        if value.shape != self._buffer.shape:
            raise ValueError(f"Variable '{self.path}' has shape {self._buffer.shape}; its initializer returned "
                             f"shape {value.shape}")
        self._buffer[...] = value
        self._initial_value = None

    @property
    def initialized(self):
        """False while the buffer is uninitialised (deferred initialisation, nothing assigned or read yet)."""
        return self._initial_value is None

    @property
    def value(self):
        """The live numpy buffer (not a copy), which assign() updates in place: layers keep it for their
        kernel calls. Not a read: a variable made while loading (deferred_variable) may hold no value yet here
        until the loader assigns it. Writing into it directly bypasses assignment_count()."""
        return self._buffer

    @property
    def shape(self):
        return self._buffer.shape

    @property
    def dtype(self):
        return standardize_dtype(self._buffer.dtype)

    @property
    def ndim(self):
        return self._buffer.ndim

    @property
    def size(self):
        return self._buffer.size

    def numpy(self):
        """A copy of the current value."""
        return self._value.copy()

    def assign(self, value):
        value = np.asarray(value)
        if value.shape != self._buffer.shape:
            raise ValueError(f"Variable '{self.path}' has shape {self._buffer.shape}; cannot assign a value "
                             f"of shape {value.shape}")
        self._buffer[...] = value
        self._initial_value = None
        _assignments[0] += 1
        return self

    def fill(self, write):
        """Set the value by `write(buffer)` writing it into the live buffer in place (a loader reading a file
        straight into an uninitialised variable, with no temporary array)."""
        write(self._buffer)
        self._initial_value = None
        _assignments[0] += 1
        return self

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._value.dtype:
            return self._value.astype(dtype)
        return self._value.copy() if copy else self._value

    def __len__(self):
        return len(self._value)

    def __getitem__(self, key):
        return self._value[key]

    def __iter__(self):
        return iter(self._value)

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self._value}>"


def _binary(name):
    op = getattr(np.ndarray, name)

    def f(self, other):
        return op(self._value, other._value if isinstance(other, Variable) else other)
    f.__name__ = name
    return f


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(Variable, _name, _binary(_name))
Variable.__neg__ = lambda self: -self._value
Variable.__abs__ = lambda self: abs(self._value)
Variable.__hash__ = object.__hash__
Variable.T = property(lambda self: self._value.T)


# While a model file is loaded, layers may create only as many weight elements as the file holds, so a
# config asking for absurd sizes fails before allocating anything (see nnkern.saving).
_weight_budget = contextvars.ContextVar("nnkern_weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(elements, make_error):
    """Within the block, creating weights beyond `elements` in total raises make_error(what, shape)."""
    token = _weight_budget.set([int(elements), make_error])
    try:
        yield
    finally:
        _weight_budget.reset(token)


def charge_weight_budget(shape, what):
    budget = _weight_budget.get()
    if budget is None:
        return
    budget[0] -= int(np.prod(shape, dtype=np.float64))
    if budget[0] < 0:
        raise budget[1](what, shape)


# While a model file is loaded, weights are not initialised: the file overwrites them (see nnkern.saving).
_deferring = contextvars.ContextVar("nnkern_deferred_initialization", default=False)


@contextlib.contextmanager
def deferred_initialization():
    """Within the block, `deferred_variable` makes variables whose initializer runs only when they are first
    read (numpy(), indexing, arithmetic, np.asarray) before a value is assigned. Loaders use it: every weight
    then comes from the file, and initialising them first (orthogonal recurrent kernels, large embeddings)
    would cost more than reading the file. (The raw `value` buffer is not a read: layers keep it for their
    kernel calls, and a loader assigns every weight of the model before it returns.)"""
    token = _deferring.set(True)
    try:
        yield
    finally:
        _deferring.reset(token)


def deferred_variable(initial_value, shape, dtype, **kwargs):
    """A Variable of `shape` and `dtype` holding initial_value() - computed at once, or inside
    `deferred_initialization()` only when first read before anything is assigned. kwargs: Variable's name,
    trainable, path."""
    if not _deferring.get():
        return Variable(initial_value(), dtype=dtype, **kwargs)
    variable = Variable(np.empty((0,), numpy_dtype(dtype)), dtype=dtype, **kwargs)
    variable._buffer = aligned_empty(shape, numpy_dtype(dtype))
    variable._initial_value = initial_value
    return variable
