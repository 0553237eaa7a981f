"""``nnkern.losses``: Keras 3 loss functions and classes on numpy arrays.

The functions return the loss per sample (reduced over the last axis, as Keras does); the classes
reduce that to one number (``reduction='sum_over_batch_size'``: the mean) with optional
``sample_weight``. Probabilities are clipped to [epsilon, 1 - epsilon] with epsilon = 1e-7
(``nnkern.backend.epsilon()``) exactly as Keras clips them, so
``binary_crossentropy([1, 0, 1], [0.9, 0.7, 0.8])`` is 0.51082563 and
``sparse_categorical_crossentropy([1], [[0.01, 0.01, 0.96, 0.01, 0.01]])`` is [4.6051702].

``get(identifier)`` accepts every Keras 3 spelling ('mse', 'MSE', 'mean_squared_error',
'MeanSquaredError', ...), the Keras 2 names ('logcosh', 'kullback_leibler_divergence', ...),
serialized dicts, Loss classes and instances, and any callable.
"""
import warnings

import numpy as np

from nnkern import ops
from nnkern.engine.identifiers import NamedFromConfig as _NamedFromConfig
from nnkern.engine.identifiers import deserialize_function_or_object as _deserialize_function_or_object
from nnkern.engine.identifiers import function_wrapper_class as _function_wrapper_class
from nnkern.engine.identifiers import get_object as _get_object
from nnkern.engine.naming import to_snake_case as _snake_case  # 'KLDivergence' -> 'kl_divergence'
from nnkern.ops._dtypes import convert_to_tensor as _t
from nnkern.ops._dtypes import standardize_dtype as _standardize_dtype
from nnkern.ops._settings import epsilon as _epsilon
from nnkern.ops._settings import floatx as _floatx
from nnkern.ops._wrap import keras_op as _keras_op

_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def _loss_fn(fn):
    return _keras_op(fn, prefix="losses")


def _pred_true(y_true, y_pred, expand=True):
    """y_pred as an array, y_true converted to its dtype, ranks reconciled as Keras does."""
    y_pred = _t(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    if expand:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank reconciliation: when one input has exactly one axis more and that axis has length
    1, squeeze it (or, if the other input is 1-D, expand that one instead)."""
    r1, r2 = np.ndim(x1), np.ndim(x2)
    if r1 == r2 + 1 and np.shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = np.expand_dims(x2, -1)
        else:
            x1 = np.squeeze(x1, -1)
    if r2 == r1 + 1 and np.shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = np.expand_dims(x1, -1)
        else:
            x2 = np.squeeze(x2, -1)
    return x1, x2


# ---- regression ------------------------------------------------------------------------------------

@_loss_fn
def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


@_loss_fn
def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


@_loss_fn
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    eps = np.asarray(_epsilon(), y_pred.dtype)
    return 100.0 * ops.mean(ops.abs((y_true - y_pred) / np.maximum(np.abs(y_true), eps)), axis=-1)


@_loss_fn
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    eps = np.asarray(_epsilon(), y_pred.dtype)
    first = ops.log(np.maximum(y_pred, eps) + 1.0)
    second = ops.log(np.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first - second), axis=-1)


@_loss_fn
def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for parallel vectors."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    return -ops.sum(ops.normalize(y_true, axis=axis) * ops.normalize(y_pred, axis=axis), axis=axis)


@_loss_fn
def huber(y_true, y_pred, delta=1.0):
    """mean of 0.5 * e**2 where |e| <= delta, else delta * |e| - 0.5 * delta**2 (e = y_pred - y_true)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    delta = np.asarray(delta, y_pred.dtype)
    half = np.asarray(0.5, y_pred.dtype)
    error = y_pred - y_true
    abs_error = np.abs(error)
    return ops.mean(np.where(abs_error <= delta, half * np.square(error), delta * abs_error - half * np.square(delta)),
                    axis=-1)


@_loss_fn
def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed as x + softplus(-2x) - log(2)."""
    y_true, y_pred = _pred_true(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - np.asarray(np.log(2.0), y_pred.dtype), axis=-1)


# ---- hinge -----------------------------------------------------------------------------------------

def _hinge_labels(y_true):
    """{0, 1} labels become {-1, 1}; anything else is left as it is."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


@_loss_fn
def hinge(y_true, y_pred):
    """mean(maximum(1 - y_true * y_pred, 0), axis=-1); 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pred_true(y_true, y_pred, expand=False)
    return ops.mean(ops.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


@_loss_fn
def squared_hinge(y_true, y_pred):
    """mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1); 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _pred_true(y_true, y_pred, expand=False)
    return ops.mean(ops.square(ops.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


@_loss_fn
def categorical_hinge(y_true, y_pred):
    """maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis."""
    y_true, y_pred = _pred_true(y_true, y_pred, expand=False)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, np.zeros((), y_pred.dtype))


# ---- probabilistic ---------------------------------------------------------------------------------

@_loss_fn
def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1]."""
    y_true, y_pred = _pred_true(y_true, y_pred, expand=False)
    y_true = ops.clip(y_true, _epsilon(), 1)
    y_pred = ops.clip(y_pred, _epsilon(), 1)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


@_loss_fn
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)."""
    y_true, y_pred = _pred_true(y_true, y_pred, expand=False)
    return ops.mean(y_pred - y_true * ops.log(y_pred + np.asarray(_epsilon(), y_pred.dtype)), axis=-1)


def _float_pred(y_pred):
    y_pred = _t(y_pred)
    return y_pred if y_pred.dtype.kind == "f" else y_pred.astype(_floatx())


@_loss_fn
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean over ``axis`` of -(y log p + (1 - y) log(1 - p)), p clipped to [epsilon, 1 - epsilon];
    ``label_smoothing`` moves the labels towards 0.5."""
    y_pred = _float_pred(y_pred)
    y_true = np.asarray(y_true).astype(y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


@_loss_fn
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(p), axis) with p the renormalised prediction clipped to [eps, 1 - eps] (or
    log_softmax of logits); ``label_smoothing`` mixes the one-hot labels with a uniform distribution."""
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_pred = _float_pred(y_pred)
    y_true = np.asarray(y_true).astype(y_pred.dtype)
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={y_pred.shape}. "
                      "Consider using 'binary_crossentropy' if you only have 2 classes.", SyntaxWarning,
                      stacklevel=3)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_cce_with_mask(y_true, y_pred, from_logits, ignore_class, axis):
    """(per-sample losses, mask of samples that count or None)."""
    y_pred = _float_pred(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.ndim and y_true.shape[axis] == 1:
        y_true = np.squeeze(y_true, axis=axis)
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis), None
    class_axis = axis % y_pred.ndim
    res_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
    valid = y_true != ignore_class
    y_true = np.where(valid, y_true, 0)
    y_pred = np.where(np.expand_dims(valid, axis), y_pred, np.zeros((), y_pred.dtype))
    res = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    valid = valid.reshape(res_shape)
    return np.where(valid, res, np.zeros((), res.dtype)), valid


@_loss_fn
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical cross-entropy with integer class labels y_true (shape y_pred.shape[:-1], or with a
    trailing 1); samples labelled ``ignore_class`` give 0."""
    return _sparse_cce_with_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy


# ---- reduction -------------------------------------------------------------------------------------

def standardize_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. "
                         f"Received: reduction={reduction!r}")
    return reduction


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Keras's reduction of per-sample losses: weight them (and the mask, which rescales so that only
    unmasked entries count in the mean), then sum, or sum and divide by the number of entries."""
    reduction = standardize_reduction(reduction)
    values = np.asarray(values, dtype=_standardize_dtype(dtype))
    if mask is not None:
        mask = np.asarray(mask, dtype=values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = mask.sum()
            mask = np.where(mask > 0, mask.size / valid if valid else 0.0, 0.0).astype(values.dtype)
        if sample_weight is not None:
            mask, sample_weight = squeeze_or_expand_to_same_rank(mask, np.asarray(sample_weight, values.dtype))
            sample_weight = sample_weight * mask
        else:
            sample_weight = mask
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    loss = np.sum(values)
    if reduction == "sum":
        return np.asarray(loss, values.dtype)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = np.sum(sample_weight)
    else:
        divisor = values.size
    return np.asarray(loss / divisor if divisor else 0.0, values.dtype)


# ---- classes ---------------------------------------------------------------------------------------

class Loss(_NamedFromConfig):
    """Base class of the loss classes: ``__call__(y_true, y_pred, sample_weight=None)`` converts both
    to ``dtype`` (floatx()), computes ``call`` per sample and reduces it by ``reduction``."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = _standardize_dtype(dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        y_true = np.asarray(y_true, dtype=self.dtype)
        losses, mask = self._call_with_mask(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self.dtype)

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}


class LossFunctionWrapper(Loss):
    """A Loss from a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


def _wrapper_class(class_name, fn, default_name, params=()):
    """A Keras loss class over ``fn``: constructor arguments ``params`` (name, default) in Keras's
    order, then reduction, name and dtype."""
    parameters = [*params, ("reduction", "sum_over_batch_size"), ("name", default_name), ("dtype", None)]
    return _function_wrapper_class(
        class_name, LossFunctionWrapper, fn, parameters, [p for p, _ in params], __name__,
        f"Keras `losses.{class_name}`: the mean (by default) of `{fn.__name__}` over samples.")


MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error")
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity", [("axis", -1)])
Huber = _wrapper_class("Huber", huber, "huber_loss", [("delta", 1.0)])
LogCosh = _wrapper_class("LogCosh", log_cosh, "log_cosh")
Hinge = _wrapper_class("Hinge", hinge, "hinge")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _wrapper_class("Poisson", poisson, "poisson")
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                    [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                         "categorical_crossentropy",
                                         [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Keras `losses.SparseCategoricalCrossentropy`; with ``ignore_class`` the mean is over the samples
    that are not ignored, as in Keras."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _sparse_cce_with_mask(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)


# ---- lookup and serialization ----------------------------------------------------------------------

_FUNCTIONS = [mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge, squared_hinge,
              categorical_hinge, kl_divergence, poisson, binary_crossentropy, categorical_crossentropy,
              sparse_categorical_crossentropy]
_CLASSES = [Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
            MeanSquaredLogarithmicError, CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
            KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy]
ALL_OBJECTS_DICT = {f.__name__: f for f in _FUNCTIONS + _CLASSES}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy, "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error, "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    # Keras 2 names
    "logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence, "huber_loss": huber,
    "cosine_proximity": cosine_similarity,
})


def serialize(loss):
    """Keras 3's serialized form: a dict naming a Loss class and its config, or a built-in function."""
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    name = getattr(loss, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize loss {loss!r}")
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def deserialize(name, custom_objects=None):
    """The loss a ``serialize`` dict (or a name) describes; ``custom_objects`` maps extra names."""
    return _deserialize_function_or_object(name, "loss", ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """A loss from a name, a serialized dict, a Loss class (instantiated) or instance, or a callable.
    None gives None; anything else is a ValueError."""
    return _get_object(identifier, "loss", ALL_OBJECTS_DICT, deserialize)


def is_binary_or_sparse_categorical(y_true, y_pred):
    """Keras's shape rule behind 'crossentropy' and 'accuracy': (binary, sparse categorical)."""
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    is_binary = bool(p_shape) and p_shape[-1] == 1
    is_sparse = len(t_shape) < len(p_shape) or (bool(t_shape) and t_shape[-1] == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


def get_loss(identifier, y_true, y_pred):
    """The Loss object ``compile(loss=identifier)`` uses, as keras/src/trainers/compile_utils.py:
    'crossentropy' / 'ce' become binary, sparse categorical or categorical cross-entropy by the shapes
    of y_true and y_pred; functions are wrapped in a LossFunctionWrapper named after the identifier."""
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        loss = (binary_crossentropy if is_binary else sparse_categorical_crossentropy if is_sparse
                else categorical_crossentropy)
    else:
        loss = get(identifier)
    if isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", type(loss).__name__)
    return LossFunctionWrapper(loss, name=name)
