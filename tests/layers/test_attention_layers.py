"""The attention layers called directly on arrays: the same results as in a model, Keras's argument
errors, explicit masks (query_mask, value_mask, key_mask, attention_mask) combined as Keras combines
them, training-time dropout, and EinsumDense against numpy.einsum over random equations (hypothesis)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern
from nnkern import layers

RNG = np.random.default_rng(0)


def uniform(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def mha_reference(layer, q_in, v_in, k_in=None, mask=None, causal=False):
    """Keras's MultiHeadAttention from its weights in numpy (3-D inputs, Softmax-layer masking)."""
    k_in = v_in if k_in is None else k_in
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    q = np.einsum("btd,dnh->btnh", q_in, wq) + bq
    k = np.einsum("bsd,dnh->bsnh", k_in, wk) + bk
    v = np.einsum("bsd,dnh->bsnh", v_in, wv) + bv
    s = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(wq.shape[-1])
    keep = np.ones(s.shape, bool)
    if mask is not None:
        keep &= mask[:, None]
    if causal:
        keep &= np.tril(np.ones(s.shape[-2:], bool))
    s = np.where(keep, s, -1e9)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = np.where(keep, p / p.sum(-1, keepdims=True), 0)
    return np.einsum("bnhd,hde->bne", np.einsum("bnts,bsnh->btnh", p, v), wo) + bo, p


def test_mha_eager_matches_reference_and_model():
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=2)
    q, v, k = uniform(2, 5, 6), uniform(2, 7, 3), uniform(2, 7, 4)
    out, scores = layer(q, v, key=k, return_attention_scores=True)
    want, want_scores = mha_reference(layer, q, v, k)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-6)
    assert scores.shape == (2, 3, 5, 7)
    qi, vi, ki = layers.Input((5, 6)), layers.Input((7, 3)), layers.Input((7, 4))
    model = nnkern.Model([qi, vi, ki], layer(qi, vi, key=ki))
    np.testing.assert_allclose(model.predict([q, v, k], verbose=0), out, rtol=1e-6, atol=1e-6)


def test_mha_masks_combine_like_keras():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = uniform(2, 4, 5), uniform(2, 6, 5)
    q_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 0, 1, 1, 1, 1], [1, 1, 1, 0, 0, 1]], bool)
    k_mask = np.array([[1, 1, 1, 1, 0, 1], [1, 1, 1, 1, 1, 0]], bool)
    attention_mask = RNG.uniform(size=(2, 4, 6)) > 0.2
    attention_mask[:, :, 0] = True
    combined = q_mask[:, :, None] & v_mask[:, None] & k_mask[:, None] & attention_mask
    out, scores = layer(q, v, query_mask=q_mask, value_mask=v_mask, key_mask=k_mask, attention_mask=attention_mask,
                        use_causal_mask=True, return_attention_scores=True)
    want, want_scores = mha_reference(layer, q, v, mask=combined, causal=True)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-6)
    # Without returned scores Keras's fused path averages V over a fully masked row (query step 2 of sample 0).
    fused = layer(q, v, query_mask=q_mask, value_mask=v_mask)
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    v_heads = np.einsum("sd,dnh->snh", v[0], wv) + bv
    np.testing.assert_allclose(fused[0, 2], np.einsum("nh,nhe->e", v_heads.mean(0), wo) + bo, rtol=1e-4, atol=1e-5)


def test_mha_training_dropout_changes_and_inference_does_not():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    x = uniform(2, 6, 4)
    inference = layer(x, x)
    np.testing.assert_array_equal(layer(x, x, training=False), inference)
    assert not np.allclose(layer(x, x, training=True), inference)


def test_mha_summary_row_and_weights_order():
    inp = layers.Input((5, 8))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    model = nnkern.Model(inp, layer(inp, inp))
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line for line in "".join(lines).splitlines() if line.startswith("│ mha ")]
    assert len(rows) == 1 and "│ (None, 5, 8) " in rows[0] and "│        218 │" in rows[0]
    assert [w.path for w in layer.weights] == [f"mha/{d}/{w}" for d in ("query", "key", "value", "attention_output")
                                               for w in ("kernel", "bias")]


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_heads=0, key_dim=2), r"`num_heads`, expected a positive integer. Received: num_heads=0"),
    (dict(num_heads=2.0, key_dim=2), r"num_heads=2.0"),
    (dict(num_heads=2, key_dim=-1), r"`key_dim`, expected a positive integer. Received: key_dim=-1"),
    (dict(num_heads=2, key_dim=2, value_dim="4"), r"`value_dim`, expected a positive integer or `None`"),
    (dict(num_heads=2, key_dim=2, attention_axes="1"), r"`attention_axes` must be an int, list, or tuple"),
    (dict(num_heads=2, key_dim=2, output_shape=2.5), r"Invalid `output_shape`: 2.5"),
    (dict(num_heads=2, key_dim=2, sliding_window=0), r"`sliding_window`"),
    (dict(num_heads=2, key_dim=2, dropout=1.5), r"`dropout`"),
    (dict(num_heads=2, key_dim=2, dropout=0.1, flash_attention=True), r"Dropout is not supported when flash"),
    (dict(num_heads=2, key_dim=2, bogus=1), r"Unrecognized keyword arguments passed to MultiHeadAttention"),
])
def test_mha_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MultiHeadAttention(**kwargs)


def test_mha_keyword_call_and_refused_dtypes():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")
    q, v = uniform(2, 3, 4), uniform(2, 5, 4)
    np.testing.assert_allclose(layer(query=q, value=v), mha_reference(layer, q, v)[0], rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match=r"Layer 'mha' \(MultiHeadAttention\) value: .* dtype complex64"):
        layer(q, v.astype(np.complex64))
    with pytest.raises(TypeError, match=r"Layer 'mha' \(MultiHeadAttention\) key: .* dtype <U1"):
        layer(q, v, key=np.full((2, 5, 4), "a"))


def test_mha_value_and_key_must_agree_and_bad_masks_name_the_layer():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")
    with pytest.raises(ValueError, match=r"All dimensions of `value` and `key`, except the last one, must be equal"):
        layer(uniform(1, 3, 4), uniform(1, 5, 4), key=uniform(1, 6, 4))
    with pytest.raises(ValueError, match=r"MultiHeadAttention layer 'mha': attention: 'mask' of shape"):
        layer(uniform(1, 3, 4), uniform(1, 5, 4), attention_mask=np.ones((1, 3, 4), bool))


def test_attention_dot_concat_and_masks():
    q, v = uniform(2, 4, 3), uniform(2, 5, 3)
    v_mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0]], bool)  # sample 1: every value masked
    q_mask = np.array([[1, 0, 1, 1], [1, 1, 1, 1]], bool)
    for layer in (layers.Attention(use_scale=True), layers.Attention(score_mode="concat"),
                  layers.AdditiveAttention()):
        layer.build([q.shape, v.shape])
        layer.set_weights([w + 0.3 for w in layer.get_weights()])
        out, weights = layer([q, v], mask=[q_mask, v_mask], return_attention_scores=True)
        scores = layer._calculate_scores(q, v).astype(np.float32)
        shifted = np.where(v_mask[:, None], scores, scores - np.float32(1e9)).astype(np.float64)
        e = np.exp(shifted - shifted.max(-1, keepdims=True))
        want_w = e / e.sum(-1, keepdims=True)
        np.testing.assert_allclose(weights, want_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out, np.where(q_mask[..., None], want_w @ v, 0), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(layer.compute_mask([q, v], [q_mask, v_mask]), q_mask)


@pytest.mark.parametrize("call,error,match", [
    (lambda l, q: l(q), ValueError, r"Attention layer must be called on a list of inputs"),
    (lambda l, q: l([q]), ValueError, r"accepts inputs list of length 2 or 3"),
    (lambda l, q: l([q, q], mask=q), ValueError, r"mask must be a list"),
])
def test_attention_bad_calls(call, error, match):
    with pytest.raises(error, match=match):
        call(layers.Attention(), uniform(1, 2, 3))


def test_attention_bad_score_mode():
    with pytest.raises(ValueError, match=r"Expected one of \{'dot', 'concat'\}. Received: score_mode=add"):
        layers.Attention(score_mode="add")


def test_additive_attention_has_no_score_mode_in_config():
    config = layers.AdditiveAttention(use_scale=False).get_config()
    assert "score_mode" not in config and config["use_scale"] is False


@pytest.mark.parametrize("equation,match", [
    ("ab->b", r"Invalid einsum equation 'ab->b'"),
    ("ab,bc->ad", r"Dimension 'd' was specified in the output"),
    ("ab,bcz->ac", r"Weight dimension 'z' did not have a match"),
])
def test_einsum_dense_bad_equations(equation, match):
    with pytest.raises(ValueError, match=match):
        layers.EinsumDense(equation, output_shape=4)(uniform(2, 3))


def test_einsum_dense_bad_bias_axes():
    with pytest.raises(ValueError, match=r"Bias dimension 'x' was requested, but is not part of the output spec"):
        layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="x")(uniform(2, 3))


_letters = "abcdefg"


@settings(max_examples=120, deadline=None)
@given(free=st.integers(1, 3), summed=st.integers(1, 2), new=st.integers(1, 2), permute_out=st.booleans(),
       bias=st.sampled_from(["none", "all", "last"]), activation=st.sampled_from([None, "relu", "tanh"]),
       seed=st.integers(0, 2**31))
def test_einsum_dense_matches_numpy_einsum(free, summed, new, permute_out, bias, activation, seed):
    rng = np.random.default_rng(seed)
    f, s, n = _letters[:free], _letters[free:free + summed], _letters[free + summed:free + summed + new]
    out = f + n
    if permute_out and len(out) > 1:
        out = out[1:] + out[0] if out[0] != "a" else "a" + out[:0:-1]
    equation = f"{f}{s},{s}{n}->{out}"
    sizes = {c: int(rng.integers(1, 5)) for c in f + s + n}
    x = rng.uniform(-1, 1, [sizes[c] for c in f + s]).astype(np.float32)
    output_shape = [None if c in f else sizes[c] for c in out[1:]]
    bias_axes = {"none": None, "all": n, "last": n[-1]}[bias]
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes, activation=activation)
    y = layer(x)
    weights = layer.get_weights()
    want = np.einsum(equation, x.astype(np.float64), weights[0].astype(np.float64))
    if bias_axes:
        want = want + weights[1]
    want = {None: want, "relu": np.maximum(want, 0), "tanh": np.tanh(want)}[activation]
    assert y.shape == want.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
