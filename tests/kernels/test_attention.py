"""nnkern._core.attention against the numpy reference over random shapes and masks, Keras's handling of
fully masked rows (the three `masked` modes), broadcast masks read in place, and bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnkern import _core
from numpy_ref.attention import attention as attention_ref

MODES = ["zeroed", "uniform", "shifted"]


def _qkv(rng, b, tq, tk, h, dk, dv, scale=1.0):
    q = rng.uniform(-scale, scale, (b, tq, h, dk)).astype(np.float32)
    k = rng.uniform(-scale, scale, (b, tk, h, dk)).astype(np.float32)
    v = rng.uniform(-1, 1, (b, tk, h, dv)).astype(np.float32)
    return q, k, v


_mask_axes = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=150, deadline=None)
@given(b=st.integers(0, 3), tq=st.integers(1, 70), tk=st.integers(1, 20), h=st.integers(1, 4), dk=st.integers(0, 9),
       dv=st.integers(1, 9), mask_kind=st.sampled_from(["none", "full", "broadcast", "fewer_axes"]),
       axes=_mask_axes, causal=st.booleans(), masked=st.sampled_from(MODES), scale=st.floats(0.1, 2.0),
       scores=st.booleans(), seed=st.integers(0, 2**31))
def test_matches_numpy_reference(b, tq, tk, h, dk, dv, mask_kind, axes, causal, masked, scale, scores, seed):
    rng = np.random.default_rng(seed)
    q, k, v = _qkv(rng, b, tq, tk, h, dk, dv)
    full = (b, h, tq, tk)
    if mask_kind == "none":
        mask = None
    elif mask_kind == "full":
        mask = rng.uniform(size=full) > 0.3
    elif mask_kind == "broadcast":  # some axes of size 1
        mask = rng.uniform(size=tuple(1 if a else n for a, n in zip(axes, full))) > 0.3
    else:  # (1, Tk) or (Tq, Tk): fewer axes, right-aligned
        mask = rng.uniform(size=(1, tk) if axes[0] else (tq, tk)) > 0.3
    got = _core.attention(q, k, v, mask, causal=causal, scale=scale, masked=masked, return_scores=scores)
    want_out, want_weights = attention_ref(q, k, v, mask, causal, scale, masked)
    out = got[0] if scores else got
    assert out.shape == (b, tq, h, dv) and out.dtype == np.float32
    np.testing.assert_allclose(out, want_out, rtol=2e-5, atol=2e-6)
    if scores:
        assert got[1].shape == full
        np.testing.assert_allclose(got[1], want_weights, rtol=2e-5, atol=2e-7)


@pytest.mark.parametrize("tq,tk", [(300, 5), (40, 3000)])  # more query rows than one block: 256, or 16 at 3000 keys
@pytest.mark.parametrize("causal", [False, True])
def test_several_query_blocks_match_numpy_reference(tq, tk, causal):
    rng = np.random.default_rng(tq + tk)
    q, k, v = _qkv(rng, 2, tq, tk, 2, 8, 5)
    mask = rng.uniform(size=(2, 1, tq, tk)) > 0.2
    out, weights = _core.attention(q, k, v, mask, causal=causal, scale=0.5, masked="zeroed", return_scores=True)
    want_out, want_weights = attention_ref(q, k, v, mask, causal, 0.5, "zeroed")
    np.testing.assert_allclose(out, want_out, rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(weights, want_weights, rtol=2e-5, atol=2e-7)


@pytest.mark.parametrize("masked,row", [("zeroed", np.zeros(4)), ("uniform", np.full(4, 0.25)),
                                        ("shifted", np.full(4, 0.25))])
def test_fully_masked_rows_follow_keras(masked, row):
    # Row 1 of the query is fully masked; small scores (|s| < 32), so 'shifted' rounds to equal values.
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, 1, 3, 4, 2, 5, 3)
    mask = np.ones((1, 1, 3, 4), bool)
    mask[0, 0, 1] = False
    out, weights = _core.attention(q, k, v, mask, masked=masked, return_scores=True)
    np.testing.assert_allclose(weights[0, :, 1], np.stack([row, row]), atol=1e-7)
    np.testing.assert_allclose(out[0, 1], np.einsum("k,khd->hd", row, v[0]), atol=1e-6)


def test_shifted_fully_masked_row_with_large_scores_is_not_uniform():
    # Keras's Attention subtracts 1e9: scores 0 and 100 stay apart in float32 (-1e9 and -1e9 + 128).
    q = np.array([[[[1.0]]]], np.float32)
    k = np.array([[[[0.0]], [[100.0]]]], np.float32)
    v = np.array([[[[1.0]], [[2.0]]]], np.float32)
    out, weights = _core.attention(q, k, v, np.zeros((1, 2), bool), masked="shifted", return_scores=True)
    np.testing.assert_allclose(weights.ravel(), [0.0, 1.0])
    np.testing.assert_allclose(out.ravel(), [2.0])


def test_causal_is_lower_triangular_from_the_top_left():
    rng = np.random.default_rng(4)
    q, k, v = _qkv(rng, 2, 3, 5, 1, 4, 2)
    _, weights = _core.attention(q, k, v, causal=True, return_scores=True)
    assert np.all(weights[..., np.triu_indices(3, 1, 5)[0], np.triu_indices(3, 1, 5)[1]] == 0)
    np.testing.assert_allclose(weights[..., 0, 0], 1.0)


def test_mask_is_read_through_its_strides():
    rng = np.random.default_rng(5)
    q, k, v = _qkv(rng, 2, 6, 7, 3, 4, 4)
    base = rng.uniform(size=(2, 1, 1, 7)) > 0.4
    view = np.broadcast_to(base, (2, 3, 6, 7))  # stride-0 axes
    sliced = (rng.uniform(size=(2, 3, 12, 7)) > 0.4)[:, :, ::2]  # non-contiguous
    for mask in (view, sliced, base[0, 0]):
        np.testing.assert_allclose(_core.attention(q, k, v, mask), attention_ref(q, k, v, mask)[0],
                                   rtol=2e-5, atol=2e-6)


def test_out_buffer_and_empty_shapes():
    rng = np.random.default_rng(6)
    q, k, v = _qkv(rng, 2, 3, 4, 2, 3, 5)
    out = np.empty((2, 3, 2, 5), np.float32)
    assert _core.attention(q, k, v, out=out) is out
    np.testing.assert_allclose(out, attention_ref(q, k, v)[0], rtol=2e-5, atol=2e-6)
    empty_kv = _core.attention(q, k[:, :0], v[:, :0])
    np.testing.assert_array_equal(empty_kv, np.zeros((2, 3, 2, 5), np.float32))
    assert _core.attention(q[:0], k[:0], v[:0]).shape == (0, 3, 2, 5)


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(query=np.zeros((2, 3, 4))), ValueError, r"'query' must be 4-D"),
    (dict(key=np.zeros((2, 4, 2, 4))), ValueError, r"'key' must have shape \(2, 4, 2, 3\)"),
    (dict(value=np.zeros((3, 4, 2, 5))), ValueError, r"'value' must have shape \(2, 4, 2, 5\)"),
    (dict(mask=np.ones((2, 3, 5), bool)), ValueError, r"'mask' of shape \(2, 3, 5\) does not broadcast"),
    (dict(mask=np.ones((1, 1, 2, 3, 4), bool)), ValueError, r"at most 4 axes"),
    (dict(mask=np.ones((3, 4), np.float32)), TypeError, r"'mask' must be a bool array"),
    (dict(mask="yes"), TypeError, r"'mask' must be a bool array"),
    (dict(masked="drop"), ValueError, r"'masked' must be 'zeroed', 'uniform' or 'shifted'"),
    (dict(query=np.zeros((2, 3, 2, 3), np.complex64)), TypeError, r"'query' cannot be converted"),
    (dict(out=np.zeros((2, 3, 2, 4), np.float32)), ValueError, r"'out' must have shape \(2, 3, 2, 5\)"),
])
def test_bad_arguments(kwargs, error, match):
    rng = np.random.default_rng(7)
    q, k, v = _qkv(rng, 2, 3, 4, 2, 3, 5)
    args = dict(query=q, key=k, value=v)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        _core.attention(**args)


def test_out_sharing_memory_with_an_input_is_refused():
    rng = np.random.default_rng(8)
    q, k, v = _qkv(rng, 1, 4, 4, 1, 3, 3)
    with pytest.raises(ValueError, match="shares memory with 'query'"):
        _core.attention(q, k, v, out=q)


@settings(max_examples=60, deadline=None)
@given(b=st.integers(1, 3), t=st.integers(1, 40), h=st.integers(1, 4), dk=st.integers(1, 9), dv=st.integers(1, 9),
       causal=st.booleans(), scores=st.booleans(), seed=st.integers(0, 2**31))
def test_column_slices_of_one_projection_are_read_in_place(b, t, h, dk, dv, causal, scores, seed):
    # Q, K, V as views of one (b, t, h * (2 dk + dv)) array, as MultiHeadAttention's fused projection gives
    # them: the same result as contiguous copies.
    rng = np.random.default_rng(seed)
    qkv = rng.uniform(-1, 1, (b, t, h * (2 * dk + dv))).astype(np.float32)
    q = qkv[..., :h * dk].reshape(b, t, h, dk)
    k = qkv[..., h * dk:2 * h * dk].reshape(b, t, h, dk)
    v = qkv[..., 2 * h * dk:].reshape(b, t, h, dv)
    assert np.shares_memory(q, qkv) and (b * t == 1 or not q.flags.c_contiguous)
    got = _core.attention(q, k, v, causal=causal, scale=0.3, return_scores=scores)
    want = _core.attention(q.copy(), k.copy(), v.copy(), causal=causal, scale=0.3, return_scores=scores)
    for g, w in zip(got if scores else (got,), want if scores else (want,)):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_allclose(got[0] if scores else got, attention_ref(q, k, v, None, causal, 0.3)[0],
                               rtol=2e-5, atol=2e-6)


def test_other_views_are_copied_first():
    rng = np.random.default_rng(9)
    q, k, v = _qkv(rng, 2, 5, 6, 3, 4, 2)
    views = (q[:, :, ::-1], np.asfortranarray(k), v[:, ::-1])  # reversed heads, Fortran order, reversed steps
    np.testing.assert_allclose(_core.attention(*views), attention_ref(*views)[0], rtol=2e-5, atol=2e-6)


def test_out_inside_a_strided_input_is_refused():
    # The query view reads 6 floats of every 24; `out` starts in a gap, past the view's first nbytes, and
    # reaches its third step.
    rng = np.random.default_rng(10)
    k = rng.uniform(-1, 1, (1, 4, 2, 3)).astype(np.float32)
    buffer = np.zeros(4 * 24, np.float32)
    strided = buffer.reshape(1, 4, 24)[..., :6].reshape(1, 4, 2, 3)
    strided[...] = k
    out = np.empty((1, 4, 2, 3), np.float32)
    inside = buffer[30:30 + out.size].reshape(out.shape)
    with pytest.raises(ValueError, match="shares memory with 'query'"):
        _core.attention(strided, k, k, out=inside)
    assert _core.attention(strided, k, k, out=out) is out
