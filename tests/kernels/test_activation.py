"""Activations shared by the fused kernels, against the numpy reference of Keras 3's definitions."""
import numpy as np
import pytest

from nnkern import _core
from numpy_ref.activations import ACTIVATIONS, activation


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_reference(name):
    x = np.linspace(-8, 8, 97, dtype=np.float32).reshape(1, 97)
    np.testing.assert_allclose(_core.activation(x, name), activation(x, name), rtol=2e-5, atol=2e-6)


def test_keras3_hard_sigmoid_not_keras2():
    # Keras 3: clip(x/6 + 0.5, 0, 1); Keras 2's 0.2x + 0.5 would give 0.9 at x = 2.
    np.testing.assert_allclose(_core.activation(np.array([2.0, 3.0, -3.0]), "hard_sigmoid"),
                               [2 / 6 + 0.5, 1.0, 0.0], rtol=1e-6)


def test_softmax_notebook_values():
    np.testing.assert_allclose(_core.activation(np.array([[8.0, 2.0, 9.0, 3.0]]), "softmax"),
                               [[0.26827645, 6.649908e-4, 0.72925097, 1.8076325e-3]], rtol=1e-6)


def test_softmax_extreme_values_stay_finite():
    y = _core.activation(np.array([[1e30, -1e30, 0.0]], np.float32), "softmax")
    np.testing.assert_array_equal(y, [[1.0, 0.0, 0.0]])


def test_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation"):
        _core.activation(np.zeros(3), "sigmoidz")


def _ulps(got, want):
    """Distance in float32 units in the last place of `want` (float64)."""
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


def _sigmoid64(x):
    x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name", ["sigmoid", "swish"])
def test_sigmoid_and_swish_within_a_few_ulps_over_the_float_range(name):
    # sigmoid.hpp: one exp and a correctly rounded quotient (2 ulps), swish one product more (3 ulps).
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-30, 30, 20001), rng.standard_normal(10000) * 20,
                        -np.geomspace(30, 87, 1000), np.geomspace(1e-30, 1, 1000)]).astype(np.float32)
    want = _sigmoid64(x) * (x.astype(np.float64) if name == "swish" else 1.0)
    got = _core.activation(x, name)
    normal = np.abs(want) >= np.finfo(np.float32).tiny
    assert _ulps(got[normal], want[normal]).max() <= (2.0 if name == "sigmoid" else 3.0)


def test_sigmoid_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.0, -88.0, -100.0, -104.0, -120.0, 1e-45, -1e-45],
                 np.float32)
    got = _core.activation(x, "sigmoid")
    np.testing.assert_array_equal(got[:4], [0.5, 0.5, 1.0, 0.0])
    assert np.isnan(got[4])
    assert got[5] == 1.0
    # Below -87 the value is subnormal, rounded as exp(x) would be; then 0.
    np.testing.assert_allclose(got[6:9], np.exp(np.float64([-88.0, -100.0, -104.0])).astype(np.float32), rtol=0.05,
                               atol=0)
    assert got[9] == 0.0
    np.testing.assert_array_equal(got[10:], [0.5, 0.5])


def test_swish_special_values_as_keras():
    # Keras's swish is x * sigmoid(x): -inf * 0 is NaN there too.
    got = _core.activation(np.array([np.inf, -np.inf, np.nan, 0.0, -200.0], np.float32), "swish")
    assert got[0] == np.inf
    assert np.isnan(got[1]) and np.isnan(got[2])
    np.testing.assert_array_equal(got[3:], [0.0, 0.0])


@pytest.mark.parametrize("name", ["sigmoid", "swish"])
def test_sigmoid_value_independent_of_position(name):
    # The tail runs the same packet code as the body, and unaligned rows the same code as aligned ones.
    x = (np.random.default_rng(1).standard_normal(1000) * 10).astype(np.float32)
    whole = _core.activation(x, name)
    for start in (1, 3, 17, 500):
        for stop in (start + 1, start + 5, 1000):
            np.testing.assert_array_equal(_core.activation(x[start:stop].copy(), name), whole[start:stop])
    buffer = np.empty(1001, np.float32)[1:]  # 4 bytes past an aligned start
    buffer[:] = x
    np.testing.assert_array_equal(_core.activation(buffer, name), whole)


def test_swish_is_x_times_sigmoid():
    x = (np.random.default_rng(2).standard_normal(999) * 10).astype(np.float32)
    np.testing.assert_array_equal(_core.activation(x, "swish"), x * _core.activation(x, "sigmoid"))
