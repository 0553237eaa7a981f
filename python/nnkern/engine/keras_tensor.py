"""Symbolic tensors: a shape (batch axis first, None where unknown), a dtype and the history of the
layer call that produced them. They hold no values."""
import collections

from nnkern.engine import tree
from nnkern.engine.dtypes import standardize_dtype
from nnkern.engine.naming import auto_name


class KerasHistory(collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])):
    """Which call (`operation._inbound_nodes[node_index]`) made a tensor, and which of its outputs it is."""
    __slots__ = ()


class KerasTensor:
    """A placeholder for an array of known shape and dtype inside a functional graph."""

    def __init__(self, shape, dtype="float32", sparse=False, name=None, record_history=True):
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.ragged = False
        self.name = name or auto_name("KerasTensor")
        self.record_history = record_history
        self._keras_mask = None

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    def __len__(self):
        raise TypeError("A KerasTensor has no length: it is a symbolic placeholder. Use `.shape` instead.")

    def __iter__(self):
        raise TypeError("A KerasTensor is symbolic and cannot be iterated over. If you called a layer that "
                        "returns several tensors, unpack its outputs list instead.")

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A KerasTensor is symbolic: it is a placeholder for a shape and a dtype and has no value. "
            "You cannot convert it to a NumPy array. Wrap numpy/ops code in a `Lambda` layer or a custom "
            "layer's `call()`.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    # Arithmetic on symbolic tensors records an op node (see engine.symbolic_ops).
    def _op(self, fn_name, *others, reverse=False):
        from nnkern.engine.symbolic_ops import apply_operator
        return apply_operator(fn_name, self, *others, reverse=reverse)

    def __add__(self, o): return self._op("add", o)
    def __radd__(self, o): return self._op("add", o, reverse=True)
    def __sub__(self, o): return self._op("subtract", o)
    def __rsub__(self, o): return self._op("subtract", o, reverse=True)
    def __mul__(self, o): return self._op("multiply", o)
    def __rmul__(self, o): return self._op("multiply", o, reverse=True)
    def __truediv__(self, o): return self._op("divide", o)
    def __rtruediv__(self, o): return self._op("divide", o, reverse=True)
    def __matmul__(self, o): return self._op("matmul", o)
    def __rmatmul__(self, o): return self._op("matmul", o, reverse=True)
    def __pow__(self, o): return self._op("power", o)
    def __neg__(self): return self._op("negative")
    def __abs__(self): return self._op("absolute")
    def __getitem__(self, key): return self._op("getitem", key)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def any_symbolic(args, kwargs=None):
    for x in tree.flatten((args, kwargs or {})):
        if isinstance(x, KerasTensor):
            return True
    return False


def get_mask(x):
    return getattr(x, "_keras_mask", None) if isinstance(x, KerasTensor) else None
