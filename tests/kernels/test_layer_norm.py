"""nnkern._core.layer_norm against the numpy reference over random shapes (with and without gamma, beta and
a residual), rows independent of their position and of the thread count, and bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnkern import _core
from numpy_ref.layer_norm import keras_order_error_bound, layer_norm as layer_norm_ref


def _arrays(rng, shape, offset=0.0):
    x = (rng.normal(size=shape) * rng.uniform(0.5, 3.0) + offset).astype(np.float32)
    gamma = rng.uniform(-2, 2, shape[-1:]).astype(np.float32)
    beta = rng.uniform(-1, 1, shape[-1:]).astype(np.float32)
    return x, gamma, beta


@settings(max_examples=150, deadline=None)
@given(shape=st.lists(st.integers(0, 9), min_size=0, max_size=3).flatmap(
           lambda lead: st.integers(1, 300).map(lambda n: tuple(lead) + (n,))),
       center=st.booleans(), scale=st.booleans(), with_residual=st.booleans(),
       epsilon=st.sampled_from([1e-12, 1e-6, 1e-3, 0.5]), offset=st.sampled_from([0.0, 3.0]),
       seed=st.integers(0, 2**31))
def test_matches_numpy_reference(shape, center, scale, with_residual, epsilon, offset, seed):
    rng = np.random.default_rng(seed)
    x, gamma, beta = _arrays(rng, shape, offset)
    gamma, beta = gamma if scale else None, beta if center else None
    residual = rng.normal(size=shape).astype(np.float32) if with_residual else None
    got = _core.layer_norm(x, gamma, beta, epsilon, residual=residual)
    assert got.shape == x.shape and got.dtype == np.float32
    want = layer_norm_ref(x, gamma, beta, epsilon, residual)
    np.testing.assert_array_less(np.abs(got - want), keras_order_error_bound(x, gamma, beta, epsilon, residual))



def test_constant_rows_give_beta():
    # Variance 0: the output is beta up to the rounding of x * inv - mean * inv (Keras's order).
    x = np.full((3, 7), 2.5, np.float32)
    beta = np.arange(7, dtype=np.float32)
    np.testing.assert_allclose(_core.layer_norm(x, np.ones(7, np.float32), beta, 1e-3), np.tile(beta, (3, 1)),
                               rtol=0, atol=1e-5)


def test_a_row_does_not_depend_on_its_neighbours_or_its_address():
    # Rows of 13 floats start at every alignment; the same row alone must give the same bits.
    rng = np.random.default_rng(1)
    x, gamma, beta = _arrays(rng, (40, 13))
    y = _core.layer_norm(x, gamma, beta, 1e-6)
    for r in (0, 1, 5, 39):
        np.testing.assert_array_equal(_core.layer_norm(x[r:r + 1].copy(), gamma, beta, 1e-6), y[r:r + 1])


def test_residual_is_the_float32_sum_first():
    rng = np.random.default_rng(2)
    x, gamma, beta = _arrays(rng, (4, 33))
    r = rng.normal(size=x.shape).astype(np.float32)
    np.testing.assert_array_equal(_core.layer_norm(x, gamma, beta, 1e-6, residual=r),
                                  _core.layer_norm(x + r, gamma, beta, 1e-6))


def test_bitwise_identical_on_1_2_3_threads(on_threads):
    rng = np.random.default_rng(3)
    x, gamma, beta = _arrays(rng, (8, 128, 256))
    r = rng.normal(size=x.shape).astype(np.float32)
    y = on_threads(lambda: _core.layer_norm(x, gamma, beta, 1e-12, residual=r))
    np.testing.assert_allclose(y, layer_norm_ref(x, gamma, beta, 1e-12, r), rtol=1e-4, atol=2e-5)


def test_out_buffer():
    rng = np.random.default_rng(4)
    x, gamma, beta = _arrays(rng, (2, 3, 5))
    out = np.empty_like(x)
    assert _core.layer_norm(x, gamma, beta, out=out) is out
    np.testing.assert_allclose(out, layer_norm_ref(x, gamma, beta), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(x=np.float32(1.0)), ValueError, r"'x' must have at least 1 axis"),
    (dict(gamma=np.ones(4, np.float32)), ValueError, r"'gamma' must have shape \(5,\), got \(4,\)"),
    (dict(beta=np.ones((1, 5), np.float32)), ValueError, r"'beta' must have shape \(5,\), got \(1, 5\)"),
    (dict(residual=np.ones((2, 5), np.float32)), ValueError, r"'residual' must have shape \(2, 3, 5\)"),
    (dict(epsilon=-1.0), ValueError, r"'epsilon' must be a finite number >= 0"),
    (dict(epsilon=float("nan")), ValueError, r"'epsilon' must be a finite number >= 0"),
    (dict(x=np.zeros((2, 3, 5), np.complex64)), TypeError, r"'x' cannot be converted"),
    (dict(out=np.zeros((2, 3, 4), np.float32)), ValueError, r"'out' must have shape \(2, 3, 5\)"),
])
def test_bad_arguments(kwargs, error, match):
    args = dict(x=np.zeros((2, 3, 5), np.float32), gamma=np.ones(5, np.float32), beta=np.zeros(5, np.float32))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        _core.layer_norm(**args)
