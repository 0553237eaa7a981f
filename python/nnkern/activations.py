"""Keras 3 activations on numpy arrays (float32), computed by the compiled kernels.

``get(identifier)`` resolves what a layer's ``activation=`` argument may be: None, a Keras name, or
any callable. Built-in activations carry ``__name__`` equal to their Keras name, which is how the
layers recognise one they can fuse into a kernel's output pass (see ``fused_name``). The functions
themselves are ``nnkern.activation_kernels``', which ``nnkern.ops`` builds on too (ops never import
this module).
"""
from nnkern.activation_kernels import (linear, relu, sigmoid, tanh, softmax, log_softmax, softplus, softsign, elu,
                                       selu, gelu, silu, swish, hard_sigmoid, hard_silu, hard_swish, exponential,
                                       leaky_relu, relu6, mish, celu, glu, hard_shrink, hard_tanh, log_sigmoid,
                                       soft_shrink, sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink,
                                       threshold)

import numpy as np

__all__ = ["get", "serialize", "deserialize", "fused_name", "KERAS2_ACTIVATIONS", "keras2_hard_sigmoid",
           "linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign", "elu",
           "selu", "gelu", "silu", "swish", "hard_sigmoid", "hard_silu", "hard_swish", "exponential",
           "leaky_relu", "relu6", "mish", "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink",
           "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold"]



def keras2_hard_sigmoid(x):
    """tf-keras (Keras 2)'s hard_sigmoid, clip(0.2 x + 0.5, 0, 1); Keras 3's `hard_sigmoid` is relu6(x + 3) / 6.
    What "hard_sigmoid" means in a Keras 2 file; saved under its own name, which Keras 3 refuses as unknown
    rather than computing its own hard_sigmoid."""
    x = np.asarray(x, dtype=np.float32)
    return np.clip(x * np.float32(0.2) + np.float32(0.5), np.float32(0), np.float32(1))


# Activation names whose Keras 2 formula differs from Keras 3's -> the name of nnkern's Keras 2 function. tf-keras
# 2.21's other activations (elu, selu, gelu (exact by default in both), softplus, softsign, swish, relu, sigmoid,
# tanh, exponential, linear, mish, softmax) compute what Keras 3's of the same name do.
KERAS2_ACTIVATIONS = {"hard_sigmoid": "keras2_hard_sigmoid"}

_BY_NAME = {f.__name__: f for f in (keras2_hard_sigmoid, linear, relu, sigmoid, tanh, softmax, log_softmax, softplus, softsign, elu,
                                   selu, gelu, silu, hard_sigmoid, hard_silu, exponential, leaky_relu, relu6,
                                   mish, celu, glu, hard_shrink, hard_tanh, log_sigmoid, soft_shrink, sparse_plus,
                                   sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold)}
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
# The activations _core's kernels compute (and can fuse into a Dense/Conv output pass).
_KERNEL_NAMES = frozenset(["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
                           "elu", "selu", "gelu", "silu", "hard_sigmoid", "hard_silu", "exponential", "leaky_relu",
                           "relu6", "mish"])


def get(identifier):
    """None -> linear; a Keras name -> that activation; a callable -> itself. Otherwise ValueError."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        name = _ALIASES.get(identifier, identifier)
        if name not in _BY_NAME:
            raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                             f"Known: {', '.join(sorted(set(_BY_NAME) | set(_ALIASES)))}")
        return _BY_NAME[name]
    if isinstance(identifier, dict) and "config" in identifier:  # serialized form
        return get(identifier["config"])
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The Keras name of a built-in activation, or the callable's __name__."""
    return getattr(activation, "__name__", str(activation))


def deserialize(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)


def fused_name(activation):
    """The kernel name of a built-in activation with default arguments, else None (apply it after)."""
    name = getattr(activation, "__name__", None)
    return name if name in _KERNEL_NAMES and _BY_NAME.get(name) is activation else None
