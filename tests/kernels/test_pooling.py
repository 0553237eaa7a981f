"""nnkern._core max/avg pooling (1-D and 2-D) against Keras goldens, the numpy reference, and bad
arguments."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _golden_io import load_cases
from nnkern import _core
from numpy_ref.pooling import pool1d as pool1d_ref
from numpy_ref.pooling import pool2d as pool2d_ref

CASES = load_cases("pooling")
VALUE_CASES = [(c, a) for c, a in CASES if "y" in a]
SHAPE_CASES = [c for c, a in CASES if "y_shape" in c]
FUNCTIONS = {("max", 2): _core.max_pool2d, ("avg", 2): _core.avg_pool2d,
             ("max", 1): _core.max_pool1d, ("avg", 1): _core.avg_pool1d}
REFERENCES = {2: pool2d_ref, 1: pool1d_ref}


def run(case, x, **kw):
    return FUNCTIONS[case["op"], case["rank"]](x, case["pool_size"], case["strides"], case["padding"], **kw)


@pytest.mark.parametrize("case,arrays", VALUE_CASES, ids=[c["id"] for c, _ in VALUE_CASES])
def test_pooling_matches_keras(case, arrays):
    y = run(case, arrays["x"])
    assert y.dtype == np.float32
    assert y.shape == arrays["y"].shape
    np.testing.assert_allclose(y, arrays["y"], rtol=1e-4, atol=1e-5)  # NaN where Keras has NaN


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c["id"] for c in SHAPE_CASES])
def test_batch0_shape_matches_keras(case):
    y = run(case, np.zeros(case["x_shape"], np.float32))
    assert y.shape == tuple(case["y_shape"])
    assert y.dtype == np.float32


def test_goldens_cover_the_grid():
    ids = {c["id"] for c, _ in VALUE_CASES}
    assert len(VALUE_CASES) >= 140 and len(SHAPE_CASES) >= 10
    assert {"max2d_p2_sNone_valid_1x127x127x1", "avg2d_p2_sNone_same_1x127x127x1"} <= ids
    shapes = {c["id"]: a["y"].shape for c, a in VALUE_CASES}
    assert shapes["max2d_p2_sNone_valid_1x127x127x1"] == (1, 63, 63, 1)
    assert shapes["max2d_p2_sNone_same_1x127x127x1"] == (1, 64, 64, 1)


def test_goldens_agree_with_numpy_reference():
    # Keeps the reference honest: it must reproduce every Keras golden.
    for case, arrays in VALUE_CASES:
        ref = REFERENCES[case["rank"]](arrays["x"], case["pool_size"], case["strides"], case["padding"], case["op"])
        np.testing.assert_allclose(ref, arrays["y"], rtol=1e-5, atol=1e-6, err_msg=case["id"])


sizes = st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)))


@settings(max_examples=80, deadline=None)
@given(op=st.sampled_from(["max", "avg"]), pool=sizes, strides=st.one_of(st.none(), sizes),
       padding=st.sampled_from(["valid", "same"]), n=st.integers(0, 3), extra_h=st.integers(0, 9),
       extra_w=st.integers(0, 9), c=st.sampled_from([1, 3, 8, 13, 32, 41]), seed=st.integers(0, 2**31))
def test_pool2d_matches_numpy_reference(op, pool, strides, padding, n, extra_h, extra_w, c, seed):
    ph, pw = (pool, pool) if isinstance(pool, int) else pool
    # `same` also gets inputs smaller than the window.
    h = ph + extra_h if padding == "valid" else 1 + extra_h
    w = pw + extra_w if padding == "valid" else 1 + extra_w
    x = np.random.default_rng(seed).uniform(-3, 3, (n, h, w, c)).astype(np.float32)
    y = FUNCTIONS[op, 2](x, pool, strides, padding)
    ref = pool2d_ref(x, pool, strides, padding, op)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(op=st.sampled_from(["max", "avg"]), pool=st.integers(1, 6), strides=st.one_of(st.none(), st.integers(1, 6)),
       padding=st.sampled_from(["valid", "same"]), n=st.integers(0, 3), extra=st.integers(0, 20),
       c=st.sampled_from([1, 5, 40]), seed=st.integers(0, 2**31))
def test_pool1d_matches_numpy_reference(op, pool, strides, padding, n, extra, c, seed):
    steps = pool + extra if padding == "valid" else 1 + extra
    x = np.random.default_rng(seed).uniform(-3, 3, (n, steps, c)).astype(np.float32)
    y = FUNCTIONS[op, 1](x, pool, strides, padding)
    ref = pool1d_ref(x, pool, strides, padding, op)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)


def test_defaults_and_argument_forms():
    x = np.random.default_rng(0).standard_normal((2, 6, 9, 3)).astype(np.float32)
    np.testing.assert_array_equal(_core.max_pool2d(x), pool2d_ref(x, 2, 2, "valid", "max").astype(np.float32))
    # strides=None means pool_size, per axis; ints and pairs (lists, tuples, numpy ints) are the same.
    np.testing.assert_array_equal(_core.avg_pool2d(x, (2, 3)), _core.avg_pool2d(x, [2, 3], (2, 3), "VALID"))
    np.testing.assert_array_equal(_core.max_pool2d(x, np.int64(3), padding="same"),
                                  _core.max_pool2d(x, (3, 3), [3, 3], "same"))
    x1 = x[:, 0]
    np.testing.assert_array_equal(_core.max_pool1d(x1), _core.max_pool1d(x1, (2,), 2))
    np.testing.assert_allclose(_core.avg_pool1d(x1, 3, 1, "same"), pool1d_ref(x1, 3, 1, "same", "avg"), rtol=1e-5, atol=1e-6)


def test_multithreaded_result_equals_single_threaded(on_threads):
    # Large enough that threads_for_work picks every thread; bitwise the same on 1, 2 and 3.
    x = np.random.default_rng(3).standard_normal((4, 64, 64, 16)).astype(np.float32)
    on_threads(lambda: _core.max_pool2d(x, 3, 2, "same"))
    avg = on_threads(lambda: _core.avg_pool2d(x, 3, 2, "same"))
    np.testing.assert_allclose(avg, pool2d_ref(x, 3, 2, "same", "avg"), rtol=1e-5, atol=1e-6)


def test_any_numpy_input_layout_is_accepted():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 7, 4))
    expected = _core.max_pool2d(x.astype(np.float32), 2, 1, "same")
    ro = x.astype(np.float32)
    ro.setflags(write=False)
    variants = [x, np.asfortranarray(x), x.astype(">f4"), ro, x.astype(np.float32)[::-1][::-1],
                np.ascontiguousarray(np.swapaxes(np.swapaxes(x, 1, 2).copy(), 1, 2)),
                np.swapaxes(np.swapaxes(x, 1, 2).copy(), 1, 2), x.tolist()]
    for v in variants:
        np.testing.assert_allclose(_core.max_pool2d(v, 2, 1, "same"), expected, rtol=1e-6)
    big = np.zeros((3, 10, 14, 8))
    big[:, ::2, ::2, ::2] = x
    np.testing.assert_allclose(_core.max_pool2d(big[:, ::2, ::2, ::2], 2, 1, "same"), expected, rtol=1e-6)
    ints = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    np.testing.assert_array_equal(_core.max_pool2d(ints)[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(_core.avg_pool1d(np.arange(6).reshape(1, 6, 1), 3)[0, :, 0], [1, 4])


def test_out_is_written_and_returned():
    x = np.random.default_rng(2).standard_normal((2, 7, 9, 3)).astype(np.float32)
    for fn in (_core.max_pool2d, _core.avg_pool2d):
        out = np.full((2, 4, 5, 3), np.nan, np.float32)
        y = fn(x, 2, None, "same", out=out)
        assert y is out
        np.testing.assert_array_equal(out, fn(x, 2, None, "same"))
    x1 = x[:, 0]
    for fn in (_core.max_pool1d, _core.avg_pool1d):
        out = np.empty((2, 3, 3), np.float32)
        assert fn(x1, 3, out=out) is out
        np.testing.assert_array_equal(out, fn(x1, 3))
    # Batch 0 with an empty out.
    assert _core.max_pool2d(np.zeros((0, 4, 4, 2)), out=np.empty((0, 2, 2, 2), np.float32)).shape == (0, 2, 2, 2)


def test_bad_out_raises():
    x = np.zeros((2, 4, 4, 3), np.float32)
    with pytest.raises(ValueError, match=r"max_pool2d: 'out' must have shape \(2, 2, 2, 3\), got \(2, 2, 2, 2\)"):
        _core.max_pool2d(x, out=np.empty((2, 2, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"max_pool1d: 'out' must have shape \(2, 2, 3\), got \(2, 1, 2, 3\)"):
        _core.max_pool1d(x[:, 0], out=np.empty((2, 1, 2, 3), np.float32))
    with pytest.raises(TypeError, match="'out' must have dtype float32, got float64"):
        _core.avg_pool2d(x, out=np.empty((2, 2, 2, 3)))
    with pytest.raises(TypeError, match="'out' must be a numpy float32 array of shape .*, got list"):
        _core.avg_pool2d(x, out=[0.0] * 24)
    with pytest.raises(ValueError, match="'out' must be C-contiguous"):
        _core.max_pool2d(x, out=np.empty((2, 2, 2, 6), np.float32)[..., ::2])
    ro = np.empty((2, 2, 2, 3), np.float32)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="'out' must be writeable"):
        _core.max_pool2d(x, out=ro)
    with pytest.raises(ValueError, match="avg_pool2d: 'out' shares memory with 'x'"):
        _core.avg_pool2d(x, 1, out=x)
    buf = np.zeros((1, 8, 2), np.float32)
    with pytest.raises(ValueError, match="max_pool1d: 'out' shares memory with 'x'"):
        _core.max_pool1d(buf, 2, 1, out=buf[:, :7])


@pytest.mark.parametrize("fn,x_shape,kwargs,match", [
    (_core.max_pool2d, (2, 4, 4), {}, r"max_pool2d: 'x' must be 4-D \(batch, height, width, channels\), got shape \(2, 4, 4\)"),
    (_core.avg_pool2d, (1, 2, 4, 4, 1), {}, r"avg_pool2d: 'x' must be 4-D .*got shape \(1, 2, 4, 4, 1\)"),
    (_core.max_pool1d, (2, 4, 4, 1), {}, r"max_pool1d: 'x' must be 3-D \(batch, steps, channels\), got shape \(2, 4, 4, 1\)"),
    (_core.avg_pool1d, (4,), {}, r"avg_pool1d: 'x' must be 3-D .*got shape \(4,\)"),
    (_core.max_pool2d, (1, 4, 4, 1), {"pool_size": 0}, r"max_pool2d: 'pool_size' must be >= 1, got 0"),
    (_core.avg_pool2d, (1, 4, 4, 1), {"pool_size": (2, -1)}, r"avg_pool2d: 'pool_size' must be >= 1, got \(2, -1\)"),
    (_core.max_pool2d, (1, 4, 4, 1), {"strides": 0}, r"max_pool2d: 'strides' must be >= 1, got 0"),
    (_core.avg_pool2d, (1, 4, 4, 1), {"strides": (1, 0)}, r"'strides' must be >= 1, got \(1, 0\)"),
    (_core.max_pool1d, (1, 4, 1), {"pool_size": -2}, r"max_pool1d: 'pool_size' must be >= 1, got -2"),
    (_core.avg_pool1d, (1, 4, 1), {"strides": 0}, r"avg_pool1d: 'strides' must be >= 1, got 0"),
    (_core.max_pool2d, (1, 4, 4, 1), {"pool_size": (2, 2, 2)}, r"'pool_size' must be an int or a pair of ints, got \(2, 2, 2\)"),
    (_core.max_pool1d, (1, 4, 1), {"pool_size": (2, 2)}, r"'pool_size' must be an int or a 1-tuple of ints, got \(2, 2\)"),
    (_core.max_pool2d, (1, 4, 4, 1), {"padding": "full"}, r"max_pool2d: padding must be 'valid' or 'same', got 'full'"),
    (_core.avg_pool1d, (1, 4, 1), {"padding": "causal"}, r"avg_pool1d: padding must be 'valid' or 'same', got 'causal'"),
    (_core.max_pool2d, (2, 3, 5, 1), {"pool_size": 4},
     r"max_pool2d: pool_size \(4, 4\) is larger than the input's \(height, width\) = \(3, 5\) with padding='valid'"
     r" \(the output would be empty\); x shape \(2, 3, 5, 1\)"),
    (_core.avg_pool2d, (2, 8, 2, 1), {"pool_size": (1, 3)}, r"avg_pool2d: pool_size \(1, 3\) is larger .*\(8, 2\)"),
    (_core.max_pool1d, (2, 3, 1), {"pool_size": 4}, r"max_pool1d: pool_size 4 is larger than the input's steps 3"),
    (_core.avg_pool2d, (0, 0, 5, 1), {"pool_size": 1}, r"pool_size \(1, 1\) is larger .*\(0, 5\)"),
    (_core.max_pool2d, (1, 4, 4, 1), {"pool_size": 2**62, "padding": "same"}, r"max_pool2d: pooling: sizes are too large"),
    (_core.avg_pool1d, (1, 4, 1), {"strides": 2**63 - 1}, r"avg_pool1d: pooling: sizes are too large"),
])
def test_bad_arguments_raise_value_error(fn, x_shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(np.zeros(x_shape, np.float32), **kwargs)


def test_bad_types():
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(TypeError, match=r"'pool_size' must be an int or a pair of ints, got 2.5"):
        _core.max_pool2d(x, 2.5)
    with pytest.raises(TypeError, match=r"'strides' must be an int or a 1-tuple of ints, got 'a'"):
        _core.avg_pool1d(x[0], 2, "a")
    with pytest.raises(TypeError, match="'x' cannot be converted to a float32 array"):
        _core.max_pool2d(np.array([[[["a"]]]]), 1)
    with pytest.raises(ValueError, match="'x' must be an array, got None"):
        _core.avg_pool2d(None)
    # A window larger than the input is fine with `same` (clipped to the input).
    np.testing.assert_array_equal(_core.max_pool2d(np.arange(6.0).reshape(1, 2, 3, 1), 5, 1, "same")[0, :, :, 0],
                                  [[5, 5, 5], [5, 5, 5]])
