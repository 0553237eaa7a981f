"""nnkern._core.conv2d / conv1d against Keras goldens, the numpy reference, and bad arguments."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from _kernel_checks import assert_refuses, random_conv_arrays
from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.conv2d import conv1d as conv1d_ref
from numpy_ref.conv2d import conv2d as conv2d_ref

CASES = load_cases("conv2d")


def _call(case, arrays, **kw):
    conv = _core.conv2d if case["rank"] == 2 else _core.conv1d
    strides = tuple(case["strides"]) if case["rank"] == 2 else case["strides"]
    dilation = tuple(case["dilation_rate"]) if case["rank"] == 2 else case["dilation_rate"]
    return conv(arrays["x"], arrays["kernel"], arrays.get("bias"), strides=strides, padding=case["padding"],
                dilation_rate=dilation, groups=case["groups"], activation=case["activation"], **kw)


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_conv_matches_keras(case, arrays):
    y = _call(case, arrays)
    assert y.dtype == np.float32
    assert y.shape == tuple(case["output_shape"])
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5)


def test_goldens_cover_every_accepted_combination():
    grid = {(c["padding"], tuple(c["strides"]), c["dilation_rate"][0], c["kernel_shape"])
            for c in ({**c, "kernel_shape": a["kernel"].shape[:2]} for c, a in CASES)
            if c["id"].startswith("grid_")}
    expected = set()
    for padding in ["valid", "same"]:
        for s in [(1, 1), (2, 2), (3, 3), (1, 2)]:
            for d in [1, 2]:
                for k in [(1, 1), (3, 3), (4, 4), (5, 5), (5, 3)]:
                    if not (max(s) > 1 and d > 1):
                        expected.add((padding, s, d, k))
    assert grid == expected
    conv1d_paddings = {c["padding"] for c, _ in CASES if c["rank"] == 1}
    assert conv1d_paddings == {"valid", "same", "causal"}
    assert {c["groups"] for c, _ in CASES} >= {1, 2, 3}
    assert {c["output_shape"][0] for c, _ in CASES} >= {0, 1, 2, 3}


def test_notebook_conv2d_value():
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    kernel = np.arange(1, 10, dtype=np.float32).reshape(3, 3, 1, 1)
    y = _core.conv2d(x, kernel, np.zeros(1))
    np.testing.assert_array_equal(y[0, :, :, 0], [[348, 393], [528, 573]])


_pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=80, deadline=None)
@given(batch=st.integers(0, 3), h=st.integers(1, 10), w=st.integers(1, 10), cin_g=st.integers(1, 4),
       filters_g=st.integers(1, 4), groups=st.integers(1, 3), kernel=_pairs, strides=_pairs, dilation=_pairs,
       padding=st.sampled_from(["valid", "same"]), act=st.sampled_from(sorted(ACTIVATIONS)),
       use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_conv2d_matches_numpy_reference(batch, h, w, cin_g, filters_g, groups, kernel, strides, dilation, padding,
                                        act, use_bias, seed):
    # Keras refuses strides > 1 with dilation > 1; the kernel defines it all the same.
    if padding == "valid":
        assume((kernel[0] - 1) * dilation[0] < h and (kernel[1] - 1) * dilation[1] < w)
    x, k, b = random_conv_arrays(seed, (batch, h, w, cin_g * groups), kernel + (cin_g, filters_g * groups),
                                 filters_g * groups, use_bias)
    y = _core.conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation, groups=groups,
                     activation=act)
    expected = conv2d_ref(x, k, b, strides, padding, dilation, groups, act)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(0, 2), h=st.integers(1, 9), w=st.integers(1, 9), cin=st.sampled_from([1, 3, 16, 70]),
       filters=st.sampled_from([1, 5, 16, 20]), kernel=_pairs, strides=_pairs,
       padding=st.sampled_from(["valid", "same"]), act=st.sampled_from(["linear", "relu", "relu6", "silu"]),
       seed=st.integers(0, 2**31))
def test_conv2d_residual_matches_numpy_reference(batch, h, w, cin, filters, kernel, strides, padding, act, seed):
    # activation(conv + bias + residual): ResNet's Add (and the ReLU after it) in the epilogue, on every path
    # (direct: few input channels and filters a multiple of the lanes; pointwise; im2col).
    if padding == "valid":
        assume(kernel[0] <= h and kernel[1] <= w)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (batch, h, w, cin)).astype(np.float32)
    k = rng.uniform(-1, 1, kernel + (cin, filters)).astype(np.float32)
    b = rng.uniform(-1, 1, filters).astype(np.float32)
    linear = conv2d_ref(x, k, b, strides, padding, 1, 1, "linear")
    r = rng.uniform(-2, 2, linear.shape).astype(np.float32)
    want = ACTIVATIONS[act](linear + r)
    y = _core.conv2d(x, k, b, strides=strides, padding=padding, activation=act, residual=r)
    np.testing.assert_allclose(y, want, rtol=2e-4, atol=5e-5)
    # Written over the residual itself (a plan's dead residual): the same sums, in place.
    r_then_y = r.copy()
    y = _core.conv2d(x, k, b, strides=strides, padding=padding, activation=act, residual=r_then_y, out=r_then_y)
    assert y.ctypes.data == r_then_y.ctypes.data
    np.testing.assert_allclose(r_then_y, want, rtol=2e-4, atol=5e-5)


def test_conv2d_residual_of_the_wrong_shape_or_sharing_the_output_raises():
    x, k = np.ones((1, 4, 4, 2), np.float32), np.ones((3, 3, 2, 8), np.float32)
    with pytest.raises(ValueError, match=r"conv2d: 'residual' must have shape \(1, 4, 4, 8\), got \(1, 4, 4, 2\)"):
        _core.conv2d(x, k, padding="same", residual=x)
    # `out` may be the residual itself, but no other array sharing its memory.
    buffer = np.zeros(2 * 4 * 4 * 8, np.float32)
    out, shifted = buffer[:128].reshape(1, 4, 4, 8), buffer[8:136].reshape(1, 4, 4, 8)
    with pytest.raises(ValueError, match="conv2d: 'out' shares memory with 'residual'"):
        _core.conv2d(x, k, padding="same", residual=shifted, out=out)
    with pytest.raises(ValueError, match="conv2d: 'out' shares memory with 'x'"):
        _core.conv2d(out, np.ones((1, 1, 8, 8), np.float32), residual=out, out=out)
    # No input channels: activation(bias + residual), also in place.
    r = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2) - 4
    want = np.maximum(r + np.array([1.0, -1.0], np.float32), 0)
    y = _core.conv2d(np.zeros((1, 2, 2, 0)), np.zeros((1, 1, 0, 2)), np.array([1.0, -1.0]), activation="relu",
                     residual=r)
    np.testing.assert_array_equal(y, want)
    _core.conv2d(np.zeros((1, 2, 2, 0)), np.zeros((1, 1, 0, 2)), np.array([1.0, -1.0]), activation="relu",
                 residual=r, out=r)
    np.testing.assert_array_equal(r, want)


@settings(max_examples=50, deadline=None)
@given(batch=st.integers(0, 3), steps=st.integers(1, 16), cin_g=st.integers(1, 4), filters_g=st.integers(1, 4),
       groups=st.integers(1, 2), kernel=st.integers(1, 5), stride=st.integers(1, 3), dilation=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same", "causal"]), act=st.sampled_from(["linear", "relu", "tanh"]),
       seed=st.integers(0, 2**31))
def test_conv1d_matches_numpy_reference(batch, steps, cin_g, filters_g, groups, kernel, stride, dilation, padding,
                                        act, seed):
    if padding == "valid":
        assume((kernel - 1) * dilation < steps)
    x, k, b = random_conv_arrays(seed, (batch, steps, cin_g * groups), (kernel, cin_g, filters_g * groups),
                                 filters_g * groups)
    y = _core.conv1d(x, k, b, strides=stride, padding=padding, dilation_rate=dilation, groups=groups, activation=act)
    expected = conv1d_ref(x, k, b, stride, padding, dilation, groups, act)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape,kernel,kw,threaded", [
    ((2, 20, 18, 64), (3, 3, 64, 16), dict(padding="same"), True),          # several im2col tiles per image
    ((1, 24, 24, 32), (3, 3, 16, 32), dict(groups=2, strides=(2, 1)), False),  # tiles x groups, batch 1
    ((1, 48, 48, 32), (3, 3, 16, 32), dict(groups=2, strides=(1, 1)), True),
    ((3, 30, 30, 16), (1, 1, 16, 24), dict(), False),                        # pointwise GEMM
    ((8, 30, 30, 96), (1, 1, 96, 48), dict(), True),                         # pointwise GEMM, threaded slabs
    ((8, 30, 30, 32), (1, 1, 32, 48), dict(), True),                         # pointwise, few channels: direct
    ((2, 40, 40, 8), (1, 1, 4, 8), dict(groups=2, activation="softmax"), False),
    ((4, 16, 16, 8), (1, 1, 8, 8), dict(strides=2), False),                  # 1x1 strided: im2col path
    ((1, 4, 4, 256), (3, 3, 256, 512), dict(padding="same"), True),          # one task: threads share its GEMM
])
def test_large_and_threaded_paths_match_numpy_reference(on_threads, shape, kernel, kw, threaded):
    # Bitwise the same on 1, 2 and 3 threads, really threaded where the work allows it.
    x, k, b = random_conv_arrays(7, shape, kernel, kernel[-1], x_range=1.0)
    y = on_threads(lambda: _core.conv2d(x, k, b, **kw), threaded=threaded)
    args = {"strides": 1, "padding": "valid", "groups": 1, "activation": "linear", **kw}
    expected = conv2d_ref(x, k, b, args["strides"], args["padding"], 1, args["groups"], args["activation"])
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=5e-5)


def test_empty_batch_channels_and_filters():
    assert _core.conv2d(np.zeros((0, 9, 11, 3)), np.zeros((3, 3, 3, 4)), padding="same").shape == (0, 9, 11, 4)
    assert _core.conv2d(np.zeros((2, 0, 5, 3)), np.zeros((3, 3, 3, 4)), padding="same").shape == (2, 0, 5, 4)
    assert _core.conv2d(np.zeros((2, 5, 5, 3)), np.zeros((3, 3, 3, 0))).shape == (2, 3, 3, 0)
    assert _core.conv1d(np.zeros((0, 7, 2)), np.zeros((3, 2, 5)), padding="causal").shape == (0, 7, 5)
    # No input channels: the output is activation(bias).
    y = _core.conv2d(np.zeros((1, 4, 4, 0)), np.zeros((3, 3, 0, 2)), np.array([-1.0, 2.0]), padding="same",
                     activation="relu")
    np.testing.assert_array_equal(y, np.broadcast_to([0.0, 2.0], (1, 4, 4, 2)))


def test_conv1d_is_conv2d_of_height_one():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 15, 4)).astype(np.float32)
    k = rng.standard_normal((3, 2, 6)).astype(np.float32)
    y1 = _core.conv1d(x, k, strides=2, padding="same", groups=2)
    y2 = _core.conv2d(x[:, None], k[None], strides=(1, 2), padding="same", groups=2)
    np.testing.assert_array_equal(y1, y2[:, 0])


def test_any_numpy_input_layout_is_accepted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 5, 3))
    k = rng.standard_normal((3, 3, 3, 4))
    expected = _core.conv2d(x.astype(np.float32), k.astype(np.float32), padding="same")
    fortran = np.asfortranarray(x)
    reversed_view = x[::-1].copy()[::-1]
    read_only = x.astype(np.float32)
    read_only.setflags(write=False)
    for v in [x, fortran, reversed_view, read_only, x.astype(">f4"), x[:, :, ::-1][:, :, ::-1]]:
        np.testing.assert_allclose(_core.conv2d(v, np.asfortranarray(k), padding="same"), expected, rtol=1e-6)
    ints = np.arange(16).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(_core.conv2d(ints, np.ones((1, 1, 1, 1), np.int64)), ints.astype(np.float32))
    np.testing.assert_array_equal(_core.conv1d([[[1], [2], [3]]], [[[2]]]), [[[2], [4], [6]]])


def test_out_is_written_and_returned():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    expected = _core.conv2d(x, k, padding="same", activation="relu")
    out = np.full((2, 7, 6, 5), np.nan, np.float32)
    assert _core.conv2d(x, k, padding="same", activation="relu", out=out) is out
    np.testing.assert_array_equal(out, expected)
    out1 = np.empty((2, 4, 5), np.float32)
    assert _core.conv1d(x[:, 0], k[0], out=out1) is out1
    np.testing.assert_array_equal(out1, _core.conv1d(x[:, 0], k[0]))


@pytest.mark.parametrize("out,exc,match", [
    (np.empty((2, 7, 6, 4), np.float32), ValueError, r"'out' must have shape \(2, 7, 6, 5\), got \(2, 7, 6, 4\)"),
    (np.empty((2, 7, 6, 5)), TypeError, r"'out' must have dtype float32, got float64"),
    (np.empty((2, 7, 6, 10), np.float32)[..., ::2], ValueError, "'out' must be C-contiguous"),
    ("read-only", ValueError, "'out' must be writeable"),
    ([[0.0]], TypeError, "'out' must be a numpy float32 array of shape .*, got list"),
])
def test_bad_out_raises(out, exc, match):
    if isinstance(out, str):
        out = np.empty((2, 7, 6, 5), np.float32)
        out.setflags(write=False)
    with pytest.raises(exc, match=match):
        _core.conv2d(np.zeros((2, 7, 6, 3)), np.zeros((3, 3, 3, 5)), padding="same", out=out)


def test_out_sharing_memory_with_an_input_raises():
    x = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match="conv2d: 'out' shares memory with 'x'"):
        _core.conv2d(x, np.zeros((1, 1, 2, 2), np.float32), out=x)


_X = (2, 9, 11, 3)


@pytest.mark.parametrize("x_shape,k_shape,kw,match", [
    ((9, 11, 3), (3, 3, 3, 4), {}, r"conv2d: 'x' must be 4-D \(batch, height, width, channels\), got shape \(9, 11, 3\)"),
    (_X, (3, 3, 4), {}, r"'kernel' must be 4-D"),
    (_X, (3, 3, 2, 4), {}, r"kernel expects 2 input channels per group .*x has 3 channels"),
    ((2, 9, 11, 5), (3, 3, 2, 4), {"groups": 2}, r"input channels must be evenly divisible by groups.*groups=2"),
    ((2, 9, 11, 4), (3, 3, 2, 5), {"groups": 2}, r"number of filters must be evenly divisible by groups.*5 filters"),
    (_X, (3, 3, 3, 4), {"groups": 0}, r"'groups' must be >= 1, got 0"),
    (_X, (10, 3, 3, 4), {}, r"kernel height 10 .* larger than the input height 9 .*empty/negative output"),
    (_X, (3, 5, 3, 4), {"dilation_rate": (1, 3)}, r"kernel width 5 \(13 dilated\).*empty/negative output"),
    ((1, 0, 4, 1), (1, 1, 1, 1), {}, r"empty/negative output"),
    (_X, (3, 3, 3, 4), {"strides": 0}, r"'strides' must be >= 1, got 0"),
    (_X, (3, 3, 3, 4), {"strides": (1, -2)}, r"'strides' must be >= 1, got \(1, -2\)"),
    (_X, (3, 3, 3, 4), {"strides": (1, 2, 3)}, r"'strides' must be an int or a pair of ints"),
    (_X, (3, 3, 3, 4), {"dilation_rate": 0}, r"'dilation_rate' must be >= 1, got 0"),
    (_X, (3, 3, 3, 4), {"padding": "full"}, r"conv2d: padding must be 'valid' or 'same', got 'full'"),
    (_X, (3, 3, 3, 4), {"padding": "causal"}, r"padding must be 'valid' or 'same', got 'causal'"),
    (_X, (3, 3, 3, 4), {"activation": "nope"}, r"conv2d: unknown activation 'nope'"),
    (_X, (3, 3, 3, 4), {"bias": np.zeros(3)}, r"'bias' must have shape \(4,\), got \(3,\)"),
    (_X, (3, 3, 3, 4), {"dilation_rate": 2**62, "padding": "same"}, r"too large"),
    ((1, 2**20, 2**20, 0), (1, 1, 0, 2**40), {}, r"conv2d output: sizes are too large"),
])
def test_conv2d_bad_arguments_raise_value_error(x_shape, k_shape, kw, match):
    assert_refuses(_core.conv2d, x_shape, k_shape, kw, match)


@pytest.mark.parametrize("x_shape,k_shape,kw,match", [
    ((2, 9, 11, 3), (3, 3, 4), {}, r"conv1d: 'x' must be 3-D \(batch, steps, channels\), got shape \(2, 9, 11, 3\)"),
    ((2, 9, 3), (3, 3, 3, 4), {}, r"'kernel' must be 3-D"),
    ((2, 9, 3), (3, 4, 4), {}, r"kernel expects 4 input channels per group"),
    ((2, 9, 3), (3, 1, 4), {"groups": 3}, r"number of filters must be evenly divisible by groups"),
    ((2, 4, 3), (5, 3, 4), {}, r"kernel size 5 .*larger than the input size 4 .*empty/negative output"),
    ((2, 9, 3), (3, 3, 4), {"strides": 0}, r"'strides' must be >= 1, got 0"),
    ((2, 9, 3), (3, 3, 4), {"strides": (1, 1)}, r"'strides' must be an int or a 1-tuple"),
    ((2, 9, 3), (3, 3, 4), {"dilation_rate": -1}, r"'dilation_rate' must be >= 1, got -1"),
    ((2, 9, 3), (3, 3, 4), {"padding": "full"}, r"padding must be 'valid', 'same' or 'causal', got 'full'"),
    ((2, 9, 3), (3, 3, 4), {"bias": np.zeros((1, 4))}, r"'bias' must have shape \(4,\), got \(1, 4\)"),
    ((2, 9, 3), (3, 3, 4), {"padding": "causal", "dilation_rate": 2**62}, r"too large"),
])
def test_conv1d_bad_arguments_raise_value_error(x_shape, k_shape, kw, match):
    assert_refuses(_core.conv1d, x_shape, k_shape, kw, match)


def test_bad_types():
    x, k = np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1))
    with pytest.raises(TypeError, match="'strides' must be an int or a pair of ints"):
        _core.conv2d(x, k, strides=1.5)
    with pytest.raises(TypeError, match="'dilation_rate' must be an int or a 1-tuple"):
        _core.conv1d(x[0], k[0], dilation_rate="2")
    with pytest.raises(TypeError, match="cannot be converted to a float32 array"):
        _core.conv2d(np.array([[[["a"]]]]), k)
    with pytest.raises(ValueError, match="'x' must be an array, got None"):
        _core.conv2d(None, k)


# pack_conv2d_kernel: a kernel packed once for the products. On a variant whose products pack per call
# (avx2: Eigen's GEMM) it is None; on avx512 it is made for shapes that reach the packed products.
PACKS = _core.isa() == "avx512"


@pytest.mark.skipif(not PACKS, reason="this kernel variant's products pack per call: no packed kernel")
@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12), cin=st.integers(65, 300),
       filters=st.integers(96, 300), kernel=st.sampled_from([(1, 1), (3, 3), (1, 3), (2, 2)]),
       strides=st.sampled_from([1, 2]), padding=st.sampled_from(["valid", "same"]),
       act=st.sampled_from(["linear", "relu", "relu6"]), residual=st.booleans(), seed=st.integers(0, 2**31))
def test_packed_kernel_gives_bitwise_the_same_output(batch, h, w, cin, filters, kernel, strides, padding, act,
                                                     residual, seed):
    assume(padding == "same" or (h >= kernel[0] and w >= kernel[1]))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (batch, h, w, cin)).astype(np.float32)
    k = rng.uniform(-1, 1, kernel + (cin, filters)).astype(np.float32)
    b = rng.uniform(-1, 1, filters).astype(np.float32)
    k.flags.writeable = False
    packed = _core.pack_conv2d_kernel(k)
    assert isinstance(packed, _core.PackedConv2DKernel)
    assert packed.kernel is k or np.shares_memory(packed.kernel, k)
    y = _core.conv2d(x, k, b, strides, padding, 1, 1, act)
    r = rng.uniform(-1, 1, y.shape).astype(np.float32) if residual else None
    expected = _core.conv2d(x, k, b, strides, padding, 1, 1, act, residual=r)
    np.testing.assert_array_equal(_core.conv2d(x, packed, b, strides, padding, 1, 1, act, residual=r), expected)
    linear = conv2d_ref(x, k, b, strides, padding, 1, 1, "linear")
    np.testing.assert_allclose(expected, ACTIVATIONS[act](linear if r is None else linear + r), rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not PACKS, reason="this kernel variant's products pack per call: no packed kernel")
def test_packed_kernel_of_a_deep_layer_on_threads(on_threads):
    # Several tiles shared by 1-3 threads, all reading the one packed copy; and groups > 1 ignores it.
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 20, 20, 128)).astype(np.float32)
    k = rng.uniform(-1, 1, (3, 3, 128, 160)).astype(np.float32)
    k.flags.writeable = False
    packed = _core.pack_conv2d_kernel(k)
    y = on_threads(lambda: _core.conv2d(x, packed, None, 1, "same"))
    np.testing.assert_array_equal(y, _core.conv2d(x, k, None, 1, "same"))
    x2 = rng.uniform(-1, 1, (1, 6, 6, 256)).astype(np.float32)
    np.testing.assert_array_equal(_core.conv2d(x2, packed, None, 1, "same", 1, 2), _core.conv2d(x2, k, None, 1, "same", 1, 2))


def test_pack_conv2d_kernel_is_none_where_conv2d_would_not_read_it():
    def packed(shape):
        k = np.zeros(shape, np.float32)
        k.flags.writeable = False
        return _core.pack_conv2d_kernel(k)
    assert packed((3, 3, 64, 128)) is None  # few input channels: the direct kernel
    assert packed((1, 1, 256, 40)) is None  # filters padded to a micro-panel: Eigen's narrower products
    assert packed((1, 1, 256, 80)) is None
    assert (packed((1, 1, 256, 64)) is not None) == PACKS  # whole micro-panels
    assert (packed((3, 3, 128, 128)) is not None) == PACKS


@pytest.mark.parametrize("kernel,exc,match", [
    (np.zeros((3, 3, 128, 128), np.float32), ValueError, r"pack_conv2d_kernel: 'kernel' must be read-only"),
    (np.zeros((3, 3, 128, 128), np.float64), TypeError, r"must be a float32 C-contiguous numpy array"),
    (np.zeros((3, 3, 128, 128), np.float32)[..., ::2], TypeError, r"must be a float32 C-contiguous numpy array"),
    ([[1.0]], TypeError, r"must be a float32 C-contiguous numpy array, got list"),
    (np.zeros((9, 128, 128), np.float32), ValueError, r"'kernel' must be 4-D"),
])
def test_pack_conv2d_kernel_refuses_bad_kernels(kernel, exc, match):
    if isinstance(kernel, np.ndarray) and kernel.ndim == 3:
        kernel.flags.writeable = False
    with pytest.raises(exc, match=match):
        _core.pack_conv2d_kernel(kernel)


@pytest.mark.skipif(not PACKS, reason="this kernel variant's products pack per call: no packed kernel")
def test_conv2d_checks_a_packed_kernel_like_an_array():
    k = np.zeros((3, 3, 128, 128), np.float32)
    k.flags.writeable = False
    packed = _core.pack_conv2d_kernel(k)
    with pytest.raises(ValueError, match="conv2d"):
        _core.conv2d(np.zeros((1, 8, 8, 64), np.float32), packed)
