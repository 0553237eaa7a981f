"""``keras.ops.numpy`` names (the same functions as ``nnkern.ops``)."""
from nnkern.ops import _numpy as _impl
from nnkern.ops._nn import tanh  # noqa: F401  (keras.ops.numpy.tanh)

globals().update({name: f for name, f in vars(_impl).items()
                  if not name.startswith("_") and callable(f) and getattr(f, "__module__", "") == _impl.__name__
                  and name != "norm"})  # norm is keras.ops.linalg's
