"""Input every kernel must refuse or handle safely (issue 12, item 5, the binding-level part):
non-real dtypes are refused with a TypeError naming the function, the argument and the dtype (never
cast); views misaligned by a byte offset are copied before SIMD code reads them (the sanitizer run in
.ci/run reports any misaligned load) and a misaligned `out` is refused; every `out=` is checked for
overlap with every input; the shape helpers validate their arguments and never overflow."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnkern import _core

RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# kernel name -> (function, its array arguments by keyword, other arguments)
CALLS = {
    "dense": (_core.dense, dict(x=arr(3, 4), kernel=arr(4, 5), bias=arr(5)), {}),
    "conv2d": (_core.conv2d, dict(x=arr(2, 5, 6, 3), kernel=arr(3, 3, 3, 4), bias=arr(4)), dict(padding="same")),
    "conv1d": (_core.conv1d, dict(x=arr(2, 7, 3), kernel=arr(3, 3, 4), bias=arr(4)), dict(padding="causal")),
    "conv2d_transpose": (_core.conv2d_transpose, dict(x=arr(2, 3, 4, 3), kernel=arr(3, 3, 5, 3), bias=arr(5)),
                         dict(strides=2, padding="same")),
    "max_pool2d": (_core.max_pool2d, dict(x=arr(2, 6, 6, 3)), dict(padding="same", pool_size=3, strides=2)),
    "avg_pool2d": (_core.avg_pool2d, dict(x=arr(2, 6, 6, 3)), dict(padding="same", pool_size=3, strides=2)),
    "max_pool1d": (_core.max_pool1d, dict(x=arr(2, 6, 3)), {}),
    "avg_pool1d": (_core.avg_pool1d, dict(x=arr(2, 6, 3)), {}),
    "lstm": (_core.lstm, dict(x=arr(2, 5, 3), kernel=arr(3, 16), recurrent_kernel=arr(4, 16), bias=arr(16),
                              initial_h=arr(2, 4), initial_c=arr(2, 4)), dict(return_sequences=True)),
    "lstm_step": (_core.lstm_step, dict(x_t=arr(2, 3), h=arr(2, 4), c=arr(2, 4), kernel=arr(3, 16),
                                        recurrent_kernel=arr(4, 16), bias=arr(16)), {}),
    "gru": (_core.gru, dict(x=arr(2, 5, 3), kernel=arr(3, 12), recurrent_kernel=arr(4, 12), bias=arr(2, 12),
                            initial_h=arr(2, 4)), dict(return_sequences=True)),
    "simple_rnn": (_core.simple_rnn, dict(x=arr(2, 5, 3), kernel=arr(3, 4), recurrent_kernel=arr(4, 4), bias=arr(4),
                                          initial_h=arr(2, 4)), dict(go_backwards=True)),
    "expand_depthwise_conv2d": (_core.expand_depthwise_conv2d,
                                dict(x=arr(2, 5, 6, 3), expand_kernel=arr(1, 1, 3, 16), expand_bias=arr(16),
                                     kernel=arr(3, 3, 16, 1), bias=arr(16)),
                                dict(expand_activation="relu6", strides=2, padding="same")),
    "activation": (_core.activation, dict(x=arr(3, 5)), dict(name="softmax")),
    "layer_norm": (_core.layer_norm, dict(x=arr(2, 3, 5), gamma=arr(5), beta=arr(5), residual=arr(2, 3, 5)),
                   dict(epsilon=1e-3)),
}
ARRAY_ARGS = [(name, arg) for name, (_, arrays, _) in CALLS.items() for arg in arrays]
OUT_KERNELS = [name for name in CALLS if name not in ("dense", "activation")]


def call(name, **replace):
    fn, arrays, others = CALLS[name]
    return fn(**{**arrays, **others, **replace})


def first_output(result):
    return result[0] if isinstance(result, tuple) else result


BAD_DTYPES = {
    "complex64": lambda a: (a + 1j).astype(np.complex64),
    "complex128": lambda a: a + 0.5j,
    "datetime64": lambda a: np.zeros(a.shape, "datetime64[s]"),
    "timedelta64": lambda a: np.zeros(a.shape, "timedelta64[ms]"),
    "structured": lambda a: np.zeros(a.shape, [("v", "<f4")]),
    "object": lambda a: a.astype(object),
    "str": lambda a: np.full(a.shape, "1.5"),
    "bytes": lambda a: np.full(a.shape, b"1.5"),
}


@pytest.mark.parametrize("dtype", list(BAD_DTYPES))
@pytest.mark.parametrize("name,arg", ARRAY_ARGS)
def test_non_real_dtypes_are_refused_not_cast(name, arg, dtype):
    bad = BAD_DTYPES[dtype](CALLS[name][1][arg])
    expected = f"{name}: '{arg}' cannot be converted to a float32 array: dtype {bad.dtype} is not a real number type"
    with pytest.raises(TypeError, match=re.escape(expected)):
        call(name, **{arg: bad})


@pytest.mark.parametrize("name", ["dense", "conv2d", "max_pool2d", "activation"])
def test_lists_of_complex_or_objects_are_refused(name):
    x = CALLS[name][1]["x"]
    with pytest.raises(TypeError, match=re.escape(f"{name}: 'x' cannot be converted to a float32 array: dtype complex128")):
        call(name, x=(x + 1j).tolist())
    with pytest.raises(TypeError, match=re.escape(f"{name}: 'x' cannot be converted to a float32 array: dtype object")):
        call(name, x=[None] * len(x))


@pytest.mark.parametrize("mask", [np.ones((2, 5), np.complex64), np.ones((2, 5), object),
                                  np.zeros((2, 5), "datetime64[D]")], ids=["complex", "object", "datetime"])
@pytest.mark.parametrize("name", ["lstm", "gru", "simple_rnn"])
def test_sequence_mask_of_non_real_dtype_is_refused(mask, name):
    with pytest.raises(TypeError, match=re.escape(f"{name}: 'mask' cannot be converted to a bool array: dtype {mask.dtype}")):
        call(name, mask=mask)


def misaligned(a):
    """A C-contiguous float32 copy of `a` whose data starts one byte into its buffer."""
    buffer = np.zeros(a.nbytes + 1, np.uint8)
    view = np.ndarray(a.shape, np.float32, buffer=buffer, offset=1)
    view[...] = a
    assert not view.flags.aligned and view.flags.c_contiguous
    return view


@pytest.mark.parametrize("name,arg", ARRAY_ARGS)
def test_misaligned_inputs_give_the_aligned_result(name, arg):
    expected = call(name)
    got = call(name, **{arg: misaligned(CALLS[name][1][arg])})
    for e, g in zip(expected if isinstance(expected, tuple) else [expected], got if isinstance(got, tuple) else [got]):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("name", [n for n in OUT_KERNELS if n != "lstm_step"])
def test_misaligned_out_is_refused(name):
    out = misaligned(first_output(call(name)))
    with pytest.raises(ValueError, match=re.escape(f"{name}: 'out' must be aligned")):
        call(name, out=out)


def overlapping(out_shape, a, shift):
    """(input copy, out) in one buffer: the input's `a` values first, `out` starting `shift` floats
    before the input's end, so they share memory."""
    n, m = a.size, int(np.prod(out_shape))
    buffer = np.zeros(n + m, np.float32)
    start = max(n - shift, 0)
    buffer[:n] = a.ravel()
    return buffer[:n].reshape(a.shape), buffer[start:start + m].reshape(out_shape)


@pytest.mark.parametrize("name,arg", [(n, a) for n, a in ARRAY_ARGS if n in OUT_KERNELS and n != "lstm_step"])
@pytest.mark.parametrize("shift", [1, 10**9], ids=["one_float", "whole"])
def test_out_overlapping_an_input_is_refused(name, arg, shift):
    out_shape = first_output(call(name)).shape
    given, out = overlapping(out_shape, CALLS[name][1][arg], shift)
    with pytest.raises(ValueError, match=re.escape(f"{name}: 'out' shares memory with '{arg}'")):
        call(name, **{arg: given}, out=out)


@pytest.mark.parametrize("name", ["lstm", "gru", "simple_rnn"])
def test_sequence_out_overlapping_the_mask_is_refused(name):
    y_shape = call(name)[0].shape
    buffer = np.zeros(int(np.prod(y_shape)) * 4, np.uint8)
    out = buffer.view(np.float32).reshape(y_shape)
    mask = buffer[:10].view(bool).reshape(2, 5)
    with pytest.raises(ValueError, match=re.escape(f"{name}: 'out' shares memory with 'mask'")):
        call(name, mask=mask, out=out)


# h_out may be h itself and c_out c (tested below); any other sharing is refused.
@pytest.mark.parametrize("arg,which", [(arg, which) for arg in ["x_t", "kernel", "recurrent_kernel", "bias", "h", "c"]
                                       for which in (0, 1) if (arg, which) not in (("h", 0), ("c", 1))])
def test_lstm_step_out_overlapping_an_input_is_refused(arg, which):
    _, arrays, _ = CALLS["lstm_step"]
    given, out = overlapping((2, 4), arrays[arg], 1)
    pair = [np.empty((2, 4), np.float32), np.empty((2, 4), np.float32)]
    pair[which] = out
    with pytest.raises(ValueError, match=re.escape(f"lstm_step: 'out[{which}]' shares memory with '{arg}'")):
        call("lstm_step", **{arg: given}, out=tuple(pair))


def test_lstm_step_in_place_update_is_allowed_but_a_shifted_view_is_not():
    _, arrays, _ = CALLS["lstm_step"]
    expected_h, expected_c = call("lstm_step")
    h, c = arrays["h"].copy(), arrays["c"].copy()
    h_out, c_out = call("lstm_step", h=h, c=c, out=(h, c))
    assert h_out is h and c_out is c
    np.testing.assert_array_equal(h, expected_h)
    np.testing.assert_array_equal(c, expected_c)
    buffer = np.zeros(9, np.float32)
    shifted_h, shifted_out = buffer[:8].reshape(2, 4), buffer[1:9].reshape(2, 4)
    with pytest.raises(ValueError, match=re.escape("lstm_step: 'out[0]' shares memory with 'h'")):
        call("lstm_step", h=shifted_h, out=(shifted_out, np.empty((2, 4), np.float32)))


# The shape helpers against Keras's rules in Python's unbounded ints.
INT64_MAX = 2**63 - 1


def conv_length_ref(n, k, s, d, padding):
    dk = (k - 1) * d + 1
    if padding == "same":
        return -(-n // s)
    return (n - dk) // s + 1 if n >= dk else 0


def transpose_length_ref(n, k, s, d, padding, op):
    dk = (k - 1) * d + 1
    if op is None:
        return n * s + max(dk - s, 0) if padding == "valid" else n * s
    return (n - 1) * s + dk - 2 * (dk // 2 if padding == "same" else 0) + op


@pytest.mark.parametrize("args,match", [
    ((10, 3, 0), "conv_output_length: stride must be >= 1, got 0"),
    ((10, 0, 1), "conv_output_length: kernel size must be >= 1, got 0"),
    ((10, 3, 1, 0), "conv_output_length: dilation must be >= 1, got 0"),
    ((-1, 3, 1), "conv_output_length: input length must be >= 0, got -1"),
    ((10, 3, -2**63), "conv_output_length: stride must be >= 1"),
    ((10, 2**62, 1, 4), "conv_output_length: dilated kernel: sizes are too large"),
])
def test_conv_output_length_refuses_bad_arguments(args, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        _core.conv_output_length(*args)


@pytest.mark.parametrize("args,match", [
    ((10, 3, 0), "conv_transpose_output_length: stride must be >= 1, got 0"),
    ((10, 3, 2, 1, "valid", 2), "conv_transpose_output_length: output_padding must be smaller than the stride"),
    ((2**62, 3, 4), "conv_transpose_output_length: conv transpose output length: sizes are too large"),
    ((2, 2**62, 1, 3), "conv_transpose_output_length: dilated kernel: sizes are too large"),
])
def test_conv_transpose_output_length_refuses_bad_arguments(args, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        _core.conv_transpose_output_length(*args)


SIZES = st.one_of(st.integers(-3, 40), st.integers(-INT64_MAX - 1, INT64_MAX),
                  st.sampled_from([2**31, 2**32 + 1, 2**62, 2**62 + 1, INT64_MAX]))


@settings(max_examples=400, deadline=None)
@given(n=SIZES, k=SIZES, s=SIZES, d=SIZES, padding=st.sampled_from(["valid", "same"]))
def test_conv_output_length_is_keras_or_a_value_error(n, k, s, d, padding):
    valid_args = n >= 0 and k >= 1 and s >= 1 and d >= 1
    fits = valid_args and (k - 1) * d + 1 <= INT64_MAX
    try:
        got = _core.conv_output_length(n, k, s, d, padding)
    except ValueError:
        assert not fits
        return
    assert fits and got == conv_length_ref(n, k, s, d, padding)


@settings(max_examples=400, deadline=None)
@given(n=SIZES, k=SIZES, s=SIZES, d=SIZES, padding=st.sampled_from(["valid", "same"]),
       op=st.one_of(st.none(), st.integers(0, 5)))
def test_conv_transpose_output_length_is_keras_or_a_value_error(n, k, s, d, padding, op):
    valid_args = n >= 0 and k >= 1 and s >= 1 and d >= 1 and (op is None or op < s)
    small = valid_args and max(n, k, s, d) < 2**31
    try:
        got = _core.conv_transpose_output_length(n, k, s, d, padding, op)
    except ValueError:
        assert not small
        return
    assert valid_args and got == transpose_length_ref(n, k, s, d, padding, op) and got <= INT64_MAX
