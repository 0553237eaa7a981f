"""``nnkern.utils``: the numpy helpers of ``keras.utils`` that inference code uses, and ``plot_model`` /
``model_to_dot`` (loaded on first use: they need the models and, to draw, matplotlib)."""
import numpy as np

_LAZY_NAMES = {"plot_model": "model_visualization", "model_to_dot": "model_visualization"}


def __getattr__(name):
    if name in _LAZY_NAMES:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES))


def to_categorical(x, num_classes=None):
    """One-hot float64 matrix of the integer class vector x, the class axis last (a trailing axis of
    length 1 in x is dropped); ``num_classes`` defaults to max(x) + 1. As Keras on numpy input."""
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if len(input_shape) > 1 and input_shape[-1] == 1:
        input_shape = input_shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        if x.size == 0:
            raise ValueError("to_categorical: num_classes must be given when x is empty")
        num_classes = int(np.max(x)) + 1
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(f"to_categorical: class values must be in [0, {num_classes}), "
                         f"got values in [{x.min()}, {x.max()}]")
    categorical = np.zeros((x.shape[0], num_classes))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """x divided by its ``order``-norm along ``axis`` (a zero norm counts as 1), as Keras on numpy input."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis or -1)
