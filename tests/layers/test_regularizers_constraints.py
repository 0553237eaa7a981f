"""nnkern.regularizers / nnkern.constraints against Keras 3 (tests/golden/gen_regularizers.py): serialized
forms, penalties and projections, the names `get` takes, and the get_config entries of layers given them.
Layers take them without any effect on their outputs (nnkern does not train)."""
import numpy as np
import pytest

import nnkern
from _golden_io import load_cases
from nnkern import constraints, regularizers

CASES = load_cases("regularizers")


def _cases(*kinds):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES if case["kind"] in kinds]


@pytest.mark.parametrize("case,arrays", _cases("regularizer", "constraint"))
def test_object_matches_keras(case, arrays):
    module = regularizers if case["kind"] == "regularizer" else constraints
    obj = module.deserialize(case["serialized"])
    assert module.serialize(obj) == case["serialized"]
    assert module.get(case["serialized"]).get_config() == obj.get_config()
    np.testing.assert_allclose(obj(arrays["w"]), arrays["out"], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case,arrays", _cases("regularizer_name", "constraint_name"))
def test_names_match_keras(case, arrays):
    module = regularizers if case["kind"] == "regularizer_name" else constraints
    assert module.serialize(module.get(case["name"])) == case["serialized"]


LAYERS = {
    "dense": lambda: nnkern.layers.Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.2),
                                         activity_regularizer=regularizers.L2(0.1),
                                         kernel_constraint=constraints.MaxNorm(3), bias_constraint="non_neg"),
    "conv2d": lambda: nnkern.layers.Conv2D(2, 3, kernel_regularizer=regularizers.L1L2(0.1, 0.2),
                                           bias_constraint=constraints.UnitNorm()),
    "lstm": lambda: nnkern.layers.LSTM(2, kernel_regularizer="l1", recurrent_regularizer=regularizers.L2(0.3),
                                       recurrent_constraint=constraints.NonNeg()),
    "batch_norm": lambda: nnkern.layers.BatchNormalization(beta_regularizer="l2",
                                                           gamma_constraint=constraints.MinMaxNorm()),
    "embedding": lambda: nnkern.layers.Embedding(5, 2, embeddings_regularizer="l1",
                                                 embeddings_constraint="unit_norm"),
}


@pytest.mark.parametrize("case,arrays", _cases("layer"))
def test_layer_config_entries_match_keras(case, arrays):
    layer = LAYERS[case["id"][len("layer_"):]]()
    config = layer.get_config()
    assert {k: config.get(k) for k in case["arguments"]} == case["arguments"]
    clone = type(layer).from_config(config)  # and they come back from the config
    assert {k: clone.get_config().get(k) for k in case["arguments"]} == case["arguments"]


def test_no_effect_on_outputs():
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    plain = nnkern.layers.Dense(3)
    regularized = nnkern.layers.Dense(3, kernel_regularizer=regularizers.L2(10.0),
                                      kernel_constraint=constraints.NonNeg(), activity_regularizer="l1")
    plain.build((None, 5))
    regularized.build((None, 5))
    regularized.set_weights(plain.get_weights())
    np.testing.assert_array_equal(regularized(x), plain(x))


def test_model_with_them_saves_and_loads(tmp_path):
    inputs = nnkern.Input((5,))
    outputs = nnkern.layers.Dense(2, kernel_regularizer=regularizers.OrthogonalRegularizer(0.1),
                                  bias_constraint=constraints.MaxNorm(1.0, axis=0))(inputs)
    model = nnkern.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = nnkern.models.load_model(tmp_path / "m.keras")
    dense = loaded.layers[1]
    assert isinstance(dense.kernel_regularizer, regularizers.OrthogonalRegularizer)
    assert dense.bias_constraint.get_config() == {"max_value": 1.0, "axis": 0}


@pytest.mark.parametrize("bad,message", [
    (lambda: regularizers.L1(-1.0), "Invalid value for argument l1: expected a non-negative float"),
    (lambda: regularizers.L2(float("nan")), "Invalid value for argument l2"),
    (lambda: regularizers.L1L2(l1="x"), "Invalid value for argument l1"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), "Expected one of"),
    (lambda: regularizers.get("l3"), "Could not interpret regularizer identifier: l3"),
    (lambda: regularizers.get({"class_name": "Nope", "config": {}}), "Could not interpret regularizer identifier"),
    (lambda: constraints.get("positive"), "Could not interpret constraint identifier: positive"),
    (lambda: constraints.get(3), "Could not interpret constraint identifier: 3"),
    (lambda: nnkern.layers.Dense(2, kernel_regularizer="l3"), "Could not interpret regularizer identifier"),
    (lambda: nnkern.layers.Conv1D(2, 2, bias_constraint="nope"), "Could not interpret constraint identifier"),
    (lambda: regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2))), "must have rank 2"),
])
def test_bad_arguments(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()


def test_keras1_and_keras2_spellings():
    assert isinstance(constraints.get("maxnorm"), constraints.MaxNorm)  # Keras 2's legacy aliases
    assert isinstance(constraints.get("nonneg"), constraints.NonNeg)
    old = regularizers.get({"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01})  # Keras 1's W_regularizer
    assert old.get_config() == {"l1": 0.0, "l2": 0.01}
    dense = nnkern.layers.Dense(2, W_regularizer=regularizers.l2(0.1), b_constraint="non_neg")
    assert isinstance(dense.kernel_regularizer, regularizers.L2)
    assert isinstance(dense.bias_constraint, constraints.NonNeg)
