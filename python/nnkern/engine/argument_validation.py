"""Checks and normal forms of layer arguments shared by the layer families (as Keras's
utils/argument_validation.py), and the output-length rules of one window axis (convolution, pooling)."""
import numpy as np


def standardize_data_format(data_format):
    """'channels_last' for None (the layers' default), else the lower-cased value; ValueError unless
    channels_first / channels_last."""
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return data_format


def standardize_tuple(value, n, name, allow_zero=False):
    """Keras's argument_validation.standardize_tuple: an int or n ints -> a tuple of n ints."""
    if isinstance(value, int):
        value = (value,) * n
    else:
        try:
            value = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}") \
                from None
        if len(value) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}")
        for v in value:
            if not isinstance(v, (int, np.integer)):
                raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value} "
                                 f"including element {v} of type {type(v)}")
        value = tuple(int(v) for v in value)
    low = 0 if allow_zero else 1
    if any(v < low for v in value):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers >= {low}. Received {name}={value}")
    return value


def standardize_window(layer, rank, kernel_size, strides, dilation_rate, zero_kernel_size=False, zero_strides=False):
    """A convolution window's (kernel_size, strides, dilation_rate) as tuples of `rank` ints, as Keras's layers
    standardize them; ValueError naming `layer` (zero_*: let the caller refuse a 0 with its own message)."""
    try:
        return (standardize_tuple(kernel_size, rank, "kernel_size", allow_zero=zero_kernel_size),
                standardize_tuple(strides, rank, "strides", allow_zero=zero_strides),
                standardize_tuple(dilation_rate, rank, "dilation_rate"))
    except ValueError as e:
        raise ValueError(f"{layer}: {e}") from None


def conv_output_length(length, window, stride, padding, dilation=1):
    """Keras's output length of a convolution / pooling window along one axis; None stays None.
    'valid' keeps whole windows only; 'same' and 'causal' give ceil(length / stride)."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        return (length - 1) // stride + 1
    dilated = (window - 1) * dilation + 1
    return (length - dilated) // stride + 1


def conv_transpose_output_length(length, kernel, stride, padding, output_padding=None, dilation=1):
    """Keras's deconv_output_length: the output length of a transposed convolution along one axis."""
    if length is None:
        return None
    dilated = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(dilated - stride, 0)
        return length * stride
    pad = dilated // 2 if padding == "same" else 0
    return (length - 1) * stride + dilated - 2 * pad + output_padding


def standardize_padding(value, layer, allow_causal=False):
    """'valid' / 'same' (and 'causal' where allowed), case-insensitive, else a ValueError naming the layer."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"{layer}: the `padding` argument must be one of {set(allowed)}. "
                         f"Received: padding={value!r}")
    return padding


def positive_int(value, message):
    """int(value) for a positive integer (a Python or numpy int, not a bool); else ValueError(message),
    Keras's words for that argument."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(message)
    return int(value)


def channels_last_only(data_format, layer):
    data_format = standardize_data_format(data_format)
    if data_format != "channels_last":
        raise ValueError(f"{layer}: data_format={data_format!r} is not supported by nnkern; its kernels work on "
                         "'channels_last' (batch, ..., channels) data. Transpose the input and use "
                         "data_format='channels_last'.")
    return data_format
