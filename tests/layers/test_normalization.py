"""BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization: Keras goldens (outputs,
config, weight paths/shapes, params), BatchNormalization with training=True, Keras 2 `.h5` weights,
argument errors, and numpy references over random shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern
from nnkern import layers
from nnkern.layers.normalization import standardize
from numpy_ref.layer_norm import keras_order_error_bound

from ._golden_layers import check_single
from ._norm_helpers import cases_of_kind, single_cases, write_keras2_sequential_h5


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("case,arrays", single_cases("BatchNormalization", "LayerNormalization",
                                                     "GroupNormalization", "UnitNormalization"))
def test_layer_matches_keras(case, arrays):
    check_single(case, arrays)


@pytest.mark.parametrize("case,arrays", cases_of_kind("bn_training"))
def test_batchnorm_training_uses_batch_statistics_and_updates_moving_ones(case, arrays):
    layer = layers.BatchNormalization(**case["kwargs"])
    layer.build((None, *case["input_shape"]))
    layer.set_weights([arrays[f"w{i}"] for i in range(4)])
    np.testing.assert_allclose(layer(arrays["x"], training=True), arrays["y"], rtol=1e-4, atol=1e-5)
    for got, want in zip(layer.get_weights(), [arrays[f"after{i}"] for i in range(4)]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # At inference the (updated) moving statistics are used, and nothing changes.
    before = layer.get_weights()
    x = arrays["x"]
    axis = case["kwargs"].get("axis", -1) % x.ndim
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    gamma, beta, mean, var = (w.reshape(shape) for w in before)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_batchnorm_training_with_mask_leaves_masked_steps_out():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 2)).astype(np.float32)
    mask = rng.uniform(size=(3, 5)) > 0.4
    layer = layers.BatchNormalization(momentum=0.0)  # moving statistics become the batch's
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(axis=0), rtol=1e-4, atol=1e-5)


def _bn_reference(x, gamma, beta, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * (1 if gamma is None else gamma) + (0 if beta is None else beta)


@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batchnorm_keras2_h5(tmp_path, center, scale):
    """A tf.keras 2 file: axis as the list [3], Keras 2 weight names; gamma/beta absent when scale/center
    are False."""
    rng = np.random.default_rng(1)
    stats = {"gamma": rng.normal(size=3), "beta": rng.normal(size=3), "moving_mean": rng.normal(size=3),
             "moving_variance": rng.uniform(0.5, 2, size=3)}
    names = (["gamma"] if scale else []) + (["beta"] if center else []) + ["moving_mean", "moving_variance"]
    init = {"class_name": "Zeros", "config": {}}
    config = {"name": "batch_normalization", "axis": [3], "momentum": 0.99, "epsilon": 0.01, "center": center,
              "scale": scale, "beta_initializer": init, "gamma_initializer": init,
              "moving_mean_initializer": init, "moving_variance_initializer": {"class_name": "Ones", "config": {}},
              "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}
    path = tmp_path / "bn.h5"
    write_keras2_sequential_h5(path, (4, 4, 3), [("BatchNormalization", config,
                                                  [(n, stats[n].astype(np.float32)) for n in names])])
    model = nnkern.models.load_model(path)
    x = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    expected = _bn_reference(x, stats["gamma"] if scale else None, stats["beta"] if center else None,
                             stats["moving_mean"], stats["moving_variance"], 0.01)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    layer = model.layers[-1]
    assert [w.name for w in layer.weights] == names
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert layer.get_config()["axis"] == 3


@pytest.mark.parametrize("make,message", [
    (lambda: layers.GroupNormalization(groups=0), "groups"),
    (lambda: layers.GroupNormalization(groups=2.5), "groups"),
    (lambda: layers.LayerNormalization(axis="last"), "axis"),
    (lambda: layers.UnitNormalization(axis=1.5), "axis"),
    (lambda: layers.BatchNormalization(synchronized=True), "synchronized"),
    (lambda: layers.BatchNormalization(virtual_batch_size=4), "virtual_batch_size"),
])
def test_bad_arguments_at_construction(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("layer,shape,message", [
    (lambda: layers.GroupNormalization(groups=4, name="gn"), (None, 6), "'gn'.*multiple"),
    (lambda: layers.GroupNormalization(groups=8, name="gn"), (None, 6), "'gn'.*more than"),
    (lambda: layers.BatchNormalization(axis=3, name="bn"), (None, 4, 2), "'bn'.*out of bounds"),
    (lambda: layers.LayerNormalization(axis=[1, -4], name="ln"), (None, 4, 2), "'ln'.*out of bounds"),
    (lambda: layers.UnitNormalization(axis=2, name="un"), (None, 4), "'un'.*out of bounds"),
])
def test_bad_axis_or_groups_at_build(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer()(nnkern.Input(shape[1:]))


def test_masks_pass_through():
    inp = nnkern.Input((4, 3))
    masked = layers.Masking(0.0)(inp)
    for layer in (layers.BatchNormalization(), layers.LayerNormalization(), layers.GroupNormalization(3),
                  layers.UnitNormalization()):
        assert layer(masked)._keras_mask is not None, type(layer).__name__


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.sampled_from([1, 2, 3, 6]), st.integers(0, 10 ** 6),
       st.booleans())
def test_group_normalization_against_numpy(batch, length, groups, seed, rank3):
    rng = np.random.default_rng(seed)
    shape = (batch, length, 6) if rank3 else (batch, 6)
    x = rng.normal(size=shape).astype(np.float32) * 3
    gamma, beta = rng.normal(size=6).astype(np.float32), rng.normal(size=6).astype(np.float32)
    layer = layers.GroupNormalization(groups=groups, epsilon=0.01)
    layer.build((None,) + shape[1:])
    layer.set_weights([gamma, beta])
    expected = np.empty_like(x)
    size = 6 // groups
    for b in range(batch):
        for g in range(groups):
            part = x[b, ..., g * size:(g + 1) * size]
            expected[b, ..., g * size:(g + 1) * size] = (part - part.mean()) / np.sqrt(part.var() + 0.01)
    np.testing.assert_allclose(layer(x), expected * gamma + beta, rtol=1e-4, atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(0, 10 ** 6),
       st.sampled_from([-1, 1, [1, 2]]))
def test_layer_normalization_against_numpy(batch, rows, cols, seed, axis):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, rows, cols)).astype(np.float32)
    layer = layers.LayerNormalization(axis=axis, epsilon=0.001)
    layer.build((None, rows, cols))
    gamma = rng.normal(size=layer.gamma.shape).astype(np.float32)
    beta = rng.normal(size=layer.beta.shape).astype(np.float32)
    layer.set_weights([gamma, beta])
    axes = (1, 2) if axis == [1, 2] else (axis % 3,)
    shape = [1, rows if 1 in axes else 1, cols if 2 in axes else 1]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 0.001) * gamma.reshape(shape) + beta.reshape(shape)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(1, 300), st.booleans(), st.booleans(),
       st.sampled_from([1e-12, 1e-6, 1e-3]), st.integers(0, 10 ** 6))
def test_layer_normalization_kernel_equals_the_numpy_path(lead, cols, center, scale, epsilon, seed):
    # The compiled last-axis path against the numpy one it replaced (standardize), over ranks and lengths, within
    # what Keras's order of operations may lose: x * inv - mean * inv cancels large terms in a row whose variance
    # is small next to its mean or to epsilon (e.g. one element).
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(*lead, cols)) * 2 + rng.normal()).astype(np.float32)
    layer = layers.LayerNormalization(epsilon=epsilon, center=center, scale=scale)
    layer.build((None, *lead[1:], cols))
    assert layer._last_axis_kernel
    weights = [rng.normal(size=cols).astype(np.float32) for _ in layer.weights]
    layer.set_weights(weights)
    gamma = weights[0] if scale else None
    beta = weights[-1] if center else None
    np.testing.assert_array_less(np.abs(layer(x) - standardize(x, (x.ndim - 1,), epsilon, gamma, beta)),
                                 keras_order_error_bound(x, gamma, beta, epsilon))


def test_layer_normalization_kernel_path_only_for_the_last_axis():
    for axis, kernel in ((-1, True), (2, True), ([2], True), (1, False), ([1, 2], False)):
        layer = layers.LayerNormalization(axis=axis)
        layer.build((None, 3, 4))
        assert layer._last_axis_kernel is kernel, axis
    with pytest.warns(UserWarning, match="rms_scaling"):
        rms = layers.LayerNormalization(rms_scaling=True)
    rms.build((None, 4))
    assert not rms._last_axis_kernel
