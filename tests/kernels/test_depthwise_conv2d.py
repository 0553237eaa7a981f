"""nnkern._core.depthwise_conv2d against Keras goldens, the numpy reference, and bad arguments."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from _kernel_checks import assert_refuses, random_conv_arrays
from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.depthwise_conv2d import depthwise_conv2d as depthwise_ref

# The DepthwiseConv2D layer cases of tests/golden/gen_depthwise.py whose activation the kernel fuses.
CASES = [(c, a) for c, a in load_cases("depthwise")
         if c.get("class_name") == "DepthwiseConv2D" and c["config"]["activation"] in ACTIVATIONS]


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_matches_keras(case, arrays):
    config = case["config"]
    bias = arrays["w1"] if config["use_bias"] else None
    y = _core.depthwise_conv2d(arrays["x"], arrays["w0"], bias, strides=tuple(config["strides"]),
                               padding=config["padding"], dilation_rate=tuple(config["dilation_rate"]),
                               activation=config["activation"])
    assert y.dtype == np.float32 and y.shape == arrays["y0"].shape
    np.testing.assert_allclose(y, arrays["y0"], rtol=1e-4, atol=1e-5)


def test_notebook_value():
    # Two channels, each convolved with its own 3x3 kernel: channel 0 with 1..9, channel 1 with -(1..9).
    x = np.stack([np.arange(1, 17), np.ones(16)], axis=-1).reshape(1, 4, 4, 2).astype(np.float32)
    kernel = np.stack([np.arange(1, 10), -np.arange(1, 10)], axis=-1).reshape(3, 3, 2, 1).astype(np.float32)
    y = _core.depthwise_conv2d(x, kernel, np.array([0.0, 1.0]))
    np.testing.assert_array_equal(y[0, :, :, 0], [[348, 393], [528, 573]])
    np.testing.assert_array_equal(y[0, :, :, 1], np.full((2, 2), -44.0))


_pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=150, deadline=None)
@given(batch=st.integers(0, 3), h=st.integers(1, 10), w=st.integers(1, 12), channels=st.integers(1, 21),
       multiplier=st.integers(1, 5), kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)), strides=_pairs,
       dilation=_pairs, padding=st.sampled_from(["valid", "same"]), act=st.sampled_from(sorted(ACTIVATIONS)),
       use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_matches_numpy_reference(batch, h, w, channels, multiplier, kernel, strides, dilation, padding, act,
                                 use_bias, seed):
    if padding == "valid":
        assume((kernel[0] - 1) * dilation[0] < h and (kernel[1] - 1) * dilation[1] < w)
    x, k, b = random_conv_arrays(seed, (batch, h, w, channels), kernel + (channels, multiplier),
                                 channels * multiplier, use_bias)
    y = _core.depthwise_conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation, activation=act)
    expected = depthwise_ref(x, k, b, strides, padding, dilation, act)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape,kernel,kw", [
    ((2, 30, 28, 32), (3, 3, 32, 1), dict(padding="same")),                # MobileNet-like, many rows
    ((1, 21, 19, 144), (3, 3, 144, 1), dict(padding="same", strides=2)),   # strided, 144 = 9 x 16 channels
    ((3, 9, 9, 37), (5, 5, 37, 2), dict(dilation_rate=(1, 2), padding="same", activation="softmax")),
    ((1, 40, 40, 8), (3, 1, 8, 3), dict(strides=(2, 1))),                  # depth_multiplier 3: expanded rows
    ((2, 9, 23, 80), (5, 5, 80, 1), dict(padding="same")),                 # 5 wide at stride 1, channel chunks
    ((1, 12, 17, 6), (3, 3, 6, 5), dict(padding="same", activation="relu")),  # depth_multiplier 5
    ((2, 3, 3, 16), (7, 7, 16, 1), dict(padding="same")),                  # kernel larger than the input
])
def test_large_and_threaded_paths_match_numpy_reference(threads, shape, kernel, kw):
    x, k, b = random_conv_arrays(7, shape, kernel, kernel[2] * kernel[3], x_range=1.0)
    y = _core.depthwise_conv2d(x, k, b, **kw)
    args = {"strides": 1, "padding": "valid", "dilation_rate": 1, "activation": "linear", **kw}
    expected = depthwise_ref(x, k, b, args["strides"], args["padding"], args["dilation_rate"], args["activation"])
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=5e-5)


def test_equals_grouped_conv2d():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 11, 10, 6)).astype(np.float32)
    k = rng.standard_normal((3, 3, 6, 2)).astype(np.float32)
    y = _core.depthwise_conv2d(x, k, strides=2, padding="same")
    grouped = _core.conv2d(x, k.reshape(3, 3, 1, 12), strides=2, padding="same", groups=6)
    np.testing.assert_allclose(y, grouped, rtol=1e-5, atol=1e-5)


def test_empty_batch_and_spatial_sizes():
    assert _core.depthwise_conv2d(np.zeros((0, 9, 11, 3)), np.zeros((3, 3, 3, 2)), padding="same").shape == \
        (0, 9, 11, 6)
    assert _core.depthwise_conv2d(np.zeros((2, 0, 5, 3)), np.zeros((3, 3, 3, 1)), padding="same").shape == \
        (2, 0, 5, 3)
    assert _core.depthwise_conv2d(np.zeros((2, 5, 5, 0)), np.zeros((3, 3, 0, 2))).shape == (2, 3, 3, 0)


def test_any_numpy_input_layout_is_accepted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 5, 3))
    k = rng.standard_normal((3, 3, 3, 2))
    expected = _core.depthwise_conv2d(x.astype(np.float32), k.astype(np.float32), padding="same")
    for v in [x, np.asfortranarray(x), x[::-1].copy()[::-1], x.astype(">f4"), x[:, :, ::-1][:, :, ::-1]]:
        np.testing.assert_allclose(_core.depthwise_conv2d(v, np.asfortranarray(k), padding="same"), expected,
                                   rtol=1e-6)
    ints = np.arange(16).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(_core.depthwise_conv2d(ints, np.ones((1, 1, 1, 1), np.int64)),
                                  ints.astype(np.float32))


def test_out_is_written_and_returned():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    expected = _core.depthwise_conv2d(x, k, padding="same", activation="relu")
    out = np.full((2, 7, 6, 6), np.nan, np.float32)
    assert _core.depthwise_conv2d(x, k, padding="same", activation="relu", out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("out,exc,match", [
    (np.empty((2, 7, 6, 5), np.float32), ValueError, r"'out' must have shape \(2, 7, 6, 6\), got \(2, 7, 6, 5\)"),
    (np.empty((2, 7, 6, 6)), TypeError, r"'out' must have dtype float32, got float64"),
    (np.empty((2, 7, 6, 12), np.float32)[..., ::2], ValueError, "'out' must be C-contiguous"),
    ([[0.0]], TypeError, r"'out' must be a numpy float32 array of shape \(2, 7, 6, 6\), got list"),
])
def test_bad_out_raises(out, exc, match):
    with pytest.raises(exc, match=match):
        _core.depthwise_conv2d(np.zeros((2, 7, 6, 3)), np.zeros((3, 3, 3, 2)), padding="same", out=out)


def test_out_sharing_memory_with_an_input_raises():
    x = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match="'out' shares memory with 'x'"):
        _core.depthwise_conv2d(x, np.zeros((1, 1, 2, 1), np.float32), out=x)
    read_only = np.zeros((1, 4, 4, 2), np.float32)
    read_only.setflags(write=False)
    with pytest.raises(ValueError, match="'out' must be writeable"):
        _core.depthwise_conv2d(np.zeros((1, 4, 4, 2)), np.zeros((1, 1, 2, 1)), out=read_only)


_X = (2, 9, 11, 3)


@pytest.mark.parametrize("x_shape,k_shape,kw,match", [
    ((9, 11, 3), (3, 3, 3, 1), {},
     r"depthwise_conv2d: 'x' must be 4-D \(batch, height, width, channels\), got shape \(9, 11, 3\)"),
    (_X, (3, 3, 3), {}, r"'kernel' must be 4-D \(kernel_h, kernel_w, channels, depth_multiplier\)"),
    (_X, (3, 3, 4, 1), {}, r"kernel expects 4 input channels \(kernel shape \(3, 3, 4, 1\)\), x has 3 "
                           r"\(x shape \(2, 9, 11, 3\)\)"),
    (_X, (3, 3, 3, 0), {}, r"depth_multiplier \(last axis\) must be >= 1, got kernel shape \(3, 3, 3, 0\)"),
    (_X, (10, 3, 3, 1), {}, r"depthwise_conv2d: kernel height 10 \(dilated\) is larger than the padded input "
                            r"height 9.*empty/negative output"),
    (_X, (3, 5, 3, 1), {"dilation_rate": (1, 3)}, r"kernel width 13 \(dilated\).*input width 11"),
    (_X, (3, 3, 3, 1), {"strides": 0}, r"'strides' must be >= 1, got 0"),
    (_X, (3, 3, 3, 1), {"strides": (1, -2)}, r"'strides' must be >= 1, got \(1, -2\)"),
    (_X, (3, 3, 3, 1), {"strides": (1, 2, 3)}, r"'strides' must be an int or a pair of ints"),
    (_X, (3, 3, 3, 1), {"dilation_rate": 0}, r"'dilation_rate' must be >= 1, got 0"),
    (_X, (3, 3, 3, 1), {"padding": "causal"}, r"depthwise_conv2d: padding must be 'valid' or 'same', got 'causal'"),
    (_X, (3, 3, 3, 1), {"activation": "nope"}, r"depthwise_conv2d: unknown activation 'nope'"),
    (_X, (3, 3, 3, 2), {"bias": np.zeros(3)}, r"'bias' must have shape \(6,\), got \(3,\)"),
    (_X, (3, 3, 3, 1), {"dilation_rate": 2**62, "padding": "same"}, r"depthwise_conv2d.*too large"),
])
def test_bad_arguments_raise_value_error(x_shape, k_shape, kw, match):
    assert_refuses(_core.depthwise_conv2d, x_shape, k_shape, kw, match)


def test_bad_types():
    x, k = np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1))
    with pytest.raises(TypeError, match="depthwise_conv2d: 'strides' must be an int or a pair of ints"):
        _core.depthwise_conv2d(x, k, strides=1.5)
    with pytest.raises(TypeError, match="'x' cannot be converted to a float32 array"):
        _core.depthwise_conv2d(np.array([[[["a"]]]]), k)
    with pytest.raises(TypeError, match="'kernel' cannot be converted to a float32 array"):
        _core.depthwise_conv2d(x, {"k": 1})
    with pytest.raises(ValueError, match="'x' must be an array, got None"):
        _core.depthwise_conv2d(None, k)
