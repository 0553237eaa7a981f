"""keras.regularizers on numpy: L1, L2, L1L2, OrthogonalRegularizer, get / serialize / deserialize.

Layers accept them (`kernel_regularizer=L2(1e-4)`, `"l2"`, a config dict) and write them into get_config
as Keras does. nnkern does not train, so a regularizer has no effect on a layer's outputs; calling one on
an array gives Keras's penalty value."""
import math

import numpy as np

from nnkern.engine.identifiers import FromConfig as _FromConfig
from nnkern.engine.identifiers import deserialize_object as _deserialize_object
from nnkern.engine.identifiers import get_object as _get_object
from nnkern.engine.identifiers import serialize_object as _serialize_object
from nnkern.engine.naming import to_snake_case

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]


def validate_float_arg(value, name):
    """Keras's check of a penalty factor: a finite non-negative number, returned as float."""
    if not isinstance(value, (float, int)) or isinstance(value, bool) or math.isinf(value) or math.isnan(value) \
            or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float.Received: {name}={value}")
    return float(value)


class Regularizer(_FromConfig):
    """Base class: `__call__(x)` returns the penalty for weight x (a scalar)."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x**2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = np.asarray(x)
        return x.dtype.type(self.l1 * np.sum(np.abs(x)) + self.l2 * np.sum(np.square(x)))

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        # Keras holds the factor as a float32 tensor: its config gives float32's value (0.3 -> 0.30000001...).
        self.l1 = float(np.float32(validate_float_arg(0.01 if l1 is None else l1, name="l1")))

    def __call__(self, x):
        x = np.asarray(x)
        return x.dtype.type(self.l1 * np.sum(np.abs(x)))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """l2 * sum(x**2)."""

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = np.asarray(x)
        return x.dtype.type(self.l2 * np.sum(np.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |cosine| between distinct rows (mode='rows') or columns of a rank-2 weight."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = float(np.float32(validate_float_arg(factor, name="factor")))  # as L1's factor
        if mode not in {"rows", "columns"}:
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                             f"Received: mode={mode}")
        self.mode = mode

    def __call__(self, inputs):
        x = np.asarray(inputs)
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}")
        x = x if self.mode == "rows" else x.T
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        product = x @ x.T
        size = x.shape[0]
        off_diagonal = product * (1.0 - np.eye(size, dtype=x.dtype))
        return x.dtype.type(self.factor * 0.5 * np.sum(np.abs(off_diagonal)) / (size * (size - 1.0) / 2.0))

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_ALL = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
_BY_NAME = {cls.__name__: cls for cls in _ALL}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _ALL})


def serialize(regularizer):
    return _serialize_object(regularizer, Regularizer, _ALL, "keras.regularizers")


def deserialize(config, custom_objects=None):
    """A regularizer from serialize()'s dict (Keras 2's {'class_name', 'config'} too) or a name."""
    if isinstance(config, dict) and "class_name" not in config and config.get("name") == "L1L2Regularizer":
        return L1L2(l1=config.get("l1", 0.0), l2=config.get("l2", 0.0))  # Keras 1's W_regularizer entry
    return _deserialize_object(config, "regularizer", _BY_NAME, get, custom_objects)


def get(identifier):
    """A regularizer for `identifier`: None, a name ('l2'), a config dict, a class or any callable."""
    return _get_object(identifier, "regularizer", _BY_NAME, deserialize)
