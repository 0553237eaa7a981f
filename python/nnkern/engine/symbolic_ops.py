"""Python operators on KerasTensors (`x * 2`, `a + b`, `x[:, 0]`) inside a functional graph.

As in Keras 3, each records an operation node (class Add, Multiply, GetItem, ...) that appears in the
model's operations and summary but not in `model.layers`; it has no weights."""
import operator

import numpy as np

from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer

_FUNCTIONS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "matmul": np.matmul, "power": np.power, "negative": np.negative, "absolute": np.abs,
    "getitem": operator.getitem,
}


class Operation(Layer):
    """A stateless function node made by an operator on KerasTensors (excluded from `model.layers`)."""
    _is_operation = True
    _keras_module = "keras.src.ops.numpy"

    def __init__(self, fn, constants, name=None, options=None):
        super().__init__(name=name)
        self.fn = fn
        self.constants = constants  # (position, value) of non-tensor operands
        self.options = dict(options or {})  # keyword arguments of fn, also the op's config (axis=...)
        self.built = True

    def call(self, *tensors):
        operands = list(tensors)
        for pos, value in self.constants:
            operands.insert(pos, value)
        out = self.fn(*operands, **self.options)
        if isinstance(out, np.ndarray) and out.dtype == np.float64:
            out = out.astype(np.float32)
        return out

    def get_config(self):
        return {"name": self.name, **self.options}


def _op_class(fn_name):
    name = {"getitem": "GetItem", "matmul": "Matmul"}.get(fn_name, fn_name.capitalize())
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(name, (Operation,), {})
    return cls


_CLASSES = {}


class NotEqual(Operation):
    """keras.ops.not_equal as a graph node: the compared value is a call argument, as Keras records it."""

    def __init__(self, name=None, **kwargs):
        super().__init__(np.not_equal, [], name=name)

    def call(self, x1, x2):
        return np.not_equal(x1, x2)

    def get_config(self):
        return {"name": self.name}


class Any(Operation):
    """keras.ops.any(x, axis, keepdims) as a graph node."""

    def __init__(self, axis=None, keepdims=False, name=None, **kwargs):
        super().__init__(np.any, [], name=name, options={"axis": axis, "keepdims": keepdims})


# Ops a Keras config may name (module keras.src.ops.numpy), by class name.
OPERATIONS = {"NotEqual": NotEqual, "Any": Any}


def not_equal(x, value):
    """keras.ops.not_equal(x, value) on a KerasTensor (how Keras's Masking / Embedding masks are built)."""
    return NotEqual()(x, value)


def any(x, axis=None, keepdims=False):  # noqa: A001  (keras.ops.any)
    return Any(axis=axis, keepdims=keepdims)(x)


def apply_operator(fn_name, x, *others, reverse=False):
    operands = [x, *others]
    if reverse:
        operands = operands[::-1]
    tensors = [o for o in operands if isinstance(o, KerasTensor)]
    constants = [(i, o) for i, o in enumerate(operands) if not isinstance(o, KerasTensor)]
    op = _op_class(fn_name)(_FUNCTIONS[fn_name], constants)
    return op(*tensors)
