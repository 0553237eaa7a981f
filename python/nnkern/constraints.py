"""keras.constraints on numpy: MaxNorm, MinMaxNorm, NonNeg, UnitNorm, get / serialize / deserialize.

Layers accept them (`kernel_constraint=MaxNorm(3)`, `"non_neg"`, a config dict) and write them into
get_config as Keras does. A constraint acts only after a training step, so it has no effect in nnkern's
inference; calling one on an array gives Keras's projected weight."""
import numpy as np

from nnkern.engine.identifiers import FromConfig as _FromConfig
from nnkern.engine.identifiers import deserialize_object as _deserialize_object
from nnkern.engine.identifiers import get_object as _get_object
from nnkern.engine.identifiers import serialize_object as _serialize_object
from nnkern.engine.naming import to_snake_case

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm", "non_neg",
           "unit_norm", "get", "serialize", "deserialize"]


class Constraint(_FromConfig):
    """Base class: `__call__(w)` returns the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def epsilon():
    from nnkern.ops._settings import epsilon as keras_epsilon  # here: `import nnkern` leaves ops unloaded
    return keras_epsilon()


class MaxNorm(Constraint):
    """Rescale each slice along `axis` whose L2 norm exceeds max_value down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        return (w * (np.clip(norms, 0, self.max_value) / (epsilon() + norms))).astype(w.dtype)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """max(w, 0)."""

    def __call__(self, w):
        w = np.asarray(w)
        return np.maximum(w, 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Each slice along `axis` divided by its L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = np.asarray(w)
        return (w / (epsilon() + _norms(w, self.axis))).astype(w.dtype)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's L2 norm toward [min_value, max_value] by `rate`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return (w * (desired / (epsilon() + norms))).astype(w.dtype)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_ALL = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
_BY_NAME = {cls.__name__: cls for cls in _ALL}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _ALL})
_BY_NAME.update({"maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm})  # Keras 2's legacy aliases


def serialize(constraint):
    return _serialize_object(constraint, Constraint, _ALL, "keras.constraints")


def deserialize(config, custom_objects=None):
    """A constraint from serialize()'s dict (Keras 2's {'class_name', 'config'} too) or a name."""
    return _deserialize_object(config, "constraint", _BY_NAME, get, custom_objects)


def get(identifier):
    """A constraint for `identifier`: None, a name ('max_norm'), a config dict, a class or any callable."""
    return _get_object(identifier, "constraint", _BY_NAME, deserialize)
