"""nnkern.metrics against Keras 3 goldens (stateful classes over two batches, the second weighted;
per-sample functions), lookup by name as Keras 3 does it, state handling, and bad arguments."""
import numpy as np
import pytest

import nnkern
from _golden_io import load_cases
from _op_cases import check_case, load_op_cases
from nnkern import metrics

INPUTS, CASES = load_op_cases(["metrics."])


@pytest.mark.parametrize("case,golden", CASES, ids=[c["id"] for c, _ in CASES])
def test_matches_keras(case, golden):
    check_case(case, golden, INPUTS, nnkern)


def test_golden_covers_every_metric_class():
    called = {c["call"].split(".", 1)[1] for c, _ in CASES}
    exported = {cls.__name__ for cls in metrics._CLASSES} - {"Metric", "MeanMetricWrapper"}
    assert exported <= called


def test_get_matches_keras():
    # Keras 3: metrics.get returns metric objects ('mse' -> MeanSquaredError()), and 'acc' is unknown.
    (case, _), = [(c, a) for c, a in load_cases("ops") if c["id"] == "metrics_get"]
    for identifier, expected in case["results"].items():
        if "error" in expected:
            with pytest.raises(ValueError, match="Could not interpret metric identifier"):
                metrics.get(identifier)
        elif "instance" in expected:
            assert type(metrics.get(identifier)).__name__ == expected["instance"], identifier
        else:
            assert metrics.get(identifier).__name__ == expected["function"], identifier


def test_get_metric_resolves_accuracy_by_shape():
    # compile(metrics=['accuracy']) picks the accuracy by the shapes of y_true and y_pred.
    assert type(metrics.get_metric("accuracy", np.zeros((4, 1)), np.zeros((4, 1)))) is metrics.BinaryAccuracy
    assert type(metrics.get_metric("acc", np.zeros((4,)), np.zeros((4, 3)))) is metrics.SparseCategoricalAccuracy
    m = metrics.get_metric("accuracy", np.zeros((4, 3)), np.zeros((4, 3)))
    assert type(m) is metrics.CategoricalAccuracy and m.name == "accuracy"
    wrapped = metrics.get_metric(metrics.binary_accuracy, np.zeros((4, 1)), np.zeros((4, 1)))
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_accuracy"


def test_state_accumulates_and_resets():
    m = metrics.MeanSquaredError()
    assert m.result() == 0.0 and m.result().dtype == np.float32
    m.update_state([[0.0, 0.0]], [[1.0, 3.0]])          # one sample, squared error mean 5
    m.update_state([[0.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [2.0, 2.0]])  # 1 and 4
    np.testing.assert_allclose(m.result(), (5 + 1 + 4) / 3, rtol=1e-6)
    m.reset_state()
    assert m.result() == 0.0
    np.testing.assert_allclose(m([[1.0]], [[3.0]]), 4.0)  # calling updates and returns the result


def test_metric_config_and_names():
    m = metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")
    assert m.get_config()["k"] == 3 and m.name == "top3"
    restored = metrics.deserialize(metrics.serialize(m))
    assert isinstance(restored, metrics.SparseTopKCategoricalAccuracy) and restored.k == 3
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"


def test_bad_arguments():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: nope"):
        metrics.get("nope")
    with pytest.raises(TypeError, match="unexpected keyword argument 'delta'"):
        metrics.MeanSquaredError(delta=1.0)
    with pytest.raises(ValueError, match=r"^metrics.binary_accuracy:"):
        metrics.binary_accuracy(np.zeros((2, 3)), np.zeros((2, 4)))


def test_cosine_similarity_function_is_the_similarity():
    # Keras 2's documented example of keras.metrics.cosine_similarity (the loss is its negative).
    y_true = [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    y_pred = [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    np.testing.assert_allclose(metrics.cosine_similarity(y_true, y_pred, axis=1), [0.0, 1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(nnkern.losses.cosine_similarity(y_true, y_pred, axis=1), [0.0, -1.0, 1.0], atol=1e-6)


# Public names that Keras 3's keras.metrics lacks: Keras 2 spellings old code uses, and the helpers
# Model.compile / evaluate use.
KERAS2_NAMES = {"KLD", "MAE", "MAPE", "MSE", "MSLE", "acc", "accuracy", "cosine_similarity", "kld",
                "kullback_leibler_divergence", "logcosh", "mae", "mape", "mse", "msle"}
HELPERS = {"get_metric", "resolve_accuracy"}


def test_public_names_are_keras_names():
    (case, _), = [(c, a) for c, a in load_cases("ops") if c["id"] == "keras_names"]
    names = {n for n, v in vars(metrics).items() if not n.startswith("_") and callable(v)}
    assert names - set(case["metrics"].split()) == KERAS2_NAMES | HELPERS
