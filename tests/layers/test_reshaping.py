"""Shape-only layers against a numpy reference over random shapes and arguments (hypothesis), and their
argument errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnkern import layers

small = st.integers(1, 4)


def rand(shape, seed):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(b=small, t=small, c=small, left=st.integers(0, 3), right=st.integers(0, 3), size=small,
       seed=st.integers(0, 999))
def test_1d_layers_match_numpy(b, t, c, left, right, size, seed):
    x = rand((b, t, c), seed)
    np.testing.assert_array_equal(layers.UpSampling1D(size)(x), np.repeat(x, size, axis=1))
    np.testing.assert_array_equal(layers.ZeroPadding1D((left, right))(x),
                                  np.pad(x, ((0, 0), (left, right), (0, 0))))
    if left + right < t:
        np.testing.assert_array_equal(layers.Cropping1D((left, right))(x), x[:, left:t - right])
    np.testing.assert_array_equal(layers.RepeatVector(size)(x[:, 0]), np.repeat(x[:, None, 0], size, axis=1))
    np.testing.assert_array_equal(layers.Flatten()(x), x.reshape(b, -1))
    np.testing.assert_array_equal(layers.Permute((2, 1))(x), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(layers.Reshape((c, -1))(x), x.reshape(b, c, -1))


@settings(max_examples=25, deadline=None)
@given(b=small, h=small, w=small, c=small, pads=st.lists(st.integers(0, 2), min_size=4, max_size=4),
       sizes=st.tuples(small, small), channels_first=st.booleans(), seed=st.integers(0, 999))
def test_2d_layers_match_numpy(b, h, w, c, pads, sizes, channels_first, seed):
    fmt = "channels_first" if channels_first else "channels_last"
    x = rand((b, c, h, w) if channels_first else (b, h, w, c), seed)
    hw = (2, 3) if channels_first else (1, 2)
    padding = ((pads[0], pads[1]), (pads[2], pads[3]))
    pad_width = [(0, 0)] * 4
    pad_width[hw[0]], pad_width[hw[1]] = padding
    np.testing.assert_array_equal(layers.ZeroPadding2D(padding, data_format=fmt)(x), np.pad(x, pad_width))
    up = np.repeat(np.repeat(x, sizes[0], axis=hw[0]), sizes[1], axis=hw[1])
    np.testing.assert_array_equal(layers.UpSampling2D(sizes, data_format=fmt)(x), up)
    if pads[0] + pads[1] < h and pads[2] + pads[3] < w:
        crop = [slice(None)] * 4
        crop[hw[0]] = slice(pads[0], h - pads[1])
        crop[hw[1]] = slice(pads[2], w - pads[3])
        np.testing.assert_array_equal(layers.Cropping2D(padding, data_format=fmt)(x), x[tuple(crop)])


@settings(max_examples=25, deadline=None)
@given(b=small, shape=st.lists(small, min_size=1, max_size=3), n=st.integers(2, 4), seed=st.integers(0, 999))
def test_merge_layers_match_numpy(b, shape, n, seed):
    xs = [rand((b, *shape), seed + i) for i in range(n)]
    np.testing.assert_allclose(layers.Add()(xs), np.sum(xs, axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layers.Average()(xs), np.mean(xs, axis=0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layers.Multiply()(xs), np.prod(xs, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layers.Maximum()(xs), np.max(xs, axis=0))
    np.testing.assert_array_equal(layers.Minimum()(xs), np.min(xs, axis=0))
    np.testing.assert_array_equal(layers.Concatenate(axis=1)(xs), np.concatenate(xs, axis=1))
    np.testing.assert_allclose(layers.Subtract()(xs[:2]), xs[0] - xs[1], rtol=1e-6)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Permute((1, 1)), "dims"),
    (lambda: layers.Reshape((-1, -1)), "-1"),
    (lambda: layers.Cropping1D((1, 2, 3)), "cropping"),
    (lambda: layers.ZeroPadding2D(((1, 2, 3), (1, 1))), "padding"),
    (lambda: layers.UpSampling2D(interpolation="cubic"), "interpolation"),
    (lambda: layers.Dot(axes=(1, 2, 3)), "axes"),
])
def test_bad_arguments_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()(np.zeros((1, 4, 4, 2), np.float32))


def test_cropping_more_than_the_input_names_the_layer():
    with pytest.raises(ValueError, match="crop"):
        layers.Cropping1D((2, 2), name="crop")(np.zeros((1, 3, 2), np.float32))
