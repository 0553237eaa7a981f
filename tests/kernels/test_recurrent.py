"""nnkern._core.gru / simple_rnn against the numpy reference (hypothesis, random shapes), the Keras goldens of
the layers (tests/golden/gen_recurrent_gru.py), and bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from nnkern import _core
from numpy_ref.recurrent import gru as gru_ref
from numpy_ref.recurrent import simple_rnn as simple_rnn_ref

ELEMENTWISE_ACTIVATIONS = ["tanh", "sigmoid", "hard_sigmoid", "relu", "linear", "softsign", "relu6", "silu", "elu"]
LAYER_CASES = [(c, a) for c, a in load_cases("recurrent_gru") if c["kind"] == "single"]


def close(actual, expected):
    # float32 rounding grows with the magnitudes summed: with a linear activation the state can reach
    # hundreds, and a small output beside them carries their rounding, so atol scales with the largest value.
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * scale)


def random_weights(rng, input_dim, units, gates, bias_shape, scale=0.6):
    kernel = rng.uniform(-scale, scale, (input_dim, gates * units)).astype(np.float32)
    recurrent = rng.uniform(-scale, scale, (units, gates * units)).astype(np.float32)
    bias = None if bias_shape is None else rng.uniform(-scale, scale, bias_shape).astype(np.float32)
    return kernel, recurrent, bias


@pytest.mark.parametrize("case,arrays", LAYER_CASES, ids=[c["id"] for c, _ in LAYER_CASES])
def test_kernel_matches_keras_layer(case, arrays):
    """The kernel alone, on the weights and inputs of each Keras single-layer golden."""
    kw, weights = case["kwargs"], [arrays[f"w{i}"] for i in range(case["n_weights"])]
    bias = weights[2] if len(weights) == 3 else None
    flags = dict(return_sequences=kw.get("return_sequences", False), go_backwards=kw.get("go_backwards", False))
    if case["class_name"] == "GRU":
        y, h = _core.gru(arrays["x"], weights[0], weights[1], bias, kw.get("activation", "tanh"),
                         kw.get("recurrent_activation", "sigmoid"), kw["reset_after"], **flags)
    else:
        y, h = _core.simple_rnn(arrays["x"], weights[0], weights[1], bias, kw.get("activation", "tanh"), **flags)
    assert y.dtype == h.dtype == np.float32
    close(y, arrays["y0"])
    if kw.get("return_state"):
        close(h, arrays["y1"])


@settings(max_examples=80, deadline=None)
@given(batch=st.integers(0, 5), timesteps=st.integers(0, 9), input_dim=st.integers(0, 6), units=st.integers(1, 11),
       act=st.sampled_from(ELEMENTWISE_ACTIVATIONS + ["softmax"]), ract=st.sampled_from(["sigmoid", "hard_sigmoid",
                                                                                          "tanh", "relu6"]),
       reset_after=st.booleans(), use_bias=st.booleans(), return_sequences=st.booleans(), go_backwards=st.booleans(),
       with_initial=st.booleans(), with_mask=st.booleans(), seed=st.integers(0, 2**31))
def test_gru_matches_numpy_reference(batch, timesteps, input_dim, units, act, ract, reset_after, use_bias,
                                     return_sequences, go_backwards, with_initial, with_mask, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (batch, timesteps, input_dim)).astype(np.float32)
    bias_shape = ((2, 3 * units) if reset_after else (3 * units,)) if use_bias else None
    kernel, recurrent, bias = random_weights(rng, input_dim, units, 3, bias_shape)
    h0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32) if with_initial else None
    mask = rng.uniform(size=(batch, timesteps)) > 0.3 if with_mask else None
    kw = dict(return_sequences=return_sequences, go_backwards=go_backwards, initial_h=h0, mask=mask)
    got = _core.gru(x, kernel, recurrent, bias, act, ract, reset_after, **kw)
    expected = gru_ref(x, kernel, recurrent, bias, act, ract, reset_after, **kw)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        close(g, e)


@settings(max_examples=60, deadline=None)
@given(batch=st.integers(0, 5), timesteps=st.integers(0, 9), input_dim=st.integers(0, 6), units=st.integers(1, 11),
       act=st.sampled_from(ELEMENTWISE_ACTIVATIONS + ["softmax"]), use_bias=st.booleans(),
       return_sequences=st.booleans(), go_backwards=st.booleans(), with_initial=st.booleans(),
       with_mask=st.booleans(), seed=st.integers(0, 2**31))
def test_simple_rnn_matches_numpy_reference(batch, timesteps, input_dim, units, act, use_bias, return_sequences,
                                            go_backwards, with_initial, with_mask, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (batch, timesteps, input_dim)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, 1, (units,) if use_bias else None)
    h0 = rng.uniform(-1, 1, (batch, units)).astype(np.float32) if with_initial else None
    mask = rng.uniform(size=(batch, timesteps)) > 0.3 if with_mask else None
    kw = dict(return_sequences=return_sequences, go_backwards=go_backwards, initial_h=h0, mask=mask)
    got = _core.simple_rnn(x, kernel, recurrent, bias, act, **kw)
    expected = simple_rnn_ref(x, kernel, recurrent, bias, act, **kw)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        close(g, e)


@pytest.mark.parametrize("batch,units,input_dim,timesteps", [(1, 130, 7, 5), (9, 70, 33, 4), (33, 40, 5, 3)])
@pytest.mark.parametrize("reset_after", [True, False])
def test_larger_shapes_match_reference(batch, units, input_dim, timesteps, reset_after):
    # Batches above 1 take the packed-panel product, wide units several of Eigen's blocks.
    rng = np.random.default_rng(batch)
    x = rng.uniform(-1, 1, (batch, timesteps, input_dim)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, input_dim, units, 3, (2, 3 * units) if reset_after else (3 * units,),
                                             scale=0.2)
    mask = rng.uniform(size=(batch, timesteps)) > 0.2
    for g, e in zip(_core.gru(x, kernel, recurrent, bias, reset_after=reset_after, return_sequences=True, mask=mask),
                    gru_ref(x, kernel, recurrent, bias, reset_after=reset_after, return_sequences=True, mask=mask)):
        close(g, e)
    k1, r1, b1 = kernel[:, :units], recurrent[:, :units], bias.reshape(-1)[:units]
    for g, e in zip(_core.simple_rnn(x, k1, r1, b1, "relu", go_backwards=True, mask=mask),
                    simple_rnn_ref(x, k1, r1, b1, "relu", go_backwards=True, mask=mask)):
        close(g, e)


def test_timesteps_zero_and_batch_zero():
    rng = np.random.default_rng(0)
    kernel, recurrent, bias = random_weights(rng, 3, 4, 3, (2, 12))
    h0 = rng.standard_normal((2, 4))
    x = np.zeros((2, 0, 3), np.float32)
    y, h = _core.gru(x, kernel, recurrent, bias, initial_h=h0)
    close(y, h0), close(h, h0)
    y, h = _core.simple_rnn(x, kernel[:, :4], recurrent[:, :4], return_sequences=True, mask=np.zeros((2, 0)))
    assert y.shape == (2, 0, 4)
    np.testing.assert_array_equal(h, 0)
    y, h = _core.gru(np.zeros((0, 5, 3)), kernel, recurrent, return_sequences=True)
    assert y.shape == (0, 5, 4) and h.shape == (0, 4)
    y, h = _core.simple_rnn(np.ones((2, 5, 3)), np.zeros((3, 0)), np.zeros((0, 0)))
    assert y.shape == h.shape == (2, 0)


def test_fully_masked_sample_keeps_its_initial_state():
    rng = np.random.default_rng(1)
    kernel, recurrent, bias = random_weights(rng, 3, 4, 3, (12,))
    h0 = rng.standard_normal((2, 4)).astype(np.float32)
    mask = np.array([[0, 0, 0], [1, 0, 1]], bool)
    y, h = _core.gru(rng.standard_normal((2, 3, 3)), kernel, recurrent, bias, reset_after=False,
                     return_sequences=True, initial_h=h0, mask=mask)
    np.testing.assert_array_equal(h[0], h0[0])
    np.testing.assert_array_equal(y[0], np.repeat(h0[:1], 3, axis=0))
    np.testing.assert_array_equal(y[1, 1], y[1, 0])  # a masked step repeats the previous output


def test_layouts_and_mask_types_are_accepted():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (3, 6, 4)).astype(np.float32)
    kernel, recurrent, bias = random_weights(rng, 4, 5, 3, (2, 15))
    mask = rng.uniform(size=(3, 6)) > 0.3
    expected = _core.gru(x, kernel, recurrent, bias, return_sequences=True, mask=mask)
    for name, override in {"float64": dict(x=x.astype(np.float64)), "fortran": dict(kernel=np.asfortranarray(kernel)),
                           "big_endian": dict(recurrent_kernel=recurrent.astype(">f4")),
                           "int_mask": dict(mask=mask.astype(np.int64)), "list_mask": dict(mask=mask.tolist()),
                           "strided_mask": dict(mask=np.repeat(mask, 2, axis=1)[:, ::2])}.items():
        args = dict(x=x, kernel=kernel, recurrent_kernel=recurrent, bias=bias, return_sequences=True, mask=mask)
        for g, e in zip(_core.gru(**{**args, **override}), expected):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("fn", ["gru", "simple_rnn"])
def test_out_argument(fn):
    rng = np.random.default_rng(3)
    gates = 3 if fn == "gru" else 1
    x = rng.uniform(-1, 1, (3, 7, 2)).astype(np.float32)
    kernel, recurrent, _ = random_weights(rng, 2, 4, gates, None)
    kernel_fn = getattr(_core, fn)
    expected = kernel_fn(x, kernel, recurrent, return_sequences=True)[0]
    out = np.full((3, 7, 4), np.nan, np.float32)
    y, _ = kernel_fn(x, kernel, recurrent, return_sequences=True, out=out)
    assert y is out
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match=rf"{fn}: 'out' must have shape \(3, 7, 4\), got \(3, 4\)"):
        kernel_fn(x, kernel, recurrent, return_sequences=True, out=np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match=f"{fn}: 'out' must have dtype float32, got float64"):
        kernel_fn(x, kernel, recurrent, out=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=f"{fn}: 'out' must be C-contiguous"):
        kernel_fn(x, kernel, recurrent, out=np.zeros((4, 3), np.float32).T)


X = np.zeros((2, 5, 3))
W = np.zeros((3, 12))
U = np.zeros((4, 12))


@pytest.mark.parametrize("kwargs,match", [
    (dict(x=np.zeros((2, 3))), r"gru: 'x' must be 3-D \(batch, timesteps, input_dim\), got shape \(2, 3\)"),
    (dict(kernel=np.zeros((4, 12))), r"'kernel' must have shape \(3, 12\) .*got \(4, 12\)"),
    (dict(kernel=np.zeros((3, 16))), r"'kernel' must have shape \(3, 12\) .*got \(3, 16\)"),
    (dict(kernel=np.zeros(36)), r"'kernel' must be 2-D"),
    (dict(recurrent_kernel=np.zeros((4, 16))),
     r"'recurrent_kernel' must have shape \(units, 3 \* units\), got \(4, 16\)"),
    (dict(recurrent_kernel=np.zeros((4, 12, 1))), r"'recurrent_kernel' must be 2-D"),
    (dict(bias=np.zeros(12)), r"'bias' must have shape \(2, 12\), got \(12,\)"),
    (dict(bias=np.zeros((2, 12)), reset_after=False), r"'bias' must have shape \(12,\), got \(2, 12\)"),
    (dict(initial_h=np.zeros((3, 4))), r"'initial_h' must have shape \(2, 4\), got \(3, 4\)"),
    (dict(mask=np.ones((2, 4), bool)), r"'mask' must have shape \(2, 5\), got \(2, 4\)"),
    (dict(activation="nope"), r"gru: 'activation': unknown activation 'nope'"),
    (dict(recurrent_activation="sigmoidd"), r"gru: 'recurrent_activation': unknown activation 'sigmoidd'"),
    (dict(x=np.zeros((2**30, 2**30, 0), np.float32), kernel=np.zeros((0, 12))), r"gru: .*too large"),
])
def test_bad_gru_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _core.gru(**{**dict(x=X, kernel=W, recurrent_kernel=U), **kwargs})


@pytest.mark.parametrize("kwargs,match", [
    (dict(kernel=np.zeros((3, 5))), r"simple_rnn: 'kernel' must have shape \(3, 4\) \(input_dim of x, units of "),
    (dict(recurrent_kernel=np.zeros((4, 12))), r"'recurrent_kernel' must have shape \(units, units\), got \(4, 12\)"),
    (dict(bias=np.zeros((2, 4))), r"'bias' must have shape \(4,\), got \(2, 4\)"),
    (dict(activation="nope"), r"simple_rnn: 'activation': unknown activation 'nope'"),
])
def test_bad_simple_rnn_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _core.simple_rnn(**{**dict(x=X, kernel=W[:, :4], recurrent_kernel=U[:, :4]), **kwargs})


def test_bad_types():
    with pytest.raises(ValueError, match="gru: 'x' must be an array, got None"):
        _core.gru(None, W, U)
    with pytest.raises(TypeError, match="simple_rnn: 'kernel' cannot be converted"):
        _core.simple_rnn(X, object(), U[:, :4])
    with pytest.raises(TypeError, match=r"gru: 'mask' cannot be converted to a bool array: dtype complex128"):
        _core.gru(X, W, U, mask=np.ones((2, 5), complex))
