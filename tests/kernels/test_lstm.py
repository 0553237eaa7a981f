"""nnkern._core.lstm / lstm_step against Keras goldens, the numpy reference, and bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from nnkern import _core
from numpy_ref.lstm import lstm as lstm_ref
from numpy_ref.lstm import lstm_step as lstm_step_ref

CASES = load_cases("lstm")
ELEMENTWISE_ACTIVATIONS = ["tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softsign", "relu6", "silu", "elu"]


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def case_kwargs(case, arrays):
    return dict(bias=arrays.get("bias"), activation=case["activation"],
                recurrent_activation=case["recurrent_activation"], return_sequences=case["return_sequences"],
                go_backwards=case["go_backwards"], initial_h=arrays.get("initial_h"),
                initial_c=arrays.get("initial_c"), mask=arrays.get("mask"))


def random_weights(rng, input_dim, units, use_bias=True, scale=1.0):
    kernel = rng.uniform(-scale, scale, (input_dim, 4 * units)).astype(np.float32)
    recurrent = rng.uniform(-scale, scale, (units, 4 * units)).astype(np.float32)
    bias = rng.uniform(-scale, scale, 4 * units).astype(np.float32) if use_bias else None
    return kernel, recurrent, bias


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_lstm_matches_keras(case, arrays):
    y, h, c = _core.lstm(arrays["x"], arrays["kernel"], arrays["recurrent_kernel"], **case_kwargs(case, arrays))
    assert y.dtype == h.dtype == c.dtype == np.float32
    close(y, arrays["y"])
    if case["return_state"]:
        close(h, arrays["h"])
        close(c, arrays["c"])


def test_goldens_cover_every_flag():
    ids = {c["id"] for c, _ in CASES}
    flags = {(c["return_sequences"], c["go_backwards"], "mask" in a, "initial_h" in a) for c, a in CASES}
    assert len(flags) == 16  # every combination of the four
    assert any(not c["use_bias"] for c, _ in CASES) and any(not c["return_state"] for c, _ in CASES)
    assert any(c["masking_layer"] for c, _ in CASES)
    assert {c["recurrent_activation"] for c, _ in CASES} >= {"sigmoid", "hard_sigmoid"}
    assert {"batch1_seq", "timesteps1_seq", "timesteps1_masked_initial"} <= ids
    # a fully masked sample keeps its initial state
    _, a = next((c, a) for c, a in CASES if c["id"] == "mask_initial_last_fwd")
    assert not a["mask"][1].any()
    close(a["h"][1], a["initial_h"][1])


def test_go_backwards_outputs_are_in_processing_order():
    # The Keras golden itself: with go_backwards the last listed output is the final state.
    for case, a in CASES:
        if case["go_backwards"] and case["return_sequences"] and case["return_state"]:
            close(a["y"][:, -1], a["h"])


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(0, 5), timesteps=st.integers(0, 9), input_dim=st.integers(0, 6), units=st.integers(1, 9),
       act=st.sampled_from(ELEMENTWISE_ACTIVATIONS), ract=st.sampled_from(["sigmoid", "hard_sigmoid", "tanh"]),
       use_bias=st.booleans(), return_sequences=st.booleans(), go_backwards=st.booleans(),
       with_initial=st.booleans(), with_mask=st.booleans(), seed=st.integers(0, 2**31))
def test_lstm_matches_numpy_reference(batch, timesteps, input_dim, units, act, ract, use_bias, return_sequences,
                                      go_backwards, with_initial, with_mask, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (batch, timesteps, input_dim)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, use_bias, scale=0.6)
    h0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32) if with_initial else None
    c0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32) if with_initial else None
    mask = rng.uniform(size=(batch, timesteps)) > 0.3 if with_mask else None
    kw = dict(return_sequences=return_sequences, go_backwards=go_backwards, initial_h=h0, initial_c=c0, mask=mask)
    got = _core.lstm(x, kernel, recurrent, bias, act, ract, **kw)
    expected = lstm_ref(x, kernel, recurrent, bias, act, ract, **kw)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-5)


@pytest.mark.parametrize("batch,units,input_dim,timesteps", [
    (32, 64, 20, 6), (3, 33, 7, 5), (40, 24, 9, 3), (2, 64, 5, 4), (2, 300, 3, 3), (1, 40, 3, 5), (1, 203, 4, 5),
    (1200, 8, 2, 3)])
def test_lstm_larger_shapes_match_reference(batch, units, input_dim, timesteps):
    # Sizes past the vector width and with odd tails; several row and depth blocks of the packed
    # recurrent product (units 300: two depth blocks; batch 1200: several batch blocks); batch 1's
    # row-vector product over 812 columns: whole register blocks, a partial one and a scalar tail, the
    # rows forwards and backwards on alternate steps; the fused sigmoid/tanh path and a generic one.
    check_against_reference(np.random.default_rng(units), batch, units, input_dim, timesteps)


@pytest.mark.parametrize("batch,units,input_dim,timesteps", [(8, 256, 4, 2), (16, 200, 6, 4), (30, 150, 3, 3)])
@pytest.mark.parametrize("act,ract", [("tanh", "sigmoid"), ("relu", "hard_sigmoid")])
def test_lstm_threaded_unit_slices_bitwise_on_1_2_3_threads(on_threads, batch, units, input_dim, timesteps, act,
                                                            ract):
    # Steps of >= 4 MFLOP: the recurrence splits into unit slices shared by the threads.
    rng = np.random.default_rng(units)
    x = rng.uniform(-1, 1, (batch, timesteps, input_dim)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, scale=0.3)
    mask = rng.uniform(size=(batch, timesteps)) > 0.2
    kw = dict(return_sequences=True, mask=mask)
    got = on_threads(lambda: _core.lstm(x, kernel, recurrent, bias, act, ract, **kw))
    for g, e in zip(got, lstm_ref(x, kernel, recurrent, bias, act, ract, **kw)):
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-5)


def test_lstm_step_threaded_bitwise_on_1_2_3_threads(on_threads):
    rng = np.random.default_rng(5)
    batch, input_dim, units = 64, 40, 200
    x = rng.uniform(-1, 1, (batch, input_dim)).astype(np.float32)
    h = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    c = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, scale=0.3)
    h_new, c_new = on_threads(lambda: _core.lstm_step(x, h, c, kernel, recurrent, bias))
    h_ref, c_ref = lstm_step_ref(x, h, c, kernel, recurrent, bias)
    np.testing.assert_allclose(h_new, h_ref, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(c_new, c_ref, rtol=2e-4, atol=2e-5)


def at_offset(a, offset_floats):
    """A copy of a starting offset_floats past a 64-byte boundary."""
    buf = np.empty(a.size + 32, np.float32)
    start = (-buf.ctypes.data % 64) // 4 + offset_floats
    out = buf[start:start + a.size].reshape(a.shape)
    out[...] = a
    return out


@pytest.mark.parametrize("units", [64, 96])
def test_lstm_batch1_recurrent_kernel_on_and_off_cache_lines(units):
    # At batch 1 the recurrent kernel is read in place when its rows start on vector boundaries, else
    # from an aligned copy: the same sums either way, so bitwise the same results.
    rng = np.random.default_rng(units)
    x = rng.uniform(-1, 1, (1, 7, 5)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, 5, units, scale=0.3)
    expected = lstm_ref(x, kernel, recurrent, bias, return_sequences=True)
    results = [_core.lstm(x, kernel, at_offset(recurrent, offset), bias, return_sequences=True) for offset in (0, 1, 4)]
    for got in results:
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-5)
        for g, first in zip(got, results[0]):
            np.testing.assert_array_equal(g, first)


@pytest.mark.parametrize("units", [8, 16, 24, 32, 64, 96, 112])
@pytest.mark.parametrize("timesteps", [1, 2, 5])
def test_lstm_batch1_gates_fused_with_next_product_match_reference(units, timesteps):
    # Batch 1 with sigmoid / tanh runs each step's gates fused with the next step's recurrent product
    # while 4u columns fit in registers (u <= 64 with AVX-512, <= 24 with AVX2; 96, 112: the separate
    # passes): masked steps, initial state, both directions, all outputs.
    rng = np.random.default_rng(units * 10 + timesteps)
    kernel, recurrent, bias = random_weights(rng, 6, units, scale=0.4)
    for go_backwards in (False, True):
        x = rng.uniform(-1, 1, (1, timesteps, 6)).astype(np.float32)
        h0, c0 = (rng.uniform(-1, 1, (1, units)).astype(np.float32) for _ in range(2))
        mask = rng.uniform(size=(1, timesteps)) > 0.4
        kw = dict(return_sequences=True, go_backwards=go_backwards, initial_h=h0, initial_c=c0, mask=mask)
        for g, e in zip(_core.lstm(x, kernel, recurrent, bias, **kw), lstm_ref(x, kernel, recurrent, bias, **kw)):
            np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-5)


def check_against_reference(rng, batch, units, input_dim, timesteps):
    x = rng.uniform(-1, 1, (batch, timesteps, input_dim)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, scale=0.3)
    mask = rng.uniform(size=(batch, timesteps)) > 0.2
    for act, ract in [("tanh", "sigmoid"), ("relu", "hard_sigmoid")]:
        got = _core.lstm(x, kernel, recurrent, bias, act, ract, return_sequences=True, mask=mask)
        for g, e in zip(got, lstm_ref(x, kernel, recurrent, bias, act, ract, return_sequences=True, mask=mask)):
            np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-5)


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(0, 6), input_dim=st.integers(0, 7), units=st.integers(1, 12), use_bias=st.booleans(),
       act=st.sampled_from(["tanh", "relu", "softmax"]), ract=st.sampled_from(["sigmoid", "hard_sigmoid"]),
       seed=st.integers(0, 2**31))
def test_lstm_step_matches_one_reference_step(batch, input_dim, units, use_bias, act, ract, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (batch, input_dim)).astype(np.float32)
    h = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    c = rng.uniform(-1, 1, (batch, units)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, use_bias)
    h_new, c_new = _core.lstm_step(x, h, c, kernel, recurrent, bias, act, ract)
    h_ref, c_ref = lstm_step_ref(x, h, c, kernel, recurrent, bias, act, ract)
    np.testing.assert_allclose(h_new, h_ref, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(c_new, c_ref, rtol=2e-4, atol=2e-5)


def test_lstm_step_chain_equals_sequence_and_updates_in_place():
    case, a = next((c, a) for c, a in CASES if c["id"] == "initial_seq_fwd")
    h, c = a["initial_h"].copy(), a["initial_c"].copy()
    for t in range(a["x"].shape[1]):
        h_prev = h
        h, c = _core.lstm_step(a["x"][:, t], h, c, a["kernel"], a["recurrent_kernel"], a["bias"], out=(h, c))
        assert h is h_prev  # written into the given arrays
        close(h, a["y"][:, t])
    close(c, a["c"])


def test_timesteps_zero_returns_initial_state():
    rng = np.random.default_rng(0)
    kernel, recurrent, bias = random_weights(rng, 3, 4)
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    x = np.zeros((2, 0, 3), np.float32)
    y, h, c = _core.lstm(x, kernel, recurrent, bias, initial_h=h0, initial_c=c0)
    close(y, h0), close(h, h0), close(c, c0)
    y, h, c = _core.lstm(x, kernel, recurrent, bias, return_sequences=True, mask=np.zeros((2, 0)))
    assert y.shape == (2, 0, 4)
    np.testing.assert_array_equal(h, 0), np.testing.assert_array_equal(c, 0)


def test_batch_zero_and_units_zero():
    y, h, c = _core.lstm(np.zeros((0, 5, 3)), np.zeros((3, 8)), np.zeros((2, 8)), return_sequences=True)
    assert y.shape == (0, 5, 2) and h.shape == c.shape == (0, 2)
    y, h, c = _core.lstm(np.ones((2, 5, 3)), np.zeros((3, 0)), np.zeros((0, 0)))
    assert y.shape == h.shape == c.shape == (2, 0)
    h, c = _core.lstm_step(np.zeros((0, 3)), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros((3, 8)), np.zeros((2, 8)))
    assert h.shape == c.shape == (0, 2)


def test_layouts_and_mask_types_are_accepted():
    case, a = next((c, a) for c, a in CASES if c["id"] == "mask_initial_seq_bwd")
    kw = case_kwargs(case, a)
    expected = _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], **kw)
    x64 = a["x"].astype(np.float64)
    variants = {
        "float64": dict(x=x64),
        "fortran": dict(x=np.asfortranarray(a["x"]), kernel=np.asfortranarray(a["kernel"])),
        "big_endian": dict(x=a["x"].astype(">f4"), recurrent_kernel=a["recurrent_kernel"].astype(">f4")),
        "reversed_view": dict(x=a["x"][::-1].copy()[::-1]),
        "int_mask": dict(mask=a["mask"].astype(np.int64)),
        "uint8_mask": dict(mask=a["mask"].astype(np.uint8) * 7),
        "float_mask": dict(mask=a["mask"].astype(np.float32)),
        "list_mask": dict(mask=a["mask"].tolist()),
        "strided_mask": dict(mask=np.repeat(a["mask"], 2, axis=1)[:, ::2]),
    }
    for name, override in variants.items():
        args = {"x": a["x"], "kernel": a["kernel"], "recurrent_kernel": a["recurrent_kernel"], **kw, **override}
        got = _core.lstm(**args)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7, err_msg=name)
    ro = a["x"].copy()
    ro.setflags(write=False)
    close(_core.lstm(ro, a["kernel"], a["recurrent_kernel"], **kw)[0], expected[0])


def test_out_argument():
    case, a = next((c, a) for c, a in CASES if c["id"] == "plain_seq_fwd")
    out = np.full(a["y"].shape, np.nan, np.float32)
    y, _, _ = _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], a["bias"], return_sequences=True, out=out)
    assert y is out
    close(out, a["y"])
    with pytest.raises(ValueError, match=r"lstm: 'out' must have shape \(3, 7, 4\), got \(3, 4\)"):
        _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], return_sequences=True, out=np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match="lstm: 'out' must have dtype float32, got float64"):
        _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], out=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="lstm: 'out' must be C-contiguous"):
        _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], out=np.zeros((4, 3), np.float32).T)
    ro = np.zeros((3, 4), np.float32)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        _core.lstm(a["x"], a["kernel"], a["recurrent_kernel"], out=ro)
    h = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="the same array"):
        _core.lstm_step(a["x"][:, 0], h, h, a["kernel"], a["recurrent_kernel"], out=(h, h))
    with pytest.raises(TypeError, match=r"pair \(h_out, c_out\)"):
        _core.lstm_step(a["x"][:, 0], h, h, a["kernel"], a["recurrent_kernel"], out=h)


X = np.zeros((2, 5, 3))
W = np.zeros((3, 16))
U = np.zeros((4, 16))


@pytest.mark.parametrize("kwargs,match", [
    (dict(x=np.zeros((2, 3))), r"lstm: 'x' must be 3-D \(batch, timesteps, input_dim\), got shape \(2, 3\)"),
    (dict(kernel=np.zeros((4, 16))), r"'kernel' must have shape \(3, 16\) .*got \(4, 16\)"),
    (dict(kernel=np.zeros((3, 12))), r"'kernel' must have shape \(3, 16\) .*got \(3, 12\)"),
    (dict(kernel=np.zeros(48)), r"'kernel' must be 2-D"),
    (dict(recurrent_kernel=np.zeros((4, 12))), r"'recurrent_kernel' must have shape \(units, 4 \* units\), got \(4, 12\)"),
    (dict(recurrent_kernel=np.zeros((4, 16, 1))), r"'recurrent_kernel' must be 2-D"),
    (dict(bias=np.zeros(12)), r"'bias' must have shape \(16,\), got \(12,\)"),
    (dict(bias=np.zeros((1, 16))), r"'bias' must have shape \(16,\), got \(1, 16\)"),
    (dict(initial_h=np.zeros((3, 4))), r"'initial_h' must have shape \(2, 4\), got \(3, 4\)"),
    (dict(initial_c=np.zeros((2, 5))), r"'initial_c' must have shape \(2, 4\), got \(2, 5\)"),
    (dict(mask=np.ones((2, 4), bool)), r"'mask' must have shape \(2, 5\), got \(2, 4\)"),
    (dict(mask=np.ones((2, 5, 1), bool)), r"'mask' must have shape \(2, 5\), got \(2, 5, 1\)"),
    (dict(activation="nope"), r"lstm: 'activation': unknown activation 'nope'"),
    (dict(recurrent_activation="sigmoidd"), r"lstm: 'recurrent_activation': unknown activation 'sigmoidd'"),
    (dict(x=np.zeros((2**30, 2**30, 0), np.float32), kernel=np.zeros((0, 16))), r"lstm: .*too large"),
])
def test_bad_lstm_arguments_raise_value_error(kwargs, match):
    args = {**dict(x=X, kernel=W, recurrent_kernel=U), **kwargs}
    with pytest.raises(ValueError, match=match):
        _core.lstm(**args)


@pytest.mark.parametrize("args,match", [
    ((np.zeros((2, 5, 3)), np.zeros((2, 4)), np.zeros((2, 4)), W, U), r"lstm_step: 'x_t' must be 2-D"),
    ((np.zeros((2, 3)), np.zeros((2, 5)), np.zeros((2, 4)), W, U), r"'h' must have shape \(2, 4\), got \(2, 5\)"),
    ((np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((1, 4)), W, U), r"'c' must have shape \(2, 4\), got \(1, 4\)"),
    ((np.zeros((2, 2)), np.zeros((2, 4)), np.zeros((2, 4)), W, U), r"'kernel' must have shape \(2, 16\)"),
    ((np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), W, np.zeros((16, 4))), r"'recurrent_kernel' must have"),
    ((np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), W, U, np.zeros(4)), r"'bias' must have shape \(16,\)"),
    ((np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)), W, U, None, "bad"), r"'activation': unknown activation"),
])
def test_bad_lstm_step_arguments_raise_value_error(args, match):
    with pytest.raises(ValueError, match=match):
        _core.lstm_step(*args)


def test_bad_types():
    with pytest.raises(ValueError, match="lstm: 'x' must be an array, got None"):
        _core.lstm(None, W, U)
    with pytest.raises(TypeError, match="'kernel' cannot be converted"):
        _core.lstm(X, object(), U)
    with pytest.raises(ValueError, match=r"'mask' must have shape \(2, 5\), got \(\)"):
        _core.lstm(X, W, U, mask=object())  # numpy makes it a 0-d bool array
