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
