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


def padded_shape(shape, pads):
    """The (batch, h, w, channels) `shape` after zero padding ((top, bottom), (left, right)); `shape` itself
    when pads is None."""
    if pads is None:
        return shape
    return (shape[0], shape[1] + sum(pads[0]), shape[2] + sum(pads[1])) + tuple(shape[3:])


def fold_channel_affine(kernel, bias, scale, shift, channels_shape=None):
    """(kernel * scale, bias * scale + shift) as new float32 arrays: a per-output-channel affine map applied
    after a linear layer (an inference BatchNormalization), folded into its weights. The output channels are
    the kernel's last axis, or its last axes of shape `channels_shape` (depthwise: in_channels x multiplier)."""
    shape = channels_shape if channels_shape is not None else scale.shape
    folded_kernel = np.ascontiguousarray(kernel * scale.reshape(shape), dtype=np.float32)
    folded_bias = shift if bias is None else bias * scale + shift
    return folded_kernel, np.ascontiguousarray(folded_bias, dtype=np.float32)
