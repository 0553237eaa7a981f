"""nnkern._core.dense against Keras goldens, the numpy reference, and bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from nnkern import _core
from numpy_ref.activations import ACTIVATIONS
from numpy_ref.dense import dense as dense_ref

CASES = load_cases("dense")


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_dense_matches_keras(case, arrays):
    y = _core.dense(arrays["x"], arrays["kernel"], arrays.get("bias"), case["activation"])
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5)


def test_golden_covers_every_activation():
    assert {c["activation"] for c, _ in CASES} >= set(ACTIVATIONS) - {"swish", "hard_swish"}


@settings(max_examples=60, deadline=None)
@given(m=st.integers(0, 40), k=st.integers(0, 70), n=st.integers(1, 40),
       act=st.sampled_from(sorted(ACTIVATIONS)), use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_dense_matches_numpy_reference(m, k, n, act, use_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32) if use_bias else None
    y = _core.dense(x, w, b, act)
    assert y.shape == (m, n)
    np.testing.assert_allclose(y, dense_ref(x, w, b, act), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("m,k,n", [(24, 1, 96), (25, 257, 97), (143, 300, 129), (577, 513, 257), (1000, 64, 300),
                                   (150, 1030, 33)])
def test_large_products_match_reference(m, k, n):
    # Shapes of the AVX-512 micro-kernel's path (rows >= 24, columns >= 96: gemm_avx512.hpp) with partial
    # micro-tiles (12 x 32), depth blocks (256) and row blocks (144) at their tails, and several tiles.
    rng = np.random.default_rng(m * n + k)
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32)
    expected = dense_ref(x, w, b, "linear")
    np.testing.assert_allclose(_core.dense(x, w, b, "linear"), expected, rtol=1e-4,
                               atol=1e-5 * float(np.max(np.abs(expected))))


@settings(max_examples=40, deadline=None)
@given(m=st.integers(24, 160), k=st.integers(1, 300), n=st.integers(96, 200), seed=st.integers(0, 2**31))
def test_micro_kernel_path_matches_reference_on_random_shapes(m, k, n, seed):
    # The AVX-512 path over random shapes: every row count of an edge panel (1-11 of 12 rows, each its
    # own instantiation), depths that leave a tail after the 16-wide transposes of the row packing.
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    expected = dense_ref(x, w, None, "linear")
    np.testing.assert_allclose(_core.dense(x, w), expected, rtol=1e-4, atol=1e-5 * max(1.0, float(np.max(np.abs(expected)))))


@pytest.mark.parametrize("edge_rows", range(12))
def test_micro_kernel_edge_panels(edge_rows):
    m, k, n = 36 + edge_rows, 37, 96
    rng = np.random.default_rng(edge_rows)
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    np.testing.assert_allclose(_core.dense(x, w), dense_ref(x, w, None, "linear"), rtol=1e-4, atol=1e-4)


def test_notebook_dense_values():
    w = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    np.testing.assert_array_equal(_core.dense(np.array([[1, 2]]), w, np.zeros(5)), [[3, 6, 9, 12, 15]])
    w = np.array([[.1, .2, .5]] * 3)
    np.testing.assert_allclose(_core.dense(np.array([[10, 20, 30]]), w, np.zeros(3)), [[6, 12, 30]], rtol=1e-6)


def test_any_numpy_input_layout_is_accepted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal((5, 4))
    expected = _core.dense(x.astype(np.float32), w.astype(np.float32))
    variants = [x, np.asfortranarray(x), x[::-1][::-1].copy(), x.astype(">f4"), x.astype(np.float16)]
    for v in variants[:4]:
        np.testing.assert_allclose(_core.dense(v, w), expected, rtol=1e-6)
    ro = x.astype(np.float32)
    ro.setflags(write=False)
    np.testing.assert_allclose(_core.dense(ro, w), expected, rtol=1e-6)
    rev = x[::-1].astype(np.float32)
    np.testing.assert_allclose(_core.dense(rev[::-1], w), expected, rtol=1e-6)
    np.testing.assert_array_equal(_core.dense(np.arange(6).reshape(2, 3), np.eye(3)), [[0, 1, 2], [3, 4, 5]])


@pytest.mark.parametrize("x_shape,w_shape,b_shape,match", [
    ((2, 3), (4, 5), None, r"kernel expects 4 input features.*x has 3"),
    ((3,), (3, 5), None, r"'x' must be 2-D .*got shape \(3,\)"),
    ((2, 3), (3,), None, r"'kernel' must be 2-D"),
    ((2, 3), (3, 5), (4,), r"'bias' must have shape \(5,\), got \(4,\)"),
])
def test_bad_shapes_raise_value_error(x_shape, w_shape, b_shape, match):
    b = None if b_shape is None else np.zeros(b_shape)
    with pytest.raises(ValueError, match=match):
        _core.dense(np.zeros(x_shape), np.zeros(w_shape), b)


def test_bad_activation_and_dtype():
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        _core.dense(np.zeros((1, 2)), np.zeros((2, 2)), None, "nope")
    with pytest.raises((TypeError, ValueError)):
        _core.dense(np.array([["a", "b"]]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="must be an array, got None"):
        _core.dense(None, np.zeros((2, 2)))
