"""nnkern._core.expand_depthwise_conv2d: a 1x1 expansion and the depthwise convolution after it in one pass
(MobileNetV2's and EfficientNet's inverted residual blocks), against the numpy references of the two layers
and the two separate kernel calls; its bad arguments; expand_depthwise_pays."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.conv2d import conv2d as conv2d_ref
from numpy_ref.depthwise_conv2d import depthwise_conv2d as depthwise_ref

_ELEMENTWISE = sorted(a for a in ACTIVATIONS if "softmax" not in a)


def _arrays(seed, shape, expanded, kernel, use_bias=True):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    expand_kernel = rng.uniform(-0.5, 0.5, (1, 1, shape[-1], expanded)).astype(np.float32)
    expand_bias = rng.uniform(-0.5, 0.5, expanded).astype(np.float32) if use_bias else None
    k = rng.uniform(-1, 1, kernel + (expanded, 1)).astype(np.float32)
    b = rng.uniform(-1, 1, expanded).astype(np.float32) if use_bias else None
    return x, expand_kernel, expand_bias, k, b


@settings(max_examples=120, deadline=None)
@given(batch=st.integers(0, 3), h=st.integers(1, 11), w=st.integers(1, 12), channels=st.sampled_from([1, 3, 16, 70]),
       expanded=st.sampled_from([1, 5, 16, 32, 40]), kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.sampled_from(["valid", "same"]), expand_act=st.sampled_from(_ELEMENTWISE),
       act=st.sampled_from(_ELEMENTWISE), use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_matches_numpy_reference(batch, h, w, channels, expanded, kernel, strides, dilation, padding, expand_act, act,
                                 use_bias, seed):
    # Every path: the direct 1x1 (few input channels, whole packets) or a product per row (70 channels, or
    # 5 / 1 / 40 expanded channels on AVX-512), sliding or not, strided, dilated, padded, taller than the input.
    if padding == "valid":
        assume((kernel[0] - 1) * dilation[0] < h and (kernel[1] - 1) * dilation[1] < w)
    x, ek, eb, k, b = _arrays(seed, (batch, h, w, channels), expanded, kernel, use_bias)
    y = _core.expand_depthwise_conv2d(x, ek, eb, expand_act, k, b, strides=strides, padding=padding,
                                      dilation_rate=dilation, activation=act)
    expected = depthwise_ref(conv2d_ref(x, ek, eb, act=expand_act), k, b, strides, padding, dilation, act)
    assert y.shape == expected.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=5e-5)


@pytest.mark.parametrize("shape,expanded,kernel,kw", [
    ((1, 112, 112, 16), 96, (3, 3), dict(strides=2, padding="same", activation="relu6")),  # MobileNetV2 block 1
    ((2, 56, 56, 24), 144, (3, 3), dict(padding="same", activation="swish")),              # 2 images
    ((1, 57, 55, 24), 144, (5, 5), dict(strides=2, padding="same", activation="swish")),   # odd sizes
    ((3, 20, 9, 8), 32, (3, 3), dict(padding="valid", dilation_rate=(2, 1))),              # split mid-image
])
def test_large_and_threaded_paths_equal_the_separate_calls(threads, shape, expanded, kernel, kw):
    x, ek, eb, k, b = _arrays(3, shape, expanded, kernel)
    act = kw.get("activation", "linear")
    y = _core.expand_depthwise_conv2d(x, ek, eb, act, k, b, **kw)
    separate = _core.depthwise_conv2d(_core.conv2d(x, ek, eb, activation=act), k, b, **kw)
    np.testing.assert_array_equal(y, separate)  # the same sums in the same order: bitwise


def test_empty_batch_and_out():
    x, ek, eb, k, b = _arrays(1, (0, 6, 6, 4), 16, (3, 3))
    assert _core.expand_depthwise_conv2d(x, ek, eb, "relu", k, b, padding="same").shape == (0, 6, 6, 16)
    x, ek, eb, k, b = _arrays(1, (2, 6, 6, 4), 16, (3, 3))
    out = np.full((2, 3, 3, 16), np.nan, np.float32)
    assert _core.expand_depthwise_conv2d(x, ek, eb, "relu", k, b, strides=2, padding="same", out=out) is out
    np.testing.assert_array_equal(out, _core.depthwise_conv2d(_core.conv2d(x, ek, eb, activation="relu"), k, b,
                                                              strides=2, padding="same"))
    buffer = np.zeros(4 * 4 * 16, np.float32)
    x, out = buffer[:64].reshape(1, 4, 4, 4), buffer.reshape(1, 4, 4, 16)
    with pytest.raises(ValueError, match="expand_depthwise_conv2d: 'out' shares memory with 'x'"):
        _core.expand_depthwise_conv2d(x, ek, eb, "relu", k, b, padding="same", out=out)


@pytest.mark.parametrize("kw,match", [
    (dict(x=np.zeros((6, 6, 4))), r"expand_depthwise_conv2d: 'x' must be 4-D \(batch, height, width, channels\)"),
    (dict(expand_kernel=np.zeros((4, 16))), r"'expand_kernel' must be 4-D \(1, 1, channels, expanded_channels\)"),
    (dict(expand_kernel=np.zeros((3, 3, 4, 16))), r"'expand_kernel' must have shape \(1, 1, 4, expanded_channels\) "
                                                 r"for x of shape \(2, 6, 6, 4\), got \(3, 3, 4, 16\)"),
    (dict(expand_kernel=np.zeros((1, 1, 5, 16))), r"'expand_kernel' must have shape \(1, 1, 4, expanded"),
    (dict(kernel=np.zeros((3, 3, 16, 2))), r"'kernel' must have shape \(3, 3, 16, 1\), got \(3, 3, 16, 2\)"),
    (dict(kernel=np.zeros((3, 3, 8, 1))), r"'kernel' must have shape \(3, 3, 16, 1\), got \(3, 3, 8, 1\)"),
    (dict(expand_bias=np.zeros(8)), r"'expand_bias' must have shape \(16,\), got \(8,\)"),
    (dict(bias=np.zeros(8)), r"'bias' must have shape \(16,\), got \(8,\)"),
    (dict(expand_activation="nope"), r"expand_depthwise_conv2d: unknown activation 'nope'"),
    (dict(padding="causal"), r"padding must be 'valid' or 'same', got 'causal'"),
    (dict(strides=0), r"'strides' must be >= 1, got 0"),
    (dict(kernel=np.zeros((9, 3, 16, 1))), r"kernel height 9 \(dilated\) is larger than the padded input height 6"),
])
def test_bad_arguments_raise_value_error(kw, match):
    args = dict(x=np.zeros((2, 6, 6, 4)), expand_kernel=np.zeros((1, 1, 4, 16)), expand_bias=None,
                expand_activation="relu", kernel=np.zeros((3, 3, 16, 1)), bias=None)
    with pytest.raises(ValueError, match=match):
        _core.expand_depthwise_conv2d(**{**args, **kw})


def test_pays_where_the_expanded_tensor_outgrows_the_cache():
    assert _core.expand_depthwise_pays(1, 112, 112, 16, 96)     # 4.8 MB
    assert _core.expand_depthwise_pays(1, 56, 56, 24, 144)      # 1.8 MB
    assert not _core.expand_depthwise_pays(1, 28, 28, 40, 240)  # 0.75 MB: stays in L2 between the calls
    assert _core.expand_depthwise_pays(8, 28, 28, 32, 192)      # 4.8 MB for the batch
    assert not _core.expand_depthwise_pays(8, 112, 112, 80, 96)  # too many input channels for the direct 1x1
    assert not _core.expand_depthwise_pays(1, 112, 112, 0, 96)
