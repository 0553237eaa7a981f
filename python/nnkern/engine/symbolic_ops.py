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

    def __init__(self, fn, constants, name=None):
        super().__init__(name=name)
        self.fn = fn
        self.constants = constants  # (position, value) of non-tensor operands
        self.built = True

    def call(self, *tensors):
        operands = list(tensors)
        for pos, value in self.constants:
            operands.insert(pos, value)
        out = self.fn(*operands)
        if isinstance(out, np.ndarray) and out.dtype == np.float64:
            out = out.astype(np.float32)
        return out

    def get_config(self):
        return {"name": self.name}


def _op_class(fn_name):
    name = {"getitem": "GetItem", "matmul": "Matmul"}.get(fn_name, fn_name.capitalize())
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(name, (Operation,), {})
    return cls


_CLASSES = {}


def apply_operator(fn_name, x, *others, reverse=False):
    operands = [x, *others]
    if reverse:
        operands = operands[::-1]
    tensors = [o for o in operands if isinstance(o, KerasTensor)]
    constants = [(i, o) for i, o in enumerate(operands) if not isinstance(o, KerasTensor)]
    op = _op_class(fn_name)(_FUNCTIONS[fn_name], constants)
    return op(*tensors)
