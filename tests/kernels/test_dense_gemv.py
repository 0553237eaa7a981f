"""nnkern._core.dense's matrix-vector path (up to 3 rows) against the numpy reference: row counts
around the switch to the GEMM, widths that leave a partial vector, depths that leave rows outside
the four-row groups, on one and two threads (the columns are split between threads)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnkern import _core
from numpy_ref.dense import dense as dense_ref


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 4), k=st.integers(1, 41), n=st.integers(1, 45), act=st.sampled_from(["linear", "relu", "softmax"]),
       use_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_few_rows_match_reference(m, k, n, act, use_bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32) if use_bias else None
    np.testing.assert_allclose(_core.dense(x, w, b, act), dense_ref(x, w, b, act), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("m,k,n", [(1, 1024, 1024), (3, 1023, 1001), (2, 700, 9)])
def test_big_matrix_vector_products(m, k, n, threads):
    # (3, 1023, 1001) is enough work (> 4 MFLOP) for threads_for_work to split the columns.
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    w = rng.uniform(-1, 1, (k, n)).astype(np.float32)
    b = rng.uniform(-1, 1, n).astype(np.float32)
    np.testing.assert_allclose(_core.dense(x, w, b, "relu"), dense_ref(x, w, b, "relu"), rtol=2e-4, atol=1e-4)
