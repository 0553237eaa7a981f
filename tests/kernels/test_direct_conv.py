"""The direct (no im2col / col2im) convolution paths: up to 64 input channels and output channels in
multiples of the vector width (8; 16 for the AVX-512 tiles, used from 16 input channels, in
channel blocks of 64, 32 and 16). Checked against the numpy references on
one and two threads, with widths that exercise the pixel blocks, their tails and the border columns."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _kernel_checks import random_conv_arrays
from nnkern import _core
from numpy_ref.conv2d import conv2d as conv2d_ref
from numpy_ref.conv2d_transpose import conv2d_transpose as conv2d_transpose_ref

_pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 30), cin=st.sampled_from([1, 2, 3, 4, 16, 64]),
       filters=st.sampled_from([8, 16, 24, 48, 64, 112]), kernel=_pairs, strides=_pairs, dilation=_pairs,
       padding=st.sampled_from(["valid", "same"]), act=st.sampled_from(["linear", "relu", "relu6", "softmax"]),
       use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_conv2d_direct_matches_reference(batch, h, w, cin, filters, kernel, strides, dilation, padding, act,
                                         use_bias, seed):
    if padding == "valid":
        assume((kernel[0] - 1) * dilation[0] < h and (kernel[1] - 1) * dilation[1] < w)
    x, k, b = random_conv_arrays(seed, (batch, h, w, cin), kernel + (cin, filters), filters, use_bias)
    y = _core.conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation, activation=act)
    expected = conv2d_ref(x, k, b, strides, padding, dilation, 1, act)
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 2), h=st.integers(1, 8), w=st.integers(1, 30), cin=st.sampled_from([1, 3, 8, 16, 33, 64]),
       filters=st.sampled_from([8, 16, 24, 32, 80]), kernel=_pairs, strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=_pairs, padding=st.sampled_from(["valid", "same"]), act=st.sampled_from(["linear", "tanh", "relu6"]),
       use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_conv2d_transpose_direct_matches_reference(batch, h, w, cin, filters, kernel, strides, dilation, padding,
                                                   act, use_bias, seed):
    x, k, b = random_conv_arrays(seed, (batch, h, w, cin), kernel + (filters, cin), filters, use_bias)
    args = dict(strides=strides, padding=padding, dilation_rate=dilation)
    expected = conv2d_transpose_ref(x, k, b, act=act, **args)
    assume(expected.shape[1] >= 1 and expected.shape[2] >= 1)
    y = _core.conv2d_transpose(x, k, b, activation=act, **args)
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape,filters", [((1, 64, 64, 3), 32), ((2, 60, 33, 4), 16), ((2, 20, 27, 64), 48)])
def test_conv_direct_big_work(shape, filters, threads):
    # Enough work for threads_for_work to split the rows across threads.
    x, k, b = random_conv_arrays(3, shape, (3, 3, shape[3], filters), filters, x_range=1.0)
    np.testing.assert_allclose(_core.conv2d(x, k, b, padding="same", activation="relu"),
                               conv2d_ref(x, k, b, 1, "same", 1, 1, "relu"), rtol=2e-4, atol=2e-5)
    kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))
    np.testing.assert_allclose(_core.conv2d_transpose(x, kt, b, 2, "same", activation="relu"),
                               conv2d_transpose_ref(x, kt, b, 2, "same", act="relu"), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape,filters", [((2, 20, 18, 72), 16), ((2, 40, 40, 8), 12)])
def test_im2col_tiles_still_used_outside_the_direct_range(shape, filters, threads):
    # 72 input channels, or output channels not a multiple of 8: the tiled im2col + GEMM path,
    # with enough work (> 4 MFLOP) for two threads.
    x, k, b = random_conv_arrays(4, shape, (3, 3, shape[3], filters), filters, x_range=1.0)
    np.testing.assert_allclose(_core.conv2d(x, k, b, padding="same", activation="relu"),
                               conv2d_ref(x, k, b, 1, "same", 1, 1, "relu"), rtol=2e-4, atol=5e-5)


@pytest.mark.parametrize("cin,filters", [(3, 32), (16, 96), (24, 144), (64, 16)])
def test_residual_relu_and_relu6_in_the_tiles_are_the_separate_passes(cin, filters):
    # The tiles clamp in registers before the store: the same values as the activation run after a
    # linear convolution (max / min are exact), on the AVX2 and AVX-512 tiles alike.
    x, k, b = random_conv_arrays(5, (1, 13, 29, cin), (3, 3, cin, filters), filters, True, x_range=4.0)
    linear = _core.conv2d(x, k, b, padding="same")
    for act in ("relu", "relu6"):
        np.testing.assert_array_equal(_core.conv2d(x, k, b, padding="same", activation=act), _core.activation(linear, act))
    # A residual term is added in the tiles too, before the clamp: ResNet's Add and ReLU.
    r = np.random.default_rng(6).uniform(-4, 4, linear.shape).astype(np.float32)
    for act in ("linear", "relu", "relu6"):
        np.testing.assert_array_equal(_core.conv2d(x, k, b, padding="same", activation=act, residual=r),
                                      _core.activation(linear + r, act))
    kt = np.ascontiguousarray(k.transpose(0, 1, 3, 2))
    linear_t = _core.conv2d_transpose(x, kt, b, 2, "same")
    np.testing.assert_array_equal(_core.conv2d_transpose(x, kt, b, 2, "same", activation="relu6"),
                                  _core.activation(linear_t, "relu6"))
