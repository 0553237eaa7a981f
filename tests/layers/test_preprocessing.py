"""Normalization, Rescaling, CenterCrop, Resizing and UpSampling2D's interpolations: Keras goldens, adapt(),
"area" resizing as jax.image.resize computes it, integer images, argument errors, and numpy references for
nearest / bilinear resizing over random sizes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern
from nnkern import layers

from ._golden_layers import check_single, jsonable
from ._norm_helpers import cases_of_kind, single_cases, write_keras2_sequential_h5


@pytest.mark.parametrize("case,arrays", single_cases("Normalization", "Rescaling", "CenterCrop", "Resizing",
                                                     "UpSampling2D"))
def test_layer_matches_keras(case, arrays):
    check_single(case, arrays)


@pytest.mark.parametrize("case,arrays", cases_of_kind("adapt"))
def test_normalization_adapt_matches_keras(case, arrays):
    layer = layers.Normalization(**case["kwargs"])
    layer.adapt(arrays["data"])
    weights = layer.get_weights()
    assert [str(w.dtype) for w in weights] == case["weight_dtypes"]
    for i, got in enumerate(weights):
        np.testing.assert_allclose(got, arrays[f"w{i}"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(arrays["x"]), arrays["y"], rtol=1e-5, atol=1e-5)
    ours, keras = jsonable(layer.get_config()), dict(case["config"])
    ours.pop("name"), keras.pop("name")
    assert ours == keras


def test_normalization_adapted_state_from_keras2_h5(tmp_path):
    """tf.keras 2 stored the adapted mean, variance and an int64 count as the layer's weights."""
    mean, variance = np.array([1.0, 2.0, 3.0], np.float32), np.array([4.0, 0.25, 1.0], np.float32)
    path = tmp_path / "norm.h5"
    write_keras2_sequential_h5(path, (3,), [("Normalization", {"name": "normalization", "axis": [-1], "mean": None,
                                                               "variance": None, "invert": False},
                                             [("mean", mean), ("variance", variance),
                                              ("count", np.array(10, np.int64))])])
    model = nnkern.models.load_model(path)
    x = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]], np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), (x - mean) / np.sqrt(variance), rtol=1e-6)
    assert int(model.layers[0].count.numpy()) == 10


def test_normalization_adapt_on_batches_equals_adapt_on_all():
    data = np.random.default_rng(2).normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    whole, batched = layers.Normalization(), layers.Normalization()
    whole.adapt(data)
    batched.adapt([data[:7], data[7:30], data[30:]])
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(whole.adapt_mean.numpy(), data.mean(axis=0), rtol=1e-5)


@pytest.mark.parametrize("case,arrays", cases_of_kind("jax_area"))
def test_resizing_area_matches_jax(case, arrays):
    height, width = case["size"]
    out = layers.Resizing(height, width, interpolation="area")(arrays["x"])
    np.testing.assert_allclose(out, arrays["y"], rtol=1e-5, atol=1e-5)


def test_resizing_integer_images_round_back_to_their_dtype():
    x = np.arange(2 * 3 * 4 * 1, dtype=np.uint8).reshape(2, 3, 4, 1) * 10
    out = layers.Resizing(5, 3)(x)
    assert out.dtype == np.uint8
    floats = layers.Resizing(5, 3)(x.astype(np.float32))
    np.testing.assert_array_equal(out, np.clip(np.round(floats), 0, 255).astype(np.uint8))
    inp = nnkern.Input((3, 4, 1), dtype="uint8")
    assert layers.Resizing(5, 3)(inp).dtype == "uint8"


@pytest.mark.parametrize("make,message", [
    (lambda: layers.Resizing(4, 4, interpolation="cubic"), "interpolation"),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one"),
    (lambda: layers.Resizing(4, 4, fill_mode="reflect"), "fill_mode"),
    (lambda: layers.Resizing(0, 4), "height"),
    (lambda: layers.CenterCrop(3, -1), "width"),
    (lambda: layers.Normalization(mean=1.0), "both `mean` and `variance`"),
    (lambda: layers.Normalization(mean=[1.0, 2.0], variance=[1.0]), "same shape"),
    (lambda: layers.Normalization(axis=None, mean=[1.0], variance=[1.0]), "rank of `mean`"),
    (lambda: layers.UpSampling2D(interpolation="cubic"), "interpolation"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_input_rank_or_axis_names_the_layer():
    with pytest.raises(ValueError, match="'crop'"):
        layers.CenterCrop(2, 2, name="crop")(nnkern.Input((4,)))
    with pytest.raises(ValueError, match="'norm'.*axis"):
        layers.Normalization(axis=3, name="norm")(nnkern.Input((4,)))
    with pytest.raises(ValueError, match="'norm'.*adapt"):
        layers.Normalization(name="norm", mean=0.0, variance=1.0).adapt(np.ones((5, 3)))
    with pytest.raises(ValueError, match="empty"):
        layers.Normalization().adapt([])


def test_normalization_and_rescaling_pass_masks():
    masked = layers.Masking(0.0)(nnkern.Input((4, 3)))
    assert layers.Normalization(mean=0.0, variance=1.0)(masked)._keras_mask is not None
    assert layers.Rescaling(2.0)(masked)._keras_mask is not None


def _bilinear_reference(x, out_size, axis):
    """Half-pixel-centre linear interpolation with edge clamping, one output sample at a time."""
    in_size = x.shape[axis]
    moved = np.moveaxis(x, axis, 0).astype(np.float64)
    out = np.empty((out_size,) + moved.shape[1:])
    for i in range(out_size):
        src = min(max((i + 0.5) * in_size / out_size - 0.5, 0.0), in_size - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, in_size - 1)
        out[i] = moved[lo] * (1 - (src - lo)) + moved[hi] * (src - lo)
    return np.moveaxis(out, 0, axis)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 12), st.integers(1, 12), st.integers(0, 10 ** 6))
def test_bilinear_and_nearest_resizing_against_numpy(in_h, in_w, out_h, out_w, seed):
    x = np.random.default_rng(seed).normal(size=(2, in_h, in_w, 2)).astype(np.float32)
    expected = _bilinear_reference(_bilinear_reference(x, out_h, 1), out_w, 2)
    np.testing.assert_allclose(layers.Resizing(out_h, out_w)(x), expected, rtol=1e-5, atol=1e-5)
    rows = np.floor((np.arange(out_h) + 0.5) * in_h / out_h).astype(int)
    cols = np.floor((np.arange(out_w) + 0.5) * in_w / out_w).astype(int)
    np.testing.assert_array_equal(layers.Resizing(out_h, out_w, interpolation="nearest")(x),
                                  x[:, rows][:, :, cols])


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("shape", [(2, 5, 7, 3), (1, 4, 6, 2, 5), (3, 6, 4)])
def test_normalization_of_channels_is_elementwise_the_keras_formula(shape, invert):
    # Per-channel statistics of images run on (.., width * channels) rows: the same float32 operations.
    rng = np.random.default_rng(len(shape))
    channels = shape[-1]
    mean = rng.uniform(-1, 1, channels).astype(np.float32)
    var = rng.uniform(0.1, 2, channels).astype(np.float32)
    x = rng.uniform(-3, 3, shape).astype(np.float32)
    layer = layers.Normalization(axis=-1, mean=mean, variance=var, invert=invert)
    y = layer(x)
    std = np.maximum(np.sqrt(var), np.float32(1e-7))
    expected = mean + x * std if invert else (x - mean) / std
    assert y.dtype == np.float32 and y.shape == shape
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(layer(np.asfortranarray(x)), expected)
