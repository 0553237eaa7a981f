"""nnkern.losses against Keras 3 goldens (functions, classes, reductions, sample weights, from_logits),
the notebooks' numbers, lookup by name, and bad arguments."""
import inspect

import numpy as np
import pytest

import nnkern
from _golden_io import load_cases
from _op_cases import check_case, load_op_cases
from nnkern import losses

INPUTS, CASES = load_op_cases(["losses."])


@pytest.mark.parametrize("case,golden", CASES, ids=[c["id"] for c, _ in CASES])
def test_matches_keras(case, golden):
    check_case(case, golden, INPUTS, nnkern)


def test_golden_covers_every_loss_class_and_function():
    called = {c["call"].split(".", 1)[1] for c, _ in CASES}
    exported = {name for name, obj in vars(losses).items()
                if isinstance(obj, type) and issubclass(obj, losses.Loss) and obj.__module__ == losses.__name__}
    assert exported - {"Loss", "LossFunctionWrapper"} <= called
    assert {f.__name__ for f in losses._FUNCTIONS} <= called


def test_notebook_binary_crossentropy():
    # Notebook 000 (Keras with TensorFlow): Keras's clipping makes this 0.51082563.
    loss = losses.binary_crossentropy(np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.7, 0.8]))
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss, 0.51082563, rtol=1e-7)


def test_notebook_sparse_categorical_crossentropy():
    # Notebook 001: K.variable inputs, K.eval of the result, its first entry.
    K = nnkern.backend
    y_true = K.variable(value=np.array([1]), dtype="float32")
    y_pred = K.variable(value=np.array([[0.01, 0.01, 0.96, 0.01, 0.01]]), dtype="float32")
    loss = K.eval(losses.sparse_categorical_crossentropy(y_true, y_pred))
    assert loss.shape == (1,)
    np.testing.assert_allclose(loss[0], 4.6051702, rtol=1e-7)


def test_aliases_are_the_same_functions():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error
    assert losses.mape is losses.mean_absolute_percentage_error
    assert losses.msle is losses.mean_squared_logarithmic_error
    assert losses.kld is losses.kullback_leibler_divergence is losses.kl_divergence
    assert losses.logcosh is losses.log_cosh


KERAS2_ONLY_NAMES = {"logcosh"}  # Keras 3 dropped them; nnkern keeps them for old code


def test_get_matches_keras():
    (case, _), = [(c, a) for c, a in load_cases("ops") if c["id"] == "losses_get"]
    for identifier, expected in case["results"].items():
        if "error" in expected and identifier not in KERAS2_ONLY_NAMES:
            with pytest.raises(ValueError, match="Could not interpret loss identifier"):
                losses.get(identifier)
            continue
        got = losses.get(identifier)
        if "function" in expected:
            assert got.__name__ == expected["function"], identifier
        elif "instance" in expected:
            assert type(got).__name__ == expected["instance"], identifier


def test_get_other_identifiers():
    assert losses.get(None) is None
    custom = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(custom) is custom
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    huber = losses.Huber(delta=0.5)
    assert losses.get(huber) is huber
    restored = losses.get(losses.serialize(huber))
    assert isinstance(restored, losses.Huber) and restored.delta == 0.5
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 3"):
        losses.get(3)


def test_loss_class_config_and_name():
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, name="cce")
    config = loss.get_config()
    assert config["name"] == "cce" and config["from_logits"] is True and config["label_smoothing"] == 0.1
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"


def test_get_loss_resolves_crossentropy_by_shape():
    # compile(loss='crossentropy') picks the cross-entropy by the shapes, as Keras's CompileLoss.
    assert losses.get_loss("crossentropy", np.zeros((4, 1)), np.zeros((4, 1))).fn is losses.binary_crossentropy
    assert losses.get_loss("ce", np.zeros((4,)), np.zeros((4, 3))).fn is losses.sparse_categorical_crossentropy
    assert losses.get_loss("crossentropy", np.zeros((4, 3)), np.zeros((4, 3))).fn is losses.categorical_crossentropy


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"Invalid value for argument `reduction`.*Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"^losses.categorical_crossentropy:.*shape"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"^losses.sparse_categorical_crossentropy:.*target.shape=\(3,\), "
                                         r"output.shape=\(2, 4\)"):
        losses.sparse_categorical_crossentropy(np.zeros(3), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"^losses.mean_squared_error:"):
        losses.mean_squared_error(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="unexpected keyword argument 'delta'"):
        losses.MeanSquaredError(delta=1.0)


def test_explicit_dtype_is_honoured():
    # Keras on JAX (64-bit off) cannot compute in float64; nnkern can, and honours dtype= as Keras means it.
    y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 0.25]])
    loss = losses.MeanSquaredError(dtype="float64")(y_true, y_pred)
    assert loss.dtype == np.float64
    assert loss == (0.25 + 0.5625) / 2
    assert losses.MeanSquaredError()(y_true, y_pred).dtype == np.float32


# Public names that Keras 3's keras.losses lacks: Keras 2 spellings old code uses, and the helpers
# Model.compile / evaluate and nnkern.metrics use.
KERAS2_NAMES = {"BCE", "KLD", "MAE", "MAPE", "MSE", "MSLE", "bce", "kld", "kullback_leibler_divergence", "logcosh",
                "mae", "mape", "mse", "msle"}
HELPERS = {"LossFunctionWrapper", "get_loss", "is_binary_or_sparse_categorical", "reduce_weighted_values",
           "squeeze_or_expand_to_same_rank", "standardize_reduction"}


def test_public_names_are_keras_names():
    (case, _), = [(c, a) for c, a in load_cases("ops") if c["id"] == "keras_names"]
    names = {n for n, v in vars(losses).items() if not n.startswith("_") and callable(v) and not inspect.ismodule(v)}
    assert names - set(case["losses"].split()) == KERAS2_NAMES | HELPERS
