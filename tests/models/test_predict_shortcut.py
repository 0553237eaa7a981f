"""predict()'s shortcut for one array through a chain of layers (Functional._array_predictor): same
results, checks and errors as the general path, checked against numpy references."""
import gc

import numpy as np
import pytest

import nnkern
from nnkern import layers


def _dense_ref(x, w, b, relu=False):
    y = x.astype(np.float64) @ w.astype(np.float64) + b
    return np.maximum(y, 0) if relu else y


def _mlp(seed=0):
    rng = np.random.default_rng(seed)
    model = nnkern.Sequential([layers.Input((6,)), layers.Dense(5, activation="relu"), layers.Dense(3)])
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)

    def reference(x):
        return _dense_ref(_dense_ref(x, weights[0], weights[1], relu=True), weights[2], weights[3])
    return model, reference


@pytest.mark.parametrize("n,batch_size", [(1, 1), (1, None), (7, 7), (7, 32), (0, 4)])
def test_chain_matches_numpy(n, batch_size):
    model, reference = _mlp()
    assert model._array_predictor() is not None
    x = np.random.default_rng(1).standard_normal((n, 6)).astype(np.float32)
    y = model.predict(x, batch_size=batch_size, verbose=0)
    assert type(y) is np.ndarray and y.dtype == np.float32 and y.shape == (n, 3)
    np.testing.assert_allclose(y, reference(x), rtol=1e-5, atol=1e-5)


def test_other_dtypes_and_several_batches_agree():
    model, reference = _mlp()
    x = np.random.default_rng(2).standard_normal((9, 6))
    want = reference(x.astype(np.float32))
    for given in (x, x.tolist(), x.astype(np.float32)):
        for batch_size in (None, 4, np.int64(9)):
            y = model.predict(given, batch_size=batch_size, verbose=0)
            assert y.dtype == np.float32
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_bad_input_still_raises():
    model, _ = _mlp()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 6\), found shape=\(2, 5\)"):
        model.predict(np.zeros((2, 5), np.float32), verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(np.zeros((2, 6), np.float32), batch_size=0, verbose=0)


def test_trailing_unit_axis_is_squeezed_as_before():
    model = nnkern.Sequential([layers.Input((4,)), layers.Dense(2, kernel_initializer="ones")])
    y = model.predict(np.ones((3, 4, 1), np.float32), verbose=0)
    np.testing.assert_allclose(y, np.full((3, 2), 4.0))


def test_untrusted_layer_output_is_normalized():
    inp = layers.Input((3,))
    out = layers.Lambda(lambda t: t.astype(np.float64) * 2)(inp)
    model = nnkern.Model(inp, [out])
    assert model._array_predictor() is not None
    y = model.predict(np.arange(6, dtype=np.float32).reshape(2, 3), verbose=0)
    assert type(y) is np.ndarray and y.dtype == np.float32
    np.testing.assert_array_equal(y, np.arange(6).reshape(2, 3) * 2)


def test_other_one_input_one_output_graphs_run_their_plan():
    # A graph that is not a chain (a residual Add, a mask) takes the shortcut through its plan.
    a = layers.Input((4,))
    h = layers.Dense(4, kernel_initializer="identity")(a)
    skip = nnkern.Model(a, layers.Add()([a, h]))
    assert skip._array_predictor() is not None
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(skip.predict(x, verbose=0), 2 * x, rtol=1e-6)
    np.testing.assert_allclose(skip.predict(x.astype(np.float64), batch_size=1, verbose=0), 2 * x, rtol=1e-6)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 3\)"):
        skip.predict(np.zeros((2, 3), np.float32), verbose=0)

    ids = layers.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 2, mask_zero=True)(ids)
    masked = nnkern.Model(ids, layers.GlobalAveragePooling1D()(embedded))
    assert masked._array_predictor() is not None
    tokens = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 7]])
    np.testing.assert_allclose(masked.predict(tokens, verbose=0), masked(tokens), rtol=1e-6)
    table = masked.layers[1].get_weights()[0]
    np.testing.assert_allclose(masked.predict(tokens, verbose=0)[0], table[[1, 2]].mean(axis=0), rtol=1e-6)


def test_several_or_named_outputs_take_the_general_path():
    a = layers.Input((4,))
    h = layers.Dense(4, kernel_initializer="identity")(a)
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    two_out = nnkern.Model(a, [h, a])
    assert two_out._array_predictor() is None
    named = nnkern.Model(a, {"h": h})
    assert named._array_predictor() is None
    assert set(named.predict(x, verbose=0)) == {"h"}


def test_variable_length_input_takes_the_general_path():
    inp = layers.Input((None, 3))
    model = nnkern.Model(inp, layers.Dense(2)(inp))
    assert model._array_predictor() is None
    assert model.predict(np.zeros((1, 5, 3), np.float32), verbose=0).shape == (1, 5, 2)


def test_subclassed_model_has_no_shortcut():
    class Twice(nnkern.Model):
        def call(self, x):
            return x * 2

    model = Twice()
    assert model._array_predictor() is None
    np.testing.assert_array_equal(model.predict(np.ones((2, 2), np.float32), verbose=0), np.full((2, 2), 2.0))


def test_sequential_shortcut_follows_added_layers():
    model = nnkern.Sequential([layers.Input((2,)), layers.Dense(2, kernel_initializer="ones")])
    x = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), [[2.0, 2.0]])
    model.add(layers.Dense(1, kernel_initializer="ones"))
    np.testing.assert_allclose(model.predict(x, verbose=0), [[4.0]])


def test_predict_leaves_no_reference_cycles():
    model, _ = _mlp()
    x = np.ones((1, 6), np.float32)
    model.predict(x, batch_size=1, verbose=0)
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(50):
            model.predict(x, batch_size=1, verbose=0)
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()
