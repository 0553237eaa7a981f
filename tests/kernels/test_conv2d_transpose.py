"""nnkern._core.conv2d_transpose against Keras goldens, the numpy reference, the notebook values, and
bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from _kernel_checks import random_conv_arrays
from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.conv2d_transpose import conv2d_transpose as conv2d_transpose_ref
from numpy_ref.conv2d_transpose import keras_axis

CASES = load_cases("conv2d_transpose")


def _call(case, arrays, **kw):
    return _core.conv2d_transpose(arrays["x"], arrays["kernel"], arrays.get("bias"), strides=case["strides"],
                                  padding=case["padding"], output_padding=case["output_padding"],
                                  dilation_rate=case["dilation_rate"], activation=case["activation"], **kw)


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_conv2d_transpose_matches_keras(case, arrays):
    y = _call(case, arrays)
    assert y.dtype == np.float32
    assert y.shape == arrays["y"].shape
    if "keras_output_shape" in case:
        assert list(y.shape) == case["keras_output_shape"]
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5)


def test_goldens_cover_the_grid():
    ids = {c["id"] for c, _ in CASES}
    assert len(CASES) >= 70
    assert {"batch0_same_s2_k3", "batch0_valid_s3_k3", "odd63_same_s2_k3"} <= ids
    assert {c["padding"] for c, _ in CASES} == {"valid", "same"}
    assert any(c["output_padding"] for c, _ in CASES)
    assert any(max(c["strides"]) > 1 and max(c["dilation_rate"]) > 1 for c, _ in CASES)


def test_numpy_reference_matches_keras():
    # The reference restates Keras's size rules; check it on the goldens before trusting it below.
    for case, arrays in CASES:
        if case["id"].startswith("odd63"):
            continue  # slow in python loops; the small cases cover the same rules
        y = conv2d_transpose_ref(arrays["x"], arrays["kernel"], arrays.get("bias"), case["strides"], case["padding"],
                                 case["output_padding"], case["dilation_rate"], case["activation"])
        np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5, err_msg=case["id"])


def test_output_length_rule_matches_reference():
    for n, k, s, d, pad, op in [(5, 3, 2, 1, "same", None), (5, 3, 2, 1, "same", 1), (4, 4, 3, 1, "valid", None),
                                (7, 1, 3, 1, "valid", 2), (6, 5, 1, 2, "same", 0), (1, 5, 4, 1, "valid", None)]:
        assert _core.conv_transpose_output_length(n, k, s, d, pad, op) == keras_axis(n, k, s, d, pad, op)[0]


@st.composite
def _problems(draw):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    output_padding = draw(st.one_of(st.none(), st.tuples(st.integers(0, sh - 1), st.integers(0, sw - 1))))
    shape = (draw(st.integers(0, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(0, 5)))
    return dict(kernel_size=(kh, kw), strides=(sh, sw), dilation_rate=(dh, dw), padding=padding,
                output_padding=output_padding, shape=shape, filters=draw(st.integers(1, 6)),
                activation=draw(st.sampled_from(sorted(ACTIVATIONS))), use_bias=draw(st.booleans()))


@settings(max_examples=80, deadline=None)
@given(p=_problems(), seed=st.integers(0, 2**31))
def test_conv2d_transpose_matches_numpy_reference(p, seed):
    x, kernel, bias = random_conv_arrays(seed, p["shape"], p["kernel_size"] + (p["filters"], p["shape"][3]),
                                         p["filters"], p["use_bias"])
    args = dict(strides=p["strides"], padding=p["padding"], output_padding=p["output_padding"],
                dilation_rate=p["dilation_rate"])
    expected = conv2d_transpose_ref(x, kernel, bias, act=p["activation"], **args)
    if expected.shape[1] < 1 or expected.shape[2] < 1:
        with pytest.raises(ValueError, match="output size must be positive"):
            _core.conv2d_transpose(x, kernel, bias, activation=p["activation"], **args)
        return
    y = _core.conv2d_transpose(x, kernel, bias, activation=p["activation"], **args)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("shape,kernel_size,strides,padding", [
    ((1, 40, 36, 16), (3, 3), 2, "same"),    # one image: split into row bands
    ((3, 21, 19, 24), (4, 4), 2, "valid"),   # 3 images: bands too
    ((2, 18, 17, 32), (5, 5), (1, 2), "same"),  # 2 images
    ((1, 40, 36, 80), (3, 3), 2, "same"),    # > 64 input channels: GEMM + col2im, bands of one image
    ((5, 12, 11, 72), (3, 3), 2, "valid"),   # GEMM + col2im, one band per image
])
def test_big_work_matches_reference_bitwise_on_1_2_3_threads(shape, kernel_size, strides, padding, on_threads):
    # Large enough for threads_for_work to use every thread, with tiles that end mid-row.
    x, kernel, bias = random_conv_arrays(7, shape, kernel_size + (20, shape[3]), 20, x_range=1.0)
    expected = conv2d_transpose_ref(x, kernel, bias, strides, padding, act="relu")
    y = on_threads(lambda: _core.conv2d_transpose(x, kernel, bias, strides, padding, activation="relu"))
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


def test_notebook_values():
    x = np.array([[348, 393], [528, 573]], np.float32).reshape(1, 2, 2, 1)
    kernel = np.arange(1, 10, dtype=np.float32).reshape(3, 3, 1, 1)
    y = _core.conv2d_transpose(x, kernel, np.zeros(1))
    np.testing.assert_array_equal(y[0, :, :, 0], [[348, 1089, 1830, 1179], [1920, 4941, 6783, 4077],
                                                   [4548, 10467, 12309, 6975], [3696, 8235, 9336, 5157]])
    x = np.array([[4, 2], [3, 6]], np.float32).reshape(1, 2, 2, 1)
    y = _core.conv2d_transpose(x, np.ones((1, 1, 1, 1)), np.zeros(1), strides=3, padding="same")
    expected = np.zeros((6, 6))
    expected[0, 0], expected[0, 3], expected[3, 0], expected[3, 3] = 4, 2, 3, 6
    np.testing.assert_array_equal(y[0, :, :, 0], expected)


def test_empty_input_channels_give_activated_bias():
    y = _core.conv2d_transpose(np.zeros((2, 3, 4, 0)), np.zeros((3, 3, 2, 0)), np.array([-1.0, 2.0]), strides=2,
                               padding="same", activation="relu")
    assert y.shape == (2, 6, 8, 2)
    np.testing.assert_array_equal(y, np.broadcast_to([0.0, 2.0], y.shape))


def test_any_numpy_input_layout_is_accepted():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 4, 3))
    kernel = rng.standard_normal((3, 2, 4, 3))
    bias = rng.standard_normal(4)
    expected = _core.conv2d_transpose(x.astype(np.float32), kernel.astype(np.float32), bias.astype(np.float32),
                                      strides=2, padding="same")
    ro = x.astype(np.float32)
    ro.setflags(write=False)
    strided = np.zeros((2, 10, 4, 6))
    strided[:, ::2, :, ::2] = x
    for v in [x, np.asfortranarray(x), x.astype(">f4"), ro, x[::-1][::-1], x.transpose(0, 2, 1, 3).transpose(0, 2, 1, 3),
              strided[:, ::2, :, ::2], x.tolist()]:
        np.testing.assert_allclose(_core.conv2d_transpose(v, kernel, bias, strides=2, padding="same"), expected,
                                   rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(
        _core.conv2d_transpose(np.arange(4).reshape(1, 2, 2, 1), np.ones((1, 1, 1, 1), np.int64), strides=(1, 2))
        [0, :, :, 0], [[0, 0, 1, 0], [2, 0, 3, 0]])
    # Numpy integers and lists work as ints / pairs.
    a = _core.conv2d_transpose(x, kernel, bias, strides=np.int64(2), padding="SAME", output_padding=[1, 0])
    b = _core.conv2d_transpose(x, kernel, bias, strides=(2, 2), padding="same", output_padding=(1, 0))
    np.testing.assert_array_equal(a, b)


def test_out_is_validated_and_written():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 3)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 5, 3)).astype(np.float32)
    expected = _core.conv2d_transpose(x, kernel, strides=2, padding="same", activation="tanh")
    out = np.full((2, 6, 8, 5), np.nan, np.float32)
    y = _core.conv2d_transpose(x, kernel, strides=2, padding="same", activation="tanh", out=out)
    assert y is out
    np.testing.assert_array_equal(out, expected)

    def call(out):
        return _core.conv2d_transpose(x, kernel, strides=2, padding="same", out=out)

    with pytest.raises(ValueError, match=r"'out' must have shape \(2, 6, 8, 5\), got \(2, 6, 8, 4\)"):
        call(np.zeros((2, 6, 8, 4), np.float32))
    with pytest.raises(TypeError, match="'out' must have dtype float32, got float64"):
        call(np.zeros((2, 6, 8, 5)))
    with pytest.raises(TypeError, match="'out' must be a numpy float32 array of shape .*, got list"):
        call([0.0])
    with pytest.raises(ValueError, match="'out' must be C-contiguous"):
        call(np.zeros((2, 6, 8, 10), np.float32)[..., ::2])
    ro = np.zeros((2, 6, 8, 5), np.float32)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="'out' must be writeable"):
        call(ro)
    shared = np.zeros(2 * 6 * 8 * 5, np.float32)
    with pytest.raises(ValueError, match="'out' shares memory with 'x'"):
        _core.conv2d_transpose(shared[:72].reshape(2, 3, 4, 3), kernel, strides=2, padding="same",
                               out=shared.reshape(2, 6, 8, 5))


X = np.zeros((1, 4, 5, 3), np.float32)
K = np.zeros((3, 3, 2, 3), np.float32)


@pytest.mark.parametrize("kwargs,match", [
    (dict(x=np.zeros((4, 5, 3))), r"'x' must be 4-D \(batch, height, width, in_channels\), got shape \(4, 5, 3\)"),
    (dict(kernel=np.zeros((3, 3, 2))), r"'kernel' must be 4-D \(kernel_h, kernel_w, out_channels, in_channels\)"),
    (dict(kernel=np.zeros((3, 3, 3, 2))), r"kernel expects 2 input channels .*x has 3"),
    (dict(kernel=np.zeros((0, 3, 2, 3))), r"kernel_h, kernel_w, out_channels >= 1, got kernel shape \(0, 3, 2, 3\)"),
    (dict(kernel=np.zeros((3, 3, 0, 3))), r"out_channels >= 1"),
    (dict(bias=np.zeros(3)), r"'bias' must have shape \(2,\), got \(3,\)"),
    (dict(bias=np.zeros((1, 2))), r"'bias' must have shape \(2,\), got \(1, 2\)"),
    (dict(strides=0), r"'strides' must be >= 1, got 0"),
    (dict(strides=(2, -1)), r"'strides' must be >= 1, got \(2, -1\)"),
    (dict(strides=(1, 2, 3)), r"'strides' must be an int or a pair of ints"),
    (dict(dilation_rate=0), r"'dilation_rate' must be >= 1, got 0"),
    (dict(strides=2, output_padding=2), r"'output_padding' must be smaller than 'strides' .*got 2 with strides 2"),
    (dict(strides=(3, 2), output_padding=(1, 2)), r"'output_padding' must be smaller than 'strides'"),
    (dict(output_padding=1), r"'output_padding' must be smaller than 'strides'"),
    (dict(strides=2, output_padding=-1), r"'output_padding' must be >= 0, got -1"),
    (dict(padding="causal"), r"conv2d_transpose: padding must be 'valid' or 'same', got 'causal'"),
    (dict(activation="nope"), r"conv2d_transpose: unknown activation 'nope'"),
    (dict(x=np.zeros((1, 0, 5, 3)), padding="same", strides=2, output_padding=0),
     r"output size must be positive, got -1x9 from input 0x5"),
    (dict(x=np.zeros((1, 0, 5, 3)), kernel=np.zeros((1, 1, 2, 3))), r"output size must be positive, got 0x5"),
    (dict(strides=2**62), r"too large"),
    (dict(x=None), r"'x' must be an array, got None"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    args = dict(x=X, kernel=K, bias=None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        _core.conv2d_transpose(**args)


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError, match="'strides' must be an int or a pair of ints, got 1.5"):
        _core.conv2d_transpose(X, K, strides=1.5)
    with pytest.raises(TypeError, match="'dilation_rate' must be an int or a pair of ints"):
        _core.conv2d_transpose(X, K, dilation_rate="2")
    with pytest.raises(TypeError, match="'x' cannot be converted to a float32 array"):
        _core.conv2d_transpose(object(), K)


def test_huge_sizes_are_refused_before_allocation():
    # Broadcast views have the shapes without the memory; the binding must refuse them before any
    # float32 copy or output allocation.
    x = np.broadcast_to(np.float64(0), (2**20, 1, 2**20, 3))
    kernel = np.broadcast_to(np.float64(0), (3, 3, 2**20, 3))
    with pytest.raises(ValueError, match=r"conv2d_transpose output: sizes are too large"):
        _core.conv2d_transpose(x, kernel, strides=2**10)
