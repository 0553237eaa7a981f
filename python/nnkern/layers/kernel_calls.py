"""Calling a compiled kernel from a layer: errors name the layer; an activation the kernel could not fuse
is applied after it."""
import numpy as np


def run_kernel(layer, fn, *args, **kwargs):
    """Call a compiled kernel, naming the layer in any ValueError it raises."""
    try:
        return fn(*args, **kwargs)
    except ValueError as e:
        raise ValueError(f"{layer.__class__.__name__} layer '{layer.name}': {e}") from None


def apply_unfused_activation(activation, fused, y):
    """The activation the kernel could not apply (a user callable), as float32."""
    if fused is not None:
        return y
    y = activation(y)
    return y if getattr(y, "dtype", None) == np.float32 else np.asarray(y, dtype=np.float32)
