"""nnkern.ops (and nnkern.utils) against Keras 3 goldens, a numpy reference, and bad arguments."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern
from _golden_io import load_cases
from _op_cases import check_case, load_op_cases, resolve
from nnkern import backend, ops, utils

INPUTS, CASES = load_op_cases(["ops.", "utils."])


@pytest.mark.parametrize("case,golden", CASES, ids=[c["id"] for c, _ in CASES])
def test_matches_keras(case, golden):
    check_case(case, golden, INPUTS, nnkern)


_JSON_ONLY = {c["id"]: c for c, _ in load_cases("ops") if "call" not in c}


def _golden(case_id):
    return _JSON_ONLY[case_id]


def test_golden_covers_every_exported_op():
    called = {c["call"].rsplit(".", 1)[1] for c, _ in CASES}
    exported = {n for n in dir(ops) if not n.startswith("_") and callable(getattr(ops, n))}
    assert exported - called == {"is_tensor"}  # tested below


@pytest.mark.parametrize("namespace", ["ops", "ops.nn", "ops.numpy", "ops.linalg", "utils"])
def test_every_name_exists_in_keras(namespace):
    module = resolve(nnkern, namespace)
    names = {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))}
    assert names - set(_golden("keras_names")[namespace].split()) == set()


def test_result_type_table_matches_keras():
    table = _golden("result_type")
    names = table["dtypes"]
    as_arg = {"int": int, "float": float}
    for a, row in zip(names, table["table"]):
        for b, expected in zip(names, row):
            assert backend.result_type(as_arg.get(a, a), as_arg.get(b, b)) == expected, (a, b)


def test_backend_standardize_dtype_and_ops_is_tensor():
    assert backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype(float) == "float32" and backend.standardize_dtype(int) == "int32"
    assert backend.standardize_dtype(np.int16) == "int16" and backend.standardize_dtype("bool") == "bool"
    with pytest.raises(ValueError, match="Invalid dtype: 'float8'"):
        backend.standardize_dtype("float8")
    assert ops.is_tensor(np.zeros(2)) and ops.is_tensor(np.float32(1)) and not ops.is_tensor([1.0])


def test_namespaces_are_lazy_and_exported():
    # The submodules load on first use only, so that `import nnkern` stays fast.
    code = ("import sys, nnkern; lazy = [m for m in ('ops', 'backend', 'losses', 'metrics', 'utils') "
            "if 'nnkern.' + m in sys.modules]; assert not lazy, lazy; "
            "from nnkern import backend, losses, metrics, ops, utils; import nnkern as keras; "
            "assert keras.backend is backend and keras.ops.nn.relu is ops.relu; "
            "assert {'backend', 'losses', 'metrics', 'ops', 'utils'} <= set(dir(keras)) & set(keras.__all__)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    with pytest.raises(AttributeError, match="no attribute 'opz'"):
        nnkern.opz  # noqa: B018


def test_to_categorical_values():
    np.testing.assert_array_equal(utils.to_categorical([0, 1, 2, 3], num_classes=4), np.eye(4))
    assert utils.to_categorical([[1], [0]], 3).shape == (2, 3)
    with pytest.raises(ValueError, match=r"class values must be in \[0, 3\), got values in \[0, 3\]"):
        utils.to_categorical([0, 3], 3)


X = np.zeros((2, 3), np.float32)
BAD_CALLS = [  # (call, error class, message pattern): the op's name, and what was given
    (lambda: ops.sum(X, axis=2), ValueError, r"^ops.sum: axis 2 is out of bounds.*x of shape \(2, 3\)"),
    (lambda: ops.mean(X, axis=[0, -3]), ValueError, r"^ops.mean: axis -3 is out of bounds"),
    (lambda: ops.argmax(X, axis=2), ValueError, r"^ops.argmax: axis 2 is out of bounds"),
    (lambda: ops.softmax(X, axis=2), ValueError, r"^ops.softmax: .*axis 2 is out of bounds"),
    (lambda: ops.reshape(X, (4, 2)), ValueError, r"^ops.reshape: cannot reshape .*x of shape \(2, 3\), "
                                                 r"newshape=\(4, 2\)"),
    (lambda: ops.reshape(X, (-1, -1)), ValueError, r"^ops.reshape: can only specify one unknown dimension"),
    (lambda: ops.matmul(X, X), ValueError, r"^ops.matmul: incompatible shapes \(2, 3\) and \(2, 3\)"),
    (lambda: ops.matmul(np.float32(2), X), ValueError, r"^ops.matmul: inputs must be at least 1-D"),
    (lambda: ops.dot(X, np.zeros(2)), ValueError, r"^ops.dot: incompatible shapes \(2, 3\) and \(2,\)"),
    (lambda: ops.concatenate([X, np.zeros((2, 4))], axis=0), ValueError,
     r"^ops.concatenate: .*must match exactly.*\[\(2, 3\), \(2, 4\)\]"),
    (lambda: ops.concatenate(X), TypeError, r"^ops.concatenate: expected a list or tuple of arrays"),
    (lambda: ops.stack([X, np.zeros((3, 2))]), ValueError,
     r"^ops.stack: all input arrays must have the same shape.*\[\(2, 3\), \(3, 2\)\]"),
    (lambda: ops.squeeze(X, axis=0), ValueError, r"^ops.squeeze: .*size not equal to one.*x of shape \(2, 3\)"),
    (lambda: ops.transpose(X, (0, 0)), ValueError, r"^ops.transpose: repeated axis.*axes=\(0, 0\)"),
    (lambda: ops.transpose(X, (0, 1, 2)), ValueError, r"^ops.transpose: axes don't match array"),
    (lambda: ops.expand_dims(X, 4), ValueError, r"^ops.expand_dims: axis 4 is out of bounds"),
    (lambda: ops.one_hot(np.array([0, 1]), 3, axis=3), ValueError, r"^ops.one_hot: axis 3 is out of bounds"),
    (lambda: ops.one_hot(np.array([0, 1]), -1), ValueError, r"^ops.one_hot: num_classes must be"),
    (lambda: ops.take(X, np.array([0.5])), TypeError, r"^ops.take: indices must be integers, got dtype float"),
    (lambda: ops.take(X, np.array([3]), axis=1), IndexError, r"^ops.take: index 3 is out of bounds"),
    (lambda: ops.where(np.array([True, False]), X, X), ValueError, r"^ops.where: .*could not be broadcast"),
    (lambda: ops.where(X > 0, X), ValueError, r"^ops.where: x1 and x2 must both be given"),
    (lambda: ops.add(X, np.zeros(4)), ValueError, r"^ops.add: .*could not be broadcast.*\(2,3\) \(4,\)"),
    (lambda: ops.split(X, 2, axis=1), ValueError, r"^ops.split: .*equal division.*indices_or_sections=2"),
    (lambda: ops.broadcast_to(X, (4, 3)), ValueError, r"^ops.broadcast_to: .*could not be broadcast"),
    (lambda: ops.top_k(X, 4), ValueError, r"^ops.top_k: k must be an int in \[0, 3\].*got 4"),
    (lambda: ops.categorical_crossentropy(X, np.zeros((2, 4))), ValueError,
     r"^ops.categorical_crossentropy: .*target.shape=\(2, 3\), output.shape=\(2, 4\)"),
    (lambda: ops.sparse_categorical_crossentropy(np.zeros(3), X), ValueError,
     r"^ops.sparse_categorical_crossentropy: .*target.shape=\(3,\), output.shape=\(2, 3\)"),
    (lambda: ops.binary_crossentropy(X, np.zeros((3, 2))), ValueError, r"^ops.binary_crossentropy: .*same shape"),
    (lambda: ops.swapaxes(X, 0, 2), ValueError, r"^ops.swapaxes: .*axis 2 is out of bounds"),
    (lambda: ops.pad(X, 1, mode="nope"), ValueError, r"^ops.pad: mode must be one of"),
    (lambda: ops.pad(X, 1, mode="edge", constant_values=1), ValueError, r"^ops.pad: constant_values may only"),
    (lambda: ops.cast(X, "float8"), ValueError, r"^ops.cast: Invalid dtype: 'float8'"),
    (lambda: ops.zeros((2,), dtype="nope"), ValueError, r"^ops.zeros: Invalid dtype: 'nope'"),
    (lambda: ops.slice(X, (0, 0), (3, 1)), ValueError, r"^ops.slice: slice shape \(3, 1\) does not fit"),
    (lambda: ops.slice(X, (0,), (1,)), ValueError, r"^ops.slice: start_indices and shape must each have one"),
    (lambda: ops.unstack(X, num=3), ValueError, r"^ops.unstack: num=3 does not match the size 2 of axis 0"),
    (lambda: ops.normalize(X, order=0), ValueError, r"^ops.normalize: order must be an int >= 1"),
    (lambda: ops.convert_to_tensor(np.array(["a"])), TypeError, r"^ops.convert_to_tensor: Expected an array of"),
    (lambda: ops.convert_to_tensor(X, sparse=True), ValueError, r"sparse=True is not supported"),
]


@pytest.mark.parametrize("call,error,match", BAD_CALLS, ids=[m.split(":")[0].lstrip("^") + f"_{i}"
                                                              for i, (_, _, m) in enumerate(BAD_CALLS)])
def test_bad_arguments_raise_named_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- numpy reference over random shapes -------------------------------------------------------------

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)


def _floats(shape, seed):
    return np.random.default_rng(seed).uniform(-3, 3, shape).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31), keepdims=st.booleans(), data=st.data())
def test_reductions_match_numpy(shape, seed, keepdims, data):
    x = _floats(shape, seed)
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), unique_by=lambda a: a % len(shape)))
    axis = tuple(axes) if axes else None
    for op, ref in [(ops.sum, np.sum), (ops.mean, np.mean), (ops.max, np.max), (ops.var, np.var)]:
        y = op(x, axis=axis, keepdims=keepdims)
        expected = ref(x.astype(np.float64), axis=axis, keepdims=keepdims)
        assert y.dtype == np.float32 and y.shape == expected.shape
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 5), k=st.integers(1, 5),
       n=st.integers(1, 5), broadcast_y=st.booleans(), seed=st.integers(0, 2**31))
def test_matmul_matches_numpy(batch, m, k, n, broadcast_y, seed):
    x = _floats(batch + [m, k], seed)
    y = _floats(([] if broadcast_y else batch) + [k, n], seed + 1)
    np.testing.assert_allclose(ops.matmul(x, y), np.matmul(x.astype(np.float64), y), rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31), data=st.data())
def test_shape_ops_match_numpy(shape, seed, data):
    x = _floats(shape, seed)
    perm = data.draw(st.permutations(range(len(shape))))
    np.testing.assert_array_equal(ops.transpose(x, perm), np.transpose(x, perm))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = _floats(shape[:axis % len(shape)] + [2] + shape[axis % len(shape) + 1:], seed + 1)
    np.testing.assert_array_equal(ops.concatenate([x, other], axis=axis), np.concatenate([x, other], axis=axis))
    np.testing.assert_array_equal(ops.stack([x, x], axis=axis), np.stack([x, x], axis=axis))
    np.testing.assert_array_equal(ops.expand_dims(x, axis), np.expand_dims(x, axis))
    np.testing.assert_array_equal(ops.reshape(x, (-1,)), x.ravel())
    e = np.exp(x.astype(np.float64) - x.max(axis=axis, keepdims=True))
    np.testing.assert_allclose(ops.softmax(x, axis=axis), e / e.sum(axis=axis, keepdims=True), rtol=1e-5, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, num_classes=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_one_hot_take_where_match_numpy(shape, num_classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, shape).astype(np.int32)
    y = ops.one_hot(labels, num_classes)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.eye(num_classes)[labels])
    x = _floats(shape, seed)
    indices = rng.integers(0, shape[-1], 3)
    np.testing.assert_array_equal(ops.take(x, indices, axis=-1), x[..., indices])
    condition = rng.random(shape) < 0.5
    np.testing.assert_array_equal(ops.where(condition, x, -x), np.where(condition, x, -x))


def test_conv_and_pool_dtypes_as_keras():
    x, k = np.arange(32).reshape(1, 4, 4, 2) % 5, np.ones((2, 2, 2, 3))
    y = ops.conv(x.astype(np.int32), k.astype(np.int32))
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y[0, 0, 0], [x[0, :2, :2].sum()] * 3)
    assert ops.conv(x.astype(np.float16), k.astype(np.float16)).dtype == np.float16
    assert ops.conv(x.astype(np.float16), k.astype(np.float32)).dtype == np.float32
    assert ops.conv(x.astype(np.float64), k.astype(np.float64)).dtype == np.float32
    assert ops.max_pool(x.astype(np.int32), 2).dtype == np.int32
    assert ops.average_pool(x.astype(np.int32), 2).dtype == np.float32
    assert ops.average_pool(x.astype(np.float16), 2).dtype == np.float16


def test_pool_strides_default_to_pool_size():
    # Keras's documented default (its JAX backend fails on strides=None in 3.15, so no golden).
    x = _floats((2, 6, 6, 3), 5)
    np.testing.assert_array_equal(ops.max_pool(x, 2), ops.max_pool(x, 2, strides=2))
    np.testing.assert_array_equal(ops.average_pool(x[:, 0], 3), ops.average_pool(x[:, 0], 3, strides=3))


@pytest.mark.parametrize("call,match", [
    (lambda: ops.conv(np.zeros((1, 4, 4, 4, 2)), np.zeros((2, 2, 2, 2, 3))), r"^ops.conv: .*nnkern has no 3-D"),
    (lambda: ops.conv(np.zeros((1, 4, 4, 3)), np.zeros((2, 2, 2, 3))),
     r"^ops.conv: The number of input channels \(3\) must be a multiple of the kernel's input channels \(2\)"),
    (lambda: ops.conv(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 3))), r"^ops.conv: kernel must be 4-D"),
    (lambda: ops.conv(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 2, 3)), padding="full"),
     r"^ops.conv: `padding` must be 'valid' or 'same'. Received: padding='full'"),
    (lambda: ops.conv(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 2, 3)), data_format="nhwc"),
     r"^ops.conv: The `data_format` argument must be one of"),
    (lambda: ops.conv(np.zeros((1, 1, 1, 2)), np.zeros((2, 2, 2, 3))), r"^ops.conv: "),
    (lambda: ops.depthwise_conv(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 3, 1))),
     r"^ops.depthwise_conv: kernel must have shape \(spatial..., 2, multiplier\)"),
    (lambda: ops.conv_transpose(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 2, 3))),
     r"^ops.conv_transpose: kernel must have shape \(spatial..., out_channels, 2\)"),
    (lambda: ops.max_pool(np.zeros((1, 4, 2)), 5), r"^ops.max_pool: "),
    (lambda: ops.average_pool(np.zeros((4, 2)), 2), r"^ops.average_pool: inputs must be 3-D .* or 4-D"),
])
def test_conv_and_pool_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_result_dtypes_match_keras_for_every_input_dtype():
    sweep = _golden("dtype_sweep")
    dtypes = sweep["dtypes"].split()
    for op, expected in sweep["results"].items():
        for d, want in zip(dtypes, expected.split()):
            if want == "error":
                continue  # Keras rejects it; nnkern may compute (see nnkern.ops' docstring)
            x = (np.arange(6).reshape(2, 3) % 3 + (d != "bool")).astype(d)
            assert getattr(ops, op)(x).dtype == want, (op, d)
