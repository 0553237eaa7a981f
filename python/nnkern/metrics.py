"""``nnkern.metrics``: Keras 3 metric functions (per-sample values) and the stateful metric classes
``Model.evaluate`` accumulates over batches (``update_state`` / ``result`` / ``reset_state``).

How ``compile(metrics=[...])`` names resolve (keras/src/trainers/compile_utils.py), see
``get_metric``: the string 'accuracy' (or 'acc') is *not* looked up by name but chosen from the
shapes of y_true and y_pred -- BinaryAccuracy if y_pred has a last axis of 1, SparseCategoricalAccuracy
if y_true has fewer axes than y_pred or a last axis of 1 while y_pred's is larger, else
CategoricalAccuracy. (Keras 2 chose by the loss; Keras 3, and nnkern, by the shapes.) Any other
identifier goes through ``get``; functions are wrapped in ``MeanMetricWrapper``, whose result is the
mean of the per-sample values over all samples seen.
"""

import numpy as np

from nnkern import losses as _losses
from nnkern import ops
from nnkern.engine.identifiers import NamedFromConfig as _NamedFromConfig
from nnkern.engine.identifiers import deserialize_function_or_object as _deserialize_function_or_object
from nnkern.engine.identifiers import function_wrapper_class as _function_wrapper_class
from nnkern.engine.identifiers import get_object as _get_object
# The Keras 2 aliases (mse, MSE, logcosh, ...) are metrics too: the same functions.
from nnkern.losses import (KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, categorical_crossentropy,
                           categorical_hinge, hinge, huber, kl_divergence, kld, kullback_leibler_divergence,
                           log_cosh, logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
                           mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
                           sparse_categorical_crossentropy, squared_hinge)
from nnkern.losses import cosine_similarity as _cosine_similarity_loss
from nnkern.losses import squeeze_or_expand_to_same_rank as _same_rank
from nnkern.ops._dtypes import convert_to_tensor as _t
from nnkern.ops._dtypes import standardize_dtype as _standardize_dtype
from nnkern.ops._settings import floatx as _floatx
from nnkern.ops._wrap import keras_op as _keras_op


def _metric_fn(fn):
    return _keras_op(fn, prefix="metrics")


# ---- accuracy functions (per-sample 0/1 values in floatx) -------------------------------------------

@_metric_fn
def accuracy(y_true, y_pred):
    """1 where y_true equals y_pred exactly, else 0."""
    y_pred = _t(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    y_true, y_pred = _same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(_floatx())


@_metric_fn
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) equals y_true, else 0."""
    y_pred = _t(y_pred)
    y_true = _t(y_true)
    y_true, y_pred = _same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(_floatx())


@_metric_fn
def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_true) equals argmax(y_pred) along the last axis."""
    true_class = ops.argmax(y_true, axis=-1)
    y_pred = _t(y_pred)
    true_class = true_class.astype(y_pred.dtype)
    original_shape = true_class.shape
    squeezed = true_class.ndim == y_pred.ndim
    if squeezed:
        true_class = np.squeeze(true_class, -1)
    matches = (true_class == ops.argmax(y_pred, axis=-1).astype(true_class.dtype)).astype(_floatx())
    return matches.reshape(original_shape) if squeezed else matches


@_metric_fn
def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label y_true equals argmax(y_pred) along the last axis."""
    y_pred = _t(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    original_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeezed:
        y_true = np.squeeze(y_true, -1)
    matches = (y_true == ops.argmax(y_pred, axis=-1).astype(y_true.dtype)).astype(_floatx())
    if squeezed:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return matches


def _in_top_k_reshaped(labels, y_pred, k):
    labels = np.asarray(labels)
    original_shape = labels.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = ops.in_top_k(labels.reshape(-1).astype("int32"), y_pred, k).astype(_floatx())
    return matches.reshape(original_shape)


@_metric_fn
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the class of the one-hot y_true is among the k largest predictions."""
    y_pred = _t(y_pred)
    return _in_top_k_reshaped(ops.argmax(np.asarray(y_true, dtype=y_pred.dtype), axis=-1), y_pred, k)


@_metric_fn
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label y_true is among the k largest predictions (or, with
    ``from_sorted_ids``, among the first k of the class ids in y_pred)."""
    y_pred = _t(y_pred)
    if from_sorted_ids:
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        shape = y_true.shape
        rows = y_pred.reshape(-1, y_pred.shape[-1]) if y_pred.ndim > 2 else y_pred
        matches = np.any(y_true.reshape(-1)[:, None] == rows[:, :k], axis=1)
        return matches.astype(_floatx()).reshape(shape)
    return _in_top_k_reshaped(np.asarray(y_true).astype("int32"), y_pred, k)


acc = accuracy


# ---- stateful metrics ------------------------------------------------------------------------------

def _reduce_to_samplewise(values, sample_weight, dtype):
    """Keras's reduce_to_samplewise_values for Mean: per-sample values (mean over the other axes) and
    matching weights."""
    values = np.asarray(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=dtype)
        values, sample_weight = _same_rank(values, sample_weight)
        if values.ndim > sample_weight.ndim:
            values = values.mean(axis=tuple(range(sample_weight.ndim, values.ndim)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if sample_weight.ndim > 1:
            sample_weight = sample_weight.mean(axis=tuple(range(1, sample_weight.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Metric(_NamedFromConfig):
    """Base class: ``update_state(...)`` accumulates, ``result()`` reads, ``reset_state()`` clears;
    calling the metric updates it and returns the result."""

    def __init__(self, dtype=None, name=None):
        self.name = name or _losses._snake_case(type(self).__name__)
        self.dtype = _standardize_dtype(dtype)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight=None)``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values, sample_weight = _reduce_to_samplewise(values, sample_weight, self.dtype)
        self.total += float(np.sum(values, dtype=np.float64))
        if sample_weight is not None:
            self.count += float(np.sum(sample_weight, dtype=np.float64))
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        return np.asarray(self.total / self.count if self.count else 0.0, dtype=self.dtype)


class MeanMetricWrapper(Mean):
    """The mean over all samples of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight)

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}


def _mean_wrapper_class(class_name, fn, default_name, params=()):
    """A Keras metric class over ``fn``: constructor (name, dtype, then ``params``), as Keras orders them."""
    parameters = [("name", default_name), ("dtype", None), *params]
    return _function_wrapper_class(
        class_name, MeanMetricWrapper, fn, parameters, [p for p, _ in params], __name__,
        f"Keras `metrics.{class_name}`: the mean of `{fn.__name__}` over all samples seen.")


Accuracy = _mean_wrapper_class("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _mean_wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy", [("threshold", 0.5)])
CategoricalAccuracy = _mean_wrapper_class("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _mean_wrapper_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                                "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _mean_wrapper_class("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                              "top_k_categorical_accuracy", [("k", 5)])
SparseTopKCategoricalAccuracy = _mean_wrapper_class("SparseTopKCategoricalAccuracy",
                                                    sparse_top_k_categorical_accuracy,
                                                    "sparse_top_k_categorical_accuracy",
                                                    [("k", 5), ("from_sorted_ids", False)])
MeanSquaredError = _mean_wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _mean_wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _mean_wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                                  "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _mean_wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                                  "mean_squared_logarithmic_error")


@_metric_fn
def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity itself, 1 for parallel vectors (Keras 2's ``metrics.cosine_similarity``;
    ``losses.cosine_similarity`` is its negative)."""
    return -_cosine_similarity_loss(y_true, y_pred, axis=axis)


CosineSimilarity = _mean_wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity",
                                       [("axis", -1)])
LogCoshError = _mean_wrapper_class("LogCoshError", log_cosh, "logcosh")
Hinge = _mean_wrapper_class("Hinge", hinge, "hinge")
SquaredHinge = _mean_wrapper_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _mean_wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _mean_wrapper_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _mean_wrapper_class("Poisson", poisson, "poisson")
BinaryCrossentropy = _mean_wrapper_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                         [("from_logits", False), ("label_smoothing", 0)])
CategoricalCrossentropy = _mean_wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                              "categorical_crossentropy",
                                              [("from_logits", False), ("label_smoothing", 0), ("axis", -1)])
SparseCategoricalCrossentropy = _mean_wrapper_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                                    "sparse_categorical_crossentropy",
                                                    [("from_logits", False), ("ignore_class", None), ("axis", -1)])


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over all samples seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        y_true = np.asarray(y_true, dtype=self.dtype)
        y_true, y_pred = _same_rank(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return np.sqrt(super().result())


# ---- lookup ----------------------------------------------------------------------------------------

_CLASSES = [Metric, Mean, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
            MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity,
            LogCoshError, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, RootMeanSquaredError]
# As Keras 3: class names and their snake_case spellings name classes; the short aliases too.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_losses._snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    # Keras 2 names
    "logcosh": LogCoshError, "log_cosh": LogCoshError, "kld": KLDivergence, "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "huber": huber,  # Keras has no Huber metric class, only the function keras.metrics.huber
})


def serialize(metric):
    if isinstance(metric, Metric):
        return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config(),
                "registered_name": None}
    return _losses.serialize(metric)


def deserialize(config, custom_objects=None):
    return _deserialize_function_or_object(config, "metric", ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """As ``keras.metrics.get``: a Metric instance for a class name or its snake_case spelling
    ('mse' -> MeanSquaredError(), 'accuracy' -> Accuracy(), the exact-match accuracy), a serialized
    dict, a class (instantiated), or a callable as it is. None gives None."""
    return _get_object(identifier, "metric", ALL_OBJECTS_DICT, deserialize)


def resolve_accuracy(y_true, y_pred, name="accuracy"):
    """Keras 3's choice for the 'accuracy' / 'acc' string: BinaryAccuracy, SparseCategoricalAccuracy or
    CategoricalAccuracy by the shapes of y_true and y_pred (see the module docstring)."""
    is_binary, is_sparse = _losses.is_binary_or_sparse_categorical(y_true, y_pred)
    if is_binary:
        return BinaryAccuracy(name=name)
    if is_sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get_metric(identifier, y_true, y_pred):
    """The Metric object ``compile(metrics=[identifier])`` uses, as keras/src/trainers/compile_utils.py:
    'accuracy' / 'acc' by ``resolve_accuracy``; anything else by ``get``, a function wrapped in
    ``MeanMetricWrapper``. A string identifier is also the metric's name."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        metric = resolve_accuracy(y_true, y_pred, name=str(identifier))
    else:
        metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric
