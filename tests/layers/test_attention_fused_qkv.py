"""MultiHeadAttention's self-attention path (query, value and key one array): Q, K and V from one product over
the three kernels side by side, read in place by the attention kernel. Its outputs and scores equal the
separate projections' (the same call with a copy as `value`) over shapes, masks, the causal mask, returned
scores and the numpy path of other attention axes; the fused weights follow set_weights. Which EinsumDense
layers are such plain products (plain_product / product_weights)."""
import numpy as np
import pytest

import nnkern
from nnkern import layers

from .test_attention_layers import mha_reference

RNG = np.random.default_rng(21)


def uniform(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def _both(layer, x, **kwargs):
    """(fused, separate) outputs of layer on x attending to itself."""
    fused = layer(x, x, **kwargs)
    assert layer._qkv_weights[1] is not None, "the fused projection did not run"
    return fused, layer(x, x.copy(), **kwargs)


def _assert_close(fused, separate):
    for f, s in zip(fused if isinstance(fused, tuple) else (fused,), separate if isinstance(separate, tuple) else
                    (separate,)):
        np.testing.assert_allclose(f, s, rtol=1e-5, atol=1e-6)


SHAPES = [  # batch, steps, features, heads, key_dim, value_dim, use_bias
    (1, 1, 4, 1, 3, None, True),
    (2, 7, 6, 3, 4, 2, True),
    (3, 20, 32, 2, 32, None, True),
    (2, 70, 16, 4, 8, 5, False),
    (0, 5, 8, 2, 4, None, True),
]


@pytest.mark.parametrize("b,t,d,heads,key_dim,value_dim,use_bias", SHAPES)
@pytest.mark.parametrize("mask", ["none", "attention_mask", "query_value_masks", "causal"])
@pytest.mark.parametrize("scores", [False, True], ids=["output", "scores"])
def test_fused_projection_equals_separate_ones(b, t, d, heads, key_dim, value_dim, use_bias, mask, scores):
    layer = layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim, value_dim=value_dim, use_bias=use_bias)
    x = uniform(b, t, d)
    kwargs = dict(return_attention_scores=scores)
    keep = np.ones((b, t, t), bool)
    if mask == "attention_mask":
        keep = RNG.uniform(size=(b, t, t)) > 0.3
        kwargs["attention_mask"] = keep
    elif mask == "query_value_masks":
        steps = RNG.uniform(size=(b, t)) > 0.3
        kwargs.update(query_mask=steps, value_mask=steps)
        keep = steps[:, :, None] & steps[:, None]
    elif mask == "causal":
        kwargs["use_causal_mask"] = True
    fused, separate = _both(layer, x, **kwargs)
    _assert_close(fused, separate)
    if scores and b and use_bias:  # against Keras's Softmax path written in numpy (fully masked rows all 0)
        want, want_scores = mha_reference(layer, x, x, mask=keep, causal=mask == "causal")
        np.testing.assert_allclose(fused[0], want, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(fused[1], want_scores, rtol=1e-4, atol=1e-6)


def test_gate_and_output_shape_with_the_fused_projection():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, use_gate=True, output_shape=(5,))
    fused, separate = _both(layer, uniform(2, 6, 4))
    assert fused.shape == (2, 6, 5)
    _assert_close(fused, separate)


def test_other_attention_axes_run_numpy_on_the_fused_projection():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))
    _assert_close(*_both(layer, uniform(2, 3, 4, 5), return_attention_scores=True))


def test_fused_weights_follow_set_weights():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = uniform(2, 5, 6)
    first = layer(x, x)
    layer.set_weights([w + uniform(*w.shape) for w in layer.get_weights()])
    again = layer(x, x)
    assert not np.allclose(again, first)
    np.testing.assert_allclose(again, mha_reference(layer, x, x)[0], rtol=1e-4, atol=1e-5)
    _assert_close(again, layer(x, x.copy()))


def test_cross_attention_and_different_feature_sizes_keep_separate_projections():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = uniform(2, 4, 5), uniform(2, 6, 5)
    np.testing.assert_allclose(layer(q, v), mha_reference(layer, q, v)[0], rtol=1e-4, atol=1e-5)
    assert layer._qkv_weights[1] is None
    mixed = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    mixed.build((None, 4, 5), (None, 6, 5), (None, 6, 7))
    assert not mixed._qkv_fusable


def test_a_model_predicts_with_the_fused_projection():
    inp = layers.Input((9, 8))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    model = nnkern.Model(inp, layer(inp, inp, use_causal_mask=True))
    x = uniform(3, 9, 8)
    got = model.predict(x, verbose=0)
    assert layer._qkv_weights[1] is not None
    _assert_close(got, layer(x, x.copy(), use_causal_mask=True))


@pytest.mark.parametrize("equation,output_shape,kwargs,plain", [
    ("abc,cde->abde", (5, 2, 3), dict(bias_axes="de"), True),
    ("abc,cd->abd", (5, 4), {}, True),
    ("abc,cde->abde", (5, 2, 3), dict(bias_axes="de", activation="relu"), False),
    ("abc,cde->abde", (5, 2, 3), dict(bias_axes="d"), False),  # a bias (2, 1): not one per output
    ("abc,bcd->ad", 4, {}, False),  # two summed axes
    ("abc,cd->adb", (4, 5), {}, False),  # not a matrix product over the last axis
])
def test_einsum_dense_plain_product(equation, output_shape, kwargs, plain):
    layer = layers.EinsumDense(equation, output_shape, **kwargs)
    layer.build((2, 5, 6))
    assert layer.plain_product() is plain
    if plain:
        x = uniform(2, 5, 6)
        kernel, bias = layer.product_weights()
        want = layer(x).reshape(10, -1)
        np.testing.assert_allclose(x.reshape(10, 6) @ kernel + (0 if bias is None else bias), want, rtol=1e-5,
                                   atol=1e-6)
