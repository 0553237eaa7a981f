"""The prediction plan runs a residual Add and the LayerNormalization of its sum as one kernel call (the sum
never stored): outputs bitwise equal to the two calls one by one, over shapes; patterns that must not fuse
(the sum used elsewhere, masks) or that the kernel does not take (another axis) give the layers' results."""
import numpy as np
import pytest

import nnkern
from nnkern import layers
from nnkern.engine import plan as plan_module


def _block(steps, features, axis=-1, sum_used_elsewhere=False, mask_zero=False):
    """A Transformer-like block: (Embedding ->) Dense, residual Add, LayerNormalization, twice."""
    if mask_zero:
        inp = layers.Input((steps,), dtype="int32")
        x = layers.Embedding(10, features, mask_zero=True)(inp)
    else:
        inp = layers.Input((steps, features))
        x = inp
    outputs = []
    for _ in range(2):
        s = layers.Add()([x, layers.Dense(features, activation="relu")(x)])
        x = layers.LayerNormalization(axis=axis, epsilon=1e-6)(s)
        if sum_used_elsewhere:
            outputs.append(s)
    model = nnkern.Model(inp, [x] + outputs if outputs else x)
    rng = np.random.default_rng(steps * features)
    for layer in model.layers:
        if isinstance(layer, layers.LayerNormalization):
            layer.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


def _unfused(model, monkeypatch):
    """A copy of the model (same weights) whose plans run the Add and the normalization as two calls."""
    with monkeypatch.context() as m:
        m.setattr(plan_module, "sum_norm_folds", lambda nodes, only_consumer: {})
        copy = nnkern.Model.from_config(model.get_config())
        copy.set_weights(model.get_weights())
        copy._get_plan(None)
    return copy


def _summed_steps(model):
    return [s for s in model._get_plan(None).steps
            if [type(n.operation).__name__ for n in s.nodes] == ["Add", "LayerNormalization"]]


def _input(model, batch, steps, features, rng):
    if model.inputs[0].dtype == "int32":
        return rng.integers(0, 10, (batch, steps)).astype(np.int32)
    return (rng.normal(size=(batch, steps, features)) * 2 + 1).astype(np.float32)


@pytest.mark.parametrize("batch,steps,features", [(1, 1, 1), (2, 7, 5), (3, 20, 32), (4, 9, 256)])
def test_fused_sum_and_norm_equal_the_two_calls(monkeypatch, batch, steps, features):
    model = _block(steps, features)
    reference = _unfused(model, monkeypatch)
    assert len(_summed_steps(model)) == 2 and not _summed_steps(reference)
    x = _input(model, batch, steps, features, np.random.default_rng(0))
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))
    np.testing.assert_array_equal(model(x), reference.predict(x, verbose=0))


@pytest.mark.parametrize("kind", ["sum_used_elsewhere", "masks", "other_axis"])
def test_what_does_not_fuse_gives_the_layers_results(monkeypatch, kind):
    model = _block(6, 4, axis=1 if kind == "other_axis" else -1, sum_used_elsewhere=kind == "sum_used_elsewhere",
                   mask_zero=kind == "masks")
    reference = _unfused(model, monkeypatch)
    if kind == "sum_used_elsewhere":
        assert not _summed_steps(model)
    x = _input(model, 3, 6, 4, np.random.default_rng(1))
    if kind == "masks":
        x[0, 2:] = 0  # masked steps
    got, want = model.predict(x, verbose=0), reference.predict(x, verbose=0)
    for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        np.testing.assert_array_equal(g, w)
