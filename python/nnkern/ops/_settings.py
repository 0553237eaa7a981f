"""Global Keras settings that ops, losses and the backend read: the default float type, the fuzz
factor epsilon and the image data format (Keras's ``keras.config`` values)."""

_STATE = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """The default float type, 'float32' unless changed with ``set_floatx``."""
    return _STATE["floatx"]


def set_floatx(value):
    """Set the default float type: 'float16', 'float32' or 'float64'."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of 'float16', 'float32', 'float64'")
    _STATE["floatx"] = str(value)


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (1e-7 by default)."""
    return _STATE["epsilon"]


def set_epsilon(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"set_epsilon: value must be a number, got {type(value).__name__}")
    _STATE["epsilon"] = float(value)


def image_data_format():
    """'channels_last' (nnkern's layers compute channels-last)."""
    return _STATE["image_data_format"]


def _checked_data_format(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format!r}")
    return data_format


def standardize_data_format(data_format):
    """``data_format``, or image_data_format() for None; ValueError unless channels_first / last."""
    return image_data_format() if data_format is None else _checked_data_format(data_format)


def set_image_data_format(data_format):
    _STATE["image_data_format"] = _checked_data_format(data_format)
