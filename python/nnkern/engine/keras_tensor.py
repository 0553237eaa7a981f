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

    # Operators and ops on symbolic tensors record op nodes, as Keras records them (engine.symbolic_ops).
    @staticmethod
    def __nnkern_op__(public_name, op, args, kwargs):
        """nnkern.ops' protocol for symbolic tensors (ops._wrap.SYMBOLIC_OP_METHOD)."""
        from nnkern.engine.symbolic_ops import record
        return record(public_name, op, args, kwargs)

    def _op(self, class_name, *operands, **config):
        from nnkern.engine.symbolic_ops import apply_operator
        return apply_operator(class_name, *operands, **config)

    def __add__(self, o): return self._op("Add", self, o)
    def __radd__(self, o): return self._op("Add", o, self)
    def __sub__(self, o): return self._op("Subtract", self, o)
    def __rsub__(self, o): return self._op("Subtract", o, self)
    def __mul__(self, o): return self._op("Multiply", self, o)
    def __rmul__(self, o): return self._op("Multiply", o, self)
    def __matmul__(self, o): return self._op("Matmul", self, o)
    def __rmatmul__(self, o): return self._op("Matmul", o, self)
    def __truediv__(self, o): return self._op("TrueDivide", self, o)
    def __rtruediv__(self, o): return self._op("TrueDivide", o, self)
    def __floordiv__(self, o): return self._op("FloorDivide", self, o)
    def __rfloordiv__(self, o): return self._op("FloorDivide", o, self)
    def __mod__(self, o): return self._op("Mod", self, o)
    def __rmod__(self, o): return self._op("Mod", o, self)
    def __pow__(self, o): return self._op("Power", self, o)
    def __rpow__(self, o): return self._op("Power", o, self)
    def __lt__(self, o): return self._op("Less", self, o)
    def __le__(self, o): return self._op("LessEqual", self, o)
    def __gt__(self, o): return self._op("Greater", self, o)
    def __ge__(self, o): return self._op("GreaterEqual", self, o)
    def __ne__(self, o): return self._op("NotEqual", self, o)
    def __and__(self, o): return self._op("LogicalAnd", self, o)
    def __rand__(self, o): return self._op("LogicalAnd", o, self)
    def __or__(self, o): return self._op("LogicalOr", self, o)
    def __ror__(self, o): return self._op("LogicalOr", o, self)
    def __xor__(self, o): return self._op("LogicalXor", self, o)
    def __rxor__(self, o): return self._op("LogicalXor", o, self)
    def __invert__(self): return self._op("LogicalNot", self)
    def __neg__(self): return self._op("Negative", self)
    def __abs__(self): return self._op("Absolute", self)
    def __round__(self, ndigits=None): return self._op("Round", self, decimals=ndigits or 0)
    def __getitem__(self, key): return self._op("GetItem", self, key)
    __hash__ = object.__hash__  # __ne__ is an op; == stays identity (Keras defines no __eq__)
    __array_ufunc__ = None  # `array + x` calls x.__radd__ (an op node) instead of converting x

    def reshape(self, newshape):
        return self._op("Reshape", self, newshape=newshape)

    def squeeze(self, axis=None):
        return self._op("Squeeze", self, axis=axis)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def any_symbolic(args, kwargs=None):
    for x in tree.flatten((args, kwargs or {})):
        if isinstance(x, KerasTensor):
            return True
    return False


def get_mask(x):
    return getattr(x, "_keras_mask", None) if isinstance(x, KerasTensor) else None
