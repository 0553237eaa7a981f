"""ReLU, LeakyReLU, PReLU, ELU, Softmax (axis, mask) and Keras 2's ThresholdedReLU: Keras goldens, Keras 2
configs (`alpha`, `theta`) in an `.h5` file, edge values and argument errors."""
import numpy as np
import pytest

import nnkern
from nnkern import layers

from ._golden_layers import check_single
from ._norm_helpers import single_cases, write_keras2_sequential_h5


@pytest.mark.parametrize("case,arrays", single_cases("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"))
def test_layer_matches_keras(case, arrays):
    check_single(case, arrays)


def test_keras2_h5_with_old_activation_configs(tmp_path):
    """Keras 2 wrote LeakyReLU(alpha=...) and ThresholdedReLU(theta=...); PReLU with shared_axes."""
    alpha = np.random.default_rng(5).normal(size=(1, 3)).astype(np.float32)
    path = tmp_path / "acts.h5"
    write_keras2_sequential_h5(path, (4, 3), [
        ("LeakyReLU", {"name": "leaky_re_lu", "alpha": 0.1}, []),
        ("ThresholdedReLU", {"name": "thresholded_re_lu", "theta": 0.2}, []),
        ("PReLU", {"name": "p_re_lu", "alpha_initializer": {"class_name": "Zeros", "config": {}},
                   "alpha_regularizer": None, "alpha_constraint": None, "shared_axes": [1]}, [("alpha", alpha)]),
    ])
    model = nnkern.models.load_model(path)
    x = np.random.default_rng(6).normal(size=(2, 4, 3)).astype(np.float32)
    h = np.where(x > 0, x, 0.1 * x)
    h = h * (h > 0.2)
    expected = np.where(h > 0, h, alpha * h)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
    assert model.layers[0].get_config()["negative_slope"] == 0.1
    assert model.layers[1].get_config()["theta"] == 0.2


def test_relu_threshold_edge_is_zero():
    x = np.array([[0.5, 0.49, 0.51, -1.0]], dtype=np.float32)
    np.testing.assert_allclose(layers.ReLU(threshold=0.5)(x), [[0.0, 0.0, 0.51, 0.0]])
    np.testing.assert_allclose(layers.ReLU(threshold=0.5, negative_slope=0.1)(x),
                               [[0.0, -0.001, 0.51, -0.15]], rtol=1e-5)


def test_softmax_mask_argument_and_broadcast_errors():
    x = np.random.default_rng(7).normal(size=(2, 3, 4)).astype(np.float32)
    mask = np.array([[[True, False, True, True]], [[False, False, True, False]]])
    out = layers.Softmax()(x, mask=mask)
    kept = np.where(mask, np.exp(x), 0)
    np.testing.assert_allclose(out, kept / kept.sum(axis=-1, keepdims=True), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="broadcastable"):
        layers.Softmax(name="sm")(x, mask=np.ones((2, 3, 5), dtype=bool))


@pytest.mark.parametrize("make,message", [
    (lambda: layers.ReLU(max_value=-1.0), "max_value"),
    (lambda: layers.ReLU(negative_slope=-0.1), "negative_slope"),
    (lambda: layers.ReLU(threshold=None), "threshold"),
    (lambda: layers.LeakyReLU(negative_slope=-1), "negative_slope"),
    (lambda: layers.LeakyReLU(alpha=None), "negative_slope"),
    (lambda: layers.ThresholdedReLU(theta=-0.5), "theta"),
    (lambda: layers.PReLU(alpha_initializer="no_such_initializer"), "initializer"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_shared_axis_out_of_range_names_the_layer():
    with pytest.raises(ValueError, match="'pr'.*shared axis 3"):
        layers.PReLU(shared_axes=[3], name="pr")(nnkern.Input((4, 2)))


def test_masks_pass_through():
    masked = layers.Masking(0.0)(nnkern.Input((4, 3)))
    for layer in (layers.ReLU(), layers.LeakyReLU(), layers.PReLU(), layers.ELU(), layers.Softmax(),
                  layers.ThresholdedReLU()):
        assert layer(masked)._keras_mask is not None, type(layer).__name__
