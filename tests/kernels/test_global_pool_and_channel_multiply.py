"""nnkern._core.global_avg_pool (GlobalAveragePooling1D/2D/3D) and multiply_channels (a squeeze-and-excitation
Multiply) against float64 numpy references over random shapes, across threads, and on bad input; the layers
taking these paths give Keras's values."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern
from nnkern import _core, layers

shapes = st.tuples(st.integers(0, 3), st.lists(st.integers(1, 40), min_size=1, max_size=3), st.integers(0, 300))


@settings(max_examples=60, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_global_avg_pool_matches_float64_mean(shape, seed):
    n, steps, c = shape
    x = np.random.default_rng(seed).standard_normal((n, *steps, c)).astype(np.float32)
    got = _core.global_avg_pool(x)
    assert got.shape == (n, c) and got.dtype == np.float32
    want = x.astype(np.float64).mean(axis=tuple(range(1, x.ndim - 1))) if n * c else np.zeros((n, c))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_global_avg_pool_blocked_sum_is_accurate_over_many_steps():
    # 200,000 steps of 1 + tiny noise: a sequential float32 sum would drift by ~1e-3 relative.
    x = (1.0 + 1e-3 * np.random.default_rng(0).standard_normal((1, 200_000, 3))).astype(np.float32)
    np.testing.assert_allclose(_core.global_avg_pool(x), x.astype(np.float64).mean(axis=1), rtol=2e-6)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, keep_rank=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_multiply_channels_is_the_broadcast_product(shape, keep_rank, seed):
    n, steps, c = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *steps, c)).astype(np.float32)
    s = rng.standard_normal((n, c)).astype(np.float32)
    s_given = s.reshape((n,) + (1,) * len(steps) + (c,)) if keep_rank else s
    got = _core.multiply_channels(x, s_given)
    np.testing.assert_array_equal(got, x * s.reshape((n,) + (1,) * len(steps) + (c,)))  # one rounding: exact


def test_threads_give_the_same_values(on_threads):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 56, 56, 96)).astype(np.float32)
    s = rng.standard_normal((4, 1, 1, 96)).astype(np.float32)
    on_threads(lambda: _core.global_avg_pool(x))
    np.testing.assert_array_equal(on_threads(lambda: _core.multiply_channels(x, s)), x * s)


def test_any_numpy_layout_is_accepted():
    x = np.asfortranarray(np.random.default_rng(2).standard_normal((2, 5, 6, 7)))  # float64, Fortran order
    np.testing.assert_allclose(_core.global_avg_pool(x), x.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    s = np.arange(14.0).reshape(2, 1, 1, 7)[..., ::-1]
    np.testing.assert_allclose(_core.multiply_channels(x, s), x * s, rtol=1e-6)


@pytest.mark.parametrize("fn,args,match", [
    (_core.global_avg_pool, (np.zeros((2, 3)),), r"global_avg_pool: 'x' must be 3-D to 5-D .* got shape \(2, 3\)"),
    (_core.global_avg_pool, (np.zeros((1, 2, 2, 2, 2, 2)),), "must be 3-D to 5-D"),
    (_core.global_avg_pool, (np.zeros((1, 0, 3)),), r"no steps to average, shape \(1, 0, 3\)"),
    (_core.multiply_channels, (np.zeros((2, 4, 4, 3)), np.zeros((2, 1, 1, 4))),
     r"multiply_channels: 'scale' must have shape \(2, 1, 1, 3\) or \(2, 3\) for x of shape \(2, 4, 4, 3\), "
     r"got \(2, 1, 1, 4\)"),
    (_core.multiply_channels, (np.zeros((2, 4, 4, 3)), np.zeros((1, 1, 1, 3))), "'scale' must have shape"),
    (_core.multiply_channels, (np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 1, 3))), "'scale' must have shape"),
    (_core.multiply_channels, (np.zeros(3), np.zeros(3)), "'x' must be at least 2-D"),
])
def test_bad_shapes_raise(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)


def test_bad_dtypes_raise():
    with pytest.raises(TypeError, match="global_avg_pool: 'x' .* complex"):
        _core.global_avg_pool(np.zeros((1, 2, 3), np.complex64))
    with pytest.raises(TypeError, match="multiply_channels: 'scale'"):
        _core.multiply_channels(np.zeros((1, 2, 3)), "abc")


def test_squeeze_and_excitation_block_as_keras_computes_it():
    # The layers take the kernels for float32 channels_last inputs: values as numpy's mean and product.
    x = nnkern.Input((9, 9, 16))
    se = layers.GlobalAveragePooling2D(keepdims=True)(x)
    se = layers.Conv2D(16, 1, activation="sigmoid")(se)
    y = layers.Multiply()([x, se])
    pooled = layers.GlobalAveragePooling2D()(y)
    model = nnkern.Model(x, [y, pooled, se])
    xs = np.random.default_rng(3).standard_normal((2, 9, 9, 16)).astype(np.float32)
    got_y, got_pooled, got_se = model.predict(xs, verbose=0)
    assert got_se.shape == (2, 1, 1, 16)
    np.testing.assert_array_equal(got_y, xs * got_se)
    np.testing.assert_allclose(got_pooled, (xs * got_se).astype(np.float64).mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    # Weights first: Multiply()([se, x]) is the same product.
    flipped = nnkern.Model(x, layers.Multiply()([se, x]))
    np.testing.assert_array_equal(flipped.predict(xs, verbose=0), got_y)
