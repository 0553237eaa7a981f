"""nnkern._core.conv3d / conv3d_transpose / max_pool3d / avg_pool3d against plain numpy references over
random shapes (hypothesis), `out=`, and bad arguments. (Keras goldens: tests/layers/test_conv3d.py.)"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _kernel_checks import random_conv_arrays
from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.conv3d import conv3d as conv3d_ref
from numpy_ref.conv3d import conv3d_transpose as conv3d_transpose_ref
from numpy_ref.conv3d import pool3d as pool3d_ref


def triples(draw, low, high):
    return tuple(draw(st.integers(low, high)) for _ in range(3))


def kernel_strides_dilation(draw):
    """A kernel size, and strides or dilation (never both above 1: Keras refuses that)."""
    kernel = triples(draw, 1, 3)
    strides, dilation = triples(draw, 1, 3), (1, 1, 1)
    if draw(st.booleans()):
        strides, dilation = (1, 1, 1), triples(draw, 1, 2)
    return kernel, strides, dilation


@st.composite
def conv_problems(draw):
    kernel, strides, dilation = kernel_strides_dilation(draw)
    padding = draw(st.sampled_from(["valid", "same"]))
    spatial = tuple(draw(st.integers((k - 1) * d + 1 if padding == "valid" else 1, 6))
                    for k, d in zip(kernel, dilation))
    groups = draw(st.sampled_from([1, 2]))
    channels, filters = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    return dict(shape=(draw(st.integers(0, 2)),) + spatial + (channels,), kernel=kernel + (channels // groups, filters),
                strides=strides, dilation=dilation, padding=padding, groups=groups,
                activation=draw(st.sampled_from(sorted(ACTIVATIONS))), use_bias=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(p=conv_problems(), seed=st.integers(0, 2**31))
def test_conv3d_matches_numpy_reference(p, seed):
    x, kernel, bias = random_conv_arrays(seed, p["shape"], p["kernel"], p["kernel"][-1], p["use_bias"], x_range=1.0)
    y = _core.conv3d(x, kernel, bias, p["strides"], p["padding"], p["dilation"], p["groups"], p["activation"])
    expected = conv3d_ref(x, kernel, bias, p["strides"], p["padding"], p["dilation"], p["groups"], p["activation"])
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@st.composite
def transpose_problems(draw):
    kernel, strides, dilation = kernel_strides_dilation(draw)
    output_padding = draw(st.one_of(st.none(), st.tuples(*(st.integers(0, s - 1) for s in strides))))
    return dict(shape=(draw(st.integers(0, 2)),) + triples(draw, 1, 4) + (draw(st.integers(1, 4)),),
                kernel_size=kernel, filters=draw(st.integers(1, 4)), strides=strides, dilation=dilation,
                padding=draw(st.sampled_from(["valid", "same"])), output_padding=output_padding,
                activation=draw(st.sampled_from(sorted(ACTIVATIONS))), use_bias=draw(st.booleans()))


@settings(max_examples=60, deadline=None)
@given(p=transpose_problems(), seed=st.integers(0, 2**31))
def test_conv3d_transpose_matches_numpy_reference(p, seed):
    x, kernel, bias = random_conv_arrays(seed, p["shape"], p["kernel_size"] + (p["filters"], p["shape"][-1]),
                                         p["filters"], p["use_bias"], x_range=1.0)
    expected = conv3d_transpose_ref(x, kernel, bias, p["strides"], p["padding"], p["output_padding"], p["dilation"],
                                    p["activation"])
    if 0 in expected.shape[1:4]:
        with pytest.raises(ValueError, match="conv3d_transpose: the output size .* is empty"):
            _core.conv3d_transpose(x, kernel, bias, p["strides"], p["padding"], p["output_padding"], p["dilation"])
        return
    y = _core.conv3d_transpose(x, kernel, bias, p["strides"], p["padding"], p["output_padding"], p["dilation"],
                               p["activation"])
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=2e-4, atol=2e-5)


@settings(max_examples=60, deadline=None)
@given(pool=st.tuples(*(st.integers(1, 3),) * 3), strides=st.one_of(st.none(), st.tuples(*(st.integers(1, 3),) * 3)),
       padding=st.sampled_from(["valid", "same"]), extra=st.tuples(*(st.integers(0, 3),) * 3),
       batch=st.integers(0, 2), channels=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_pool3d_matches_numpy_reference(pool, strides, padding, extra, batch, channels, seed):
    x = np.random.default_rng(seed).uniform(-1, 1, (batch,) + tuple(p + e for p, e in zip(pool, extra)) + (channels,))
    x = x.astype(np.float32)
    for fn, op in ((_core.max_pool3d, "max"), (_core.avg_pool3d, "avg")):
        y = fn(x, pool, strides, padding)
        expected = pool3d_ref(x, pool, strides, padding, op)
        assert y.shape == expected.shape
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_max_pool3d_keeps_nan():
    x = np.zeros((1, 2, 2, 2, 1), np.float32)
    x[0, 1, 0, 1, 0] = np.nan
    assert np.isnan(_core.max_pool3d(x, 2)).all()


def test_out_is_validated_and_written():
    x, kernel = np.ones((2, 3, 4, 5, 2), np.float32), np.ones((1, 1, 1, 2, 3), np.float32)
    out = np.empty((2, 3, 4, 5, 3), np.float32)
    assert _core.conv3d(x, kernel, out=out) is out
    np.testing.assert_array_equal(out, 2)
    with pytest.raises(ValueError, match=r"conv3d: 'out' must have shape \(2, 3, 4, 5, 3\)"):
        _core.conv3d(x, kernel, out=np.empty((2, 3, 4, 5, 2), np.float32))
    with pytest.raises(ValueError, match="conv3d_transpose: 'out' shares memory with 'x'"):
        _core.conv3d_transpose(x, np.ones((1, 1, 1, 2, 2), np.float32), out=x)
    with pytest.raises(ValueError, match="max_pool3d: 'out' shares memory with 'x'"):
        _core.max_pool3d(x, 1, out=x)


@pytest.mark.parametrize("call,match", [
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4)), np.ones((3, 3, 3, 1, 1))), r"conv3d: 'x' must be 5-D"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 1, 1))), r"conv3d: 'kernel' must be 5-D"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 3, 3, 1))), r"kernel expects 3 input channels"),
    (lambda: _core.conv3d(np.ones((1, 2, 4, 4, 2)), np.ones((3, 3, 3, 2, 1))), r"kernel depth 3 .* larger"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((1, 1, 1, 2, 2)), strides=(1, 2)),
     r"'strides' must be an int or a tuple of 3 ints"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((1, 1, 1, 2, 2)), np.ones(3)), r"'bias' must have shape"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((1, 1, 1, 1, 3)), groups=2), r"divisible by groups"),
    (lambda: _core.conv3d(np.ones((1, 4, 4, 4, 2)), np.ones((1, 1, 1, 2, 2)), padding="full"), r"padding"),
    (lambda: _core.conv3d_transpose(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 3, 1, 3))), r"kernel expects 3 input"),
    (lambda: _core.conv3d_transpose(np.ones((1, 4, 4, 4, 2)), np.ones((3, 3, 3, 1, 2)), strides=2, output_padding=2),
     r"'output_padding' must be smaller than 'strides'"),
    (lambda: _core.max_pool3d(np.ones((1, 2, 4, 4, 1)), 3), r"max_pool3d: pool_size \(3, 3, 3\) is larger"),
    (lambda: _core.avg_pool3d(np.ones((1, 4, 4, 4)), 2), r"avg_pool3d: 'x' must be 5-D"),
    (lambda: _core.avg_pool3d(np.ones((1, 4, 4, 4, 1)), 0), r"'pool_size' must be >= 1"),
])
def test_bad_arguments_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_complex_input_is_refused():
    with pytest.raises(TypeError, match="conv3d: 'x' cannot be converted"):
        _core.conv3d(np.ones((1, 2, 2, 2, 1), np.complex64), np.ones((1, 1, 1, 1, 1)))
