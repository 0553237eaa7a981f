"""nnkern.backend (Keras 1/2 ``K.*``): notebook 004's code and printed results, the Keras 2 semantics
of dot / batch_dot and friends against numpy references, and bad arguments.

There is no Keras 3 golden here: Keras 3 keeps these functions only in keras/src/legacy/backend.py,
which needs TensorFlow; the expected values are the notebook's and Keras 2's documented ones.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnkern as keras
from nnkern import backend as K
from nnkern.layers import Input, Lambda, merge
from nnkern.models import Model
from numpy_ref.conv2d import conv1d as conv1d_ref
from numpy_ref.conv2d import conv2d as conv2d_ref
from numpy_ref.pooling import pool2d as pool2d_ref


# ---- notebook 004, as written there (Keras 1 spellings) ------------------------------------------------

def test_notebook_lambda_abs_model():
    x_in = Input(shape=(3, 3))
    x = Lambda(lambda x: K.abs(x))(x_in)
    model = Model(input=x_in, output=x)
    y = model.predict([np.array([[[-1, 2, 3], [4, -5, 6], [7, 8, -9]]])])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]])


def test_notebook_merge_with_a_function():
    x_in1 = Input(shape=(3,))
    x_in2 = Input(shape=(3,))
    x = merge([x_in1, x_in2], mode=lambda x: K.abs(x[0]) + K.abs(x[1]), output_shape=(3,))
    model = Model(input=[x_in1, x_in2], output=x)
    y = model.predict([np.array([[-1, -2, 3]]), np.array([[4, -5, -6]])])
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[5, 7, 9]])


def test_notebook_dot_batch_dot_and_elementwise_product():
    a = K.variable([[1, 2], [3, 4]])
    b = K.variable([[5, 6], [7, 8]])
    np.testing.assert_array_equal(K.eval(K.dot(a, b)), [[19, 22], [43, 50]])
    np.testing.assert_array_equal(K.eval(K.batch_dot(a, b, 1)), [[17], [53]])
    np.testing.assert_array_equal(K.eval(K.batch_dot(a, b, axes=1)), [[17], [53]])
    np.testing.assert_array_equal(K.eval(a * b), [[5, 12], [21, 32]])
    assert K.eval(K.dot(a, b)).dtype == np.float32  # K.variable holds floatx()


def test_notebook_lambda_with_dot_and_output_shape():
    x_in = Input(shape=(2, 2))
    x = Lambda(lambda x: K.dot(K.variable([0, 1]), x), output_shape=(2,))(x_in)
    model = Model(input=x_in, output=x)
    np.testing.assert_array_equal(model.predict([np.array([[[1, 2], [3, 4]]])]), [[3, 4]])


def test_notebook_one_hot():
    y = K.eval(K.one_hot(K.variable([0, 2, 1, 0], dtype=int), 3))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])


def test_notebook_shape_permute_expand_squeeze():
    a = K.variable([[[1, 2], [3, 4]]])
    np.testing.assert_array_equal(K.eval(K.shape(a)), [1, 2, 2])
    np.testing.assert_array_equal(K.eval(K.permute_dimensions(a, [1, 2, 0])), [[[1], [2]], [[3], [4]]])
    np.testing.assert_array_equal(K.eval(K.expand_dims(a, 2)), [[[[1, 2]], [[3, 4]]]])
    np.testing.assert_array_equal(K.eval(K.squeeze(a, 0)), [[1, 2], [3, 4]])


def test_notebook_gather():
    a = K.variable([[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(K.eval(K.gather(a, 0)), [1, 2])
    np.testing.assert_array_equal(K.eval(K.gather(K.permute_dimensions(a, [1, 0]), 0)), [1, 3, 5])
    np.testing.assert_array_equal(K.eval(K.gather(K.transpose(a), 0)), [1, 3, 5])
    np.testing.assert_array_equal(K.eval(K.gather(a, [2, 0])), [[5, 6], [1, 2]])


@pytest.mark.parametrize("fn,reference,out_shape", [
    (lambda x: K.sum(x, axis=1, keepdims=True), lambda x: x.sum(axis=1, keepdims=True), (None, 1, 4)),
    (lambda x: K.reshape(x, (-1, K.int_shape(x)[1] * K.int_shape(x)[2])), lambda x: x.reshape(-1, 12), (None, 12)),
    (lambda x: K.reshape(x, (K.shape(x)[0], 12)), lambda x: x.reshape(-1, 12), (None, 12)),
    (lambda x: K.batch_dot(x, x, axes=(2, 2)), lambda x: np.einsum("bik,bjk->bij", x, x), (None, 3, 3)),
    (lambda x: K.concatenate([x, K.square(x)]), lambda x: np.concatenate([x, x * x], axis=-1), (None, 3, 8)),
    (lambda x: K.permute_dimensions(x, (0, 2, 1)), lambda x: x.transpose(0, 2, 1), (None, 4, 3)),
    (lambda x: keras.ops.mean(x, axis=-1), lambda x: x.mean(axis=-1), (None, 3)),
])
def test_backend_functions_in_lambda_layers(fn, reference, out_shape):
    # Lambda bodies written with K.* on the symbolic input, as Keras 2 tutorials do.
    x_in = Input(shape=(3, 4))
    y = Lambda(fn)(x_in)
    assert y.shape == out_shape
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    np.testing.assert_allclose(Model(x_in, y).predict(x, verbose=0), reference(x), rtol=1e-6, atol=1e-6)


def test_reachable_as_keras_backend():
    # `import nnkern as keras` then `keras.backend.*`, as `import keras.backend as K`.
    assert keras.backend is K
    np.testing.assert_array_equal(keras.backend.abs(np.array([-1, 2])), [1, 2])


# ---- dot and batch_dot: Keras 2 semantics against numpy --------------------------------------------

def _batch_dot_reference(x, y, axes):
    """Keras 2's batch_dot: per sample, the tensordot of x[b] and y[b] over axes[0] / axes[1];
    2-D inputs give (batch, 1)."""
    out = np.stack([np.tensordot(x[b], y[b], axes=(axes[0] - 1, axes[1] - 1)) for b in range(len(x))])
    return out.reshape(-1, 1) if out.ndim == 1 else out


def test_batch_dot_keras2_documented_shape():
    # Keras 2 docs: x (32, 20, 1), y (32, 30, 20), axes=(1, 2) -> (32, 1, 30).
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 20, 1)), rng.standard_normal((32, 30, 20))
    out = K.batch_dot(x, y, axes=(1, 2))
    assert out.shape == (32, 1, 30)
    np.testing.assert_allclose(out, _batch_dot_reference(x, y, (1, 2)), rtol=1e-5, atol=1e-5)


def test_batch_dot_default_axes():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 5, 2))
    np.testing.assert_allclose(K.batch_dot(x, y), _batch_dot_reference(x, y, (2, 1)), rtol=1e-5, atol=1e-5)
    x2, y2 = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    np.testing.assert_allclose(K.batch_dot(x2, y2), np.sum(x2 * y2, axis=1, keepdims=True), rtol=1e-5)


@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 4), x_rest=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       y_rest=st.lists(st.integers(1, 3), min_size=0, max_size=2), k=st.integers(1, 4), data=st.data())
def test_batch_dot_matches_reference(batch, x_rest, y_rest, k, data):
    ax = data.draw(st.integers(1, len(x_rest) + 1))
    ay = data.draw(st.integers(1, len(y_rest) + 1))
    rng = np.random.default_rng(len(x_rest) * 7 + ax)
    x_shape = [batch] + x_rest[:ax - 1] + [k] + x_rest[ax - 1:]
    y_shape = [batch] + y_rest[:ay - 1] + [k] + y_rest[ay - 1:]
    x, y = rng.integers(-3, 4, x_shape).astype(np.float32), rng.integers(-3, 4, y_shape).astype(np.float32)
    np.testing.assert_array_equal(K.batch_dot(x, y, axes=(ax, ay)), _batch_dot_reference(x, y, (ax, ay)))


def test_dot_nd_as_keras2():
    # Keras 2: the last axis of x with the second-to-last of y; shape x[:-1] + y[:-2] + y[-1:].
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4, 6))
    out = K.dot(x, y)
    assert out.shape == (2, 3, 5, 6)
    np.testing.assert_allclose(out, np.einsum("abk,ckd->abcd", x, y), rtol=1e-5, atol=1e-5)


# ---- the rest of K.*: numpy references of Keras 2's definitions ---------------------------------------

def test_variables_and_values():
    v = K.variable(np.arange(6).reshape(2, 3))
    assert v.dtype == np.float32 and K.int_shape(v) == (2, 3) and K.ndim(v) == 2 and K.dtype(v) == "float32"
    assert K.count_params(v) == 6
    K.set_value(v, np.ones((2, 3)))
    np.testing.assert_array_equal(K.get_value(v), np.ones((2, 3)))
    K.update_add(v, 2)
    np.testing.assert_array_equal(K.eval(v), np.full((2, 3), 3))
    K.batch_set_value([(v, np.zeros((2, 3)))])
    assert K.batch_get_value([v])[0].sum() == 0
    np.testing.assert_array_equal(K.constant(2, shape=(2, 2)), np.full((2, 2), 2.0))
    assert K.variable([1, 2], dtype="int32").dtype == np.int32
    assert K.is_tensor(v) and not K.is_sparse(v)


@pytest.mark.parametrize("name,x,expected", [
    ("abs", [-1.5, 2.0], [1.5, 2.0]),
    ("square", [-3.0, 2.0], [9.0, 4.0]),
    ("sqrt", [-4.0, 9.0], [0.0, 3.0]),  # Keras 2 clamps negatives to 0
    ("exp", [0.0, 1.0], [1.0, np.e]),
    ("log", [1.0, np.e], [0.0, 1.0]),
    ("sign", [-2.0, 0.0, 3.0], [-1.0, 0.0, 1.0]),
    ("round", [0.5, 1.5, -2.5], [0.0, 2.0, -2.0]),  # half to even, as tf.round
    ("hard_sigmoid", [-3.0, 0.0, 1.0, 3.0], [0.0, 0.5, 0.7, 1.0]),  # Keras 2: 0.2 x + 0.5
    ("sigmoid", [0.0], [0.5]),
    ("softsign", [1.0, -3.0], [0.5, -0.75]),
])
def test_elementwise(name, x, expected):
    np.testing.assert_allclose(getattr(K, name)(np.array(x, np.float32)), expected, rtol=1e-6, atol=1e-7)


def test_reductions_and_argmax():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10
    np.testing.assert_array_equal(K.sum(x, axis=1), x.sum(axis=1))
    np.testing.assert_array_equal(K.max(x, axis=[0, 2], keepdims=True), x.max(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(K.mean(x), x.mean())
    np.testing.assert_allclose(K.std(x, axis=-1), x.std(axis=-1), rtol=1e-6)
    np.testing.assert_array_equal(K.mean(np.array([True, False, True, True])), 0.75)
    assert K.argmax(x).dtype == np.int64  # tf.argmax's int64
    np.testing.assert_array_equal(K.argmax(x), np.full((2, 3), 3))
    np.testing.assert_array_equal(K.any(np.array([[0, 1], [0, 0]]), axis=1), [True, False])
    np.testing.assert_array_equal(K.cumsum(np.array([[1, 2], [3, 4]])), [[1, 2], [4, 6]])


def test_shapes_and_copies():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(K.concatenate([x, x]), np.concatenate([x, x], axis=-1))
    np.testing.assert_array_equal(K.batch_flatten(x), x.reshape(2, 12))
    np.testing.assert_array_equal(K.flatten(x), x.ravel())
    np.testing.assert_array_equal(K.transpose(x), x.T)
    np.testing.assert_array_equal(K.reshape(x, (4, 6)), x.reshape(4, 6))
    np.testing.assert_array_equal(K.repeat(x[:, 0], 2), np.stack([x[:, 0], x[:, 0]], axis=1))
    np.testing.assert_array_equal(K.repeat_elements(x, 2, axis=1), np.repeat(x, 2, axis=1))
    np.testing.assert_array_equal(K.tile(x, (1, 2, 1)), np.tile(x, (1, 2, 1)))
    np.testing.assert_array_equal(K.reverse(x, 1), x[:, ::-1])
    np.testing.assert_array_equal(K.stack([x, x], axis=1), np.stack([x, x], axis=1))
    np.testing.assert_array_equal(K.temporal_padding(x, (1, 2)), np.pad(x, [(0, 0), (1, 2), (0, 0)]))
    img = np.ones((1, 2, 2, 3), np.float32)
    assert K.spatial_2d_padding(img).shape == (1, 4, 4, 3)
    assert K.spatial_2d_padding(img, data_format="channels_first").shape == (1, 2, 4, 5)
    np.testing.assert_array_equal(K.bias_add(img, np.array([1, 2, 3], np.float32))[0, 0, 0], [2, 3, 4])


def test_switch_clip_and_normalize():
    x = np.array([[-2.0, 1.0], [3.0, -4.0]], np.float32)
    np.testing.assert_array_equal(K.switch(x > 0, x, -x), np.abs(x))
    np.testing.assert_array_equal(K.switch(np.array([True, False]), x, np.zeros_like(x)), [[-2, 1], [0, 0]])
    assert K.switch(True, lambda: 1, lambda: 2) == 1
    np.testing.assert_array_equal(K.clip(x, -1, 2), np.clip(x, -1, 2))
    np.testing.assert_array_equal(K.clip(x, 1, 0), np.ones_like(x))  # max < min clips to min, as Keras 2
    np.testing.assert_allclose(K.l2_normalize(x, axis=1), x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-6)


def test_keras2_relu():
    x = np.linspace(-3, 8, 23).astype(np.float32)

    def reference(x, alpha, max_value, threshold):
        y = np.where(x > threshold, x, alpha * (x - threshold))  # tf: x * (x > threshold)
        return y if max_value is None else np.minimum(y, max_value)

    for alpha, max_value, threshold in [(0.0, None, 0.0), (0.1, None, 0.0), (0.0, 6.0, 0.0), (0.2, 5.0, 1.0),
                                        (0.0, None, 1.5)]:
        np.testing.assert_allclose(K.relu(x, alpha, max_value, threshold), reference(x, alpha, max_value, threshold),
                                   rtol=1e-6, atol=1e-6, err_msg=str((alpha, max_value, threshold)))


def test_softmax_and_crossentropies():
    logits = np.array([[8.0, 2.0, 9.0, 3.0]], np.float32)
    np.testing.assert_allclose(K.softmax(logits), [[0.26827645, 6.649908e-4, 0.72925097, 1.8076325e-3]], rtol=1e-6)
    target, output = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.7, 0.8])
    # Keras 2's elementwise form: clip to [eps, 1 - eps], eps added inside the logs.
    eps = 1e-7
    expected = -(target * np.log(output + eps) + (1 - target) * np.log(1 - output + eps))
    np.testing.assert_allclose(K.binary_crossentropy(target, output), expected, rtol=1e-6)
    np.testing.assert_allclose(np.mean(K.binary_crossentropy(target, output)), 0.51082563, rtol=1e-5)
    y_pred = np.array([[0.01, 0.01, 0.96, 0.01, 0.01]])
    np.testing.assert_allclose(K.sparse_categorical_crossentropy(np.array([1]), y_pred), [4.6051702], rtol=1e-6)
    onehot = np.array([[0.0, 1.0, 0.0]])
    probs = np.array([[0.2, 0.5, 0.3]])
    np.testing.assert_allclose(K.categorical_crossentropy(onehot, probs), [-np.log(0.5)], rtol=1e-6)


def test_creation_and_randomness():
    np.testing.assert_array_equal(K.eye(2), np.eye(2))
    np.testing.assert_array_equal(K.eye((2, 3)), np.eye(2, 3))
    np.testing.assert_array_equal(K.arange(4), [0, 1, 2, 3])
    assert K.arange(4).dtype == np.int32 and K.zeros((2,)).dtype == np.float32
    np.testing.assert_array_equal(K.ones_like(np.zeros((2, 2), np.int32)), np.ones((2, 2)))
    u = K.random_uniform((1000,), -2, 3, seed=1)
    assert u.dtype == np.float32 and u.min() >= -2 and u.max() < 3
    np.testing.assert_array_equal(u, K.random_uniform((1000,), -2, 3, seed=1))  # a seed repeats the draw
    t = K.truncated_normal((1000,), mean=1.0, stddev=0.5, seed=2)
    assert np.abs(t - 1.0).max() <= 1.0
    d = K.dropout(np.ones(1000, np.float32), 0.25, seed=3)
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)}


def test_config_functions():
    assert K.floatx() == "float32" and K.epsilon() == 1e-7 and K.image_data_format() == "channels_last"
    assert K.backend() == "nnkern"
    assert K.result_type("int8", "uint8") == "int16" and K.is_float_dtype("float16") and K.is_int_dtype("uint8")
    K.set_epsilon(1e-5)
    try:
        assert keras.ops.normalize(np.zeros(2)).tolist() == [0.0, 0.0] and K.epsilon() == 1e-5
    finally:
        K.set_epsilon(1e-7)
    with pytest.raises(ValueError, match="Unknown floatx type: 'float8'"):
        K.set_floatx("float8")


# ---- bad arguments --------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,error,match", [
    (lambda: K.batch_dot(np.zeros((2, 3)), np.zeros((3, 3)), 1), ValueError,
     r"^backend.batch_dot: Cannot do batch_dot on inputs with different batch sizes"),
    (lambda: K.batch_dot(np.zeros((2, 3)), np.zeros((2, 4)), 1), ValueError,
     r"^backend.batch_dot: .*x.shape\[1\] != y.shape\[1\] \(3 != 4\)"),
    (lambda: K.batch_dot(np.zeros((2, 3)), np.zeros((2, 3)), 0), ValueError,
     r"^backend.batch_dot: Cannot perform batch_dot over axis 0"),
    (lambda: K.batch_dot(np.zeros((2, 3)), np.zeros((2, 3)), 3), ValueError,
     r"^backend.batch_dot: axes \[3, 3\] are out of range"),
    (lambda: K.batch_dot(np.zeros(3), np.zeros(3)), ValueError, r"^backend.batch_dot: .*rank < 2"),
    (lambda: K.dot(np.zeros((2, 3)), np.zeros((2, 3))), ValueError, r"^backend.dot: incompatible shapes \(2, 3\)"),
    (lambda: K.permute_dimensions(np.zeros((1, 2, 2)), [0, 1]), ValueError,
     r"^backend.permute_dimensions: pattern \[0, 1\] is not a permutation of the 3 axes"),
    (lambda: K.squeeze(np.zeros((1, 2, 2)), 1), ValueError, r"^backend.squeeze: cannot squeeze axis 1 of shape"),
    (lambda: K.gather(np.zeros((3, 2)), [0.5]), TypeError, r"^backend.gather: indices must be integers"),
    (lambda: K.gather(np.zeros((3, 2)), 3), IndexError, r"^backend.gather: index 3 is out of bounds"),
    (lambda: K.softmax(np.zeros(3)), ValueError, r"^backend.softmax: Cannot apply softmax to a tensor that is 1D"),
    (lambda: K.set_value(K.variable([1, 2]), [1, 2, 3]), ValueError,
     r"^backend.set_value: value of shape \(3,\) does not match the variable's shape \(2,\)"),
    (lambda: K.repeat(np.zeros(3), 2), ValueError, r"^backend.repeat: Expected input `x` to have rank 2"),
    (lambda: K.concatenate([]), ValueError, r"^backend.concatenate: tensors must be a non-empty list"),
    (lambda: K.variable([1], dtype="float8"), ValueError, r"^backend.variable: Invalid dtype: 'float8'"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- convolution, pooling, normalization and functional helpers ------------------------------------

def test_conv2d_and_conv1d_match_numpy_reference():
    rng = np.random.default_rng(4)
    x, kernel = rng.standard_normal((2, 6, 5, 3)), rng.standard_normal((3, 2, 3, 4))
    for kwargs in [{}, {"strides": (2, 1), "padding": "same"}, {"dilation_rate": (2, 1)}]:
        np.testing.assert_allclose(K.conv2d(x, kernel, **kwargs), conv2d_ref(x, kernel, **kwargs),
                                   rtol=1e-4, atol=1e-4, err_msg=str(kwargs))
    y = K.conv2d(x.transpose(0, 3, 1, 2), kernel, data_format="channels_first")
    np.testing.assert_allclose(y, conv2d_ref(x, kernel).transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)
    seq, k1 = rng.standard_normal((2, 7, 3)), rng.standard_normal((3, 3, 2))
    for padding in ["valid", "same", "causal"]:
        np.testing.assert_allclose(K.conv1d(seq, k1, padding=padding, dilation_rate=2),
                                   conv1d_ref(seq, k1, padding=padding, dilation_rate=2), rtol=1e-4, atol=1e-4)


def test_depthwise_conv2d_matches_numpy():
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((1, 5, 5, 3)), rng.standard_normal((3, 3, 3, 2))
    y = K.depthwise_conv2d(x, kernel)
    # output channel c * multiplier + m: input channel c under kernel[..., c, m]
    expected = np.stack([conv2d_ref(x[..., c:c + 1], kernel[:, :, c:c + 1, m:m + 1])[..., 0]
                         for c in range(3) for m in range(2)], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_pool2d_keras2_default_strides_are_one():
    x = np.random.default_rng(6).standard_normal((1, 5, 4, 2))
    y = K.pool2d(x, (2, 2))
    assert y.shape == (1, 4, 3, 2)
    np.testing.assert_allclose(y, pool2d_ref(x, 2, strides=1), rtol=1e-6)
    np.testing.assert_allclose(K.pool2d(x, (2, 2), (2, 2), padding="same", pool_mode="avg"),
                               pool2d_ref(x, 2, strides=2, padding="same", op="avg"), rtol=1e-5)
    with pytest.raises(ValueError, match="Invalid pooling mode: min"):
        K.pool2d(x, (2, 2), pool_mode="min")
    with pytest.raises(ValueError, match="`pool_size` must be a tuple of 2 integers"):
        K.pool2d(x, (2,))


def test_resize_images_and_3d_padding():
    x = np.array([[1, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1)
    y = K.resize_images(x, 2, 2, "channels_last")
    np.testing.assert_array_equal(y[0, ..., 0], [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    assert K.resize_images(np.zeros((1, 3, 2, 2)), 2, 3, "channels_first").shape == (1, 3, 4, 6)
    with pytest.raises(ValueError, match="interpolation='nearest' only"):
        K.resize_images(x, 2, 2, "channels_last", interpolation="bilinear")
    assert K.spatial_3d_padding(np.zeros((1, 2, 2, 2, 1))).shape == (1, 4, 4, 4, 1)
    assert K.spatial_3d_padding(np.zeros((1, 1, 2, 2, 2)), data_format="channels_first").shape == (1, 1, 4, 4, 4)


def test_batch_normalization_formula():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    mean, var = np.array([1.0, 2.0]), np.array([4.0, 16.0])
    beta, gamma = np.array([0.5, -1.0]), np.array([2.0, 1.0])
    y = K.batch_normalization(x, mean, var, beta, gamma, epsilon=0.0)
    np.testing.assert_allclose(y, [[0.5, -1.0], [2.5, 0.0]], rtol=1e-6)  # (3 - 1) / 2 * 2 + 0.5
    np.testing.assert_allclose(K.batch_normalization(x, mean, var, None, None, epsilon=0.0), [[0.0, 0.0], [1.0, 1.0]])


def test_map_fn_and_folds():
    np.testing.assert_array_equal(K.map_fn(lambda row: row * 2, np.array([[1, 2], [3, 4]])), [[2, 4], [6, 8]])
    np.testing.assert_array_equal(K.map_fn(lambda pair: pair[0] - pair[1], (np.array([5, 7]), np.array([1, 2]))),
                                  [4, 5])
    assert K.foldl(lambda acc, v: acc * 10 + v, np.array([1, 2, 3])) == 123
    assert K.foldr(lambda acc, v: acc * 10 + v, np.array([1, 2, 3])) == 321
    assert K.foldl(lambda acc, v: acc + v, [1, 2], initializer=10) == 13


def test_is_keras_tensor():
    assert K.is_keras_tensor(Input(shape=(3,))) and not K.is_keras_tensor(np.zeros(3))


def _tf_conv2d_transpose_reference(x, kernel, out_hw, strides, padding, dilation):
    """tf.nn.conv2d_transpose as the gradient of conv2d: output (i * s + t * d - pad_before) gets
    x[i] @ kernel[t].T, pad_before = half of TensorFlow's 'same' padding for an input of out_hw."""
    n, h, w, _ = x.shape
    kh, kw, filters, _ = kernel.shape
    y = np.zeros((n,) + tuple(out_hw) + (filters,))
    pads = []
    for size, out, k, s, d in zip((h, w), out_hw, (kh, kw), strides, dilation):
        pads.append(max((size - 1) * s + (k - 1) * d + 1 - out, 0) // 2 if padding == "same" else 0)
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    r = i * strides[0] + a * dilation[0] - pads[0]
                    c = j * strides[1] + b * dilation[1] - pads[1]
                    if 0 <= r < out_hw[0] and 0 <= c < out_hw[1]:
                        y[:, r, c] += x[:, i, j] @ kernel[a, b].T
    return y


@pytest.mark.parametrize("in_hw,kernel_hw,strides,padding,dilation,out_hw", [
    ((3, 4), (3, 3), (2, 2), "same", (1, 1), (6, 8)),
    ((3, 4), (3, 3), (2, 2), "same", (1, 1), (5, 7)),
    ((3, 3), (4, 2), (2, 3), "same", (1, 1), (6, 8)),
    ((3, 4), (3, 3), (2, 2), "valid", (1, 1), (7, 9)),
    ((3, 4), (3, 3), (2, 2), "valid", (1, 1), (8, 10)),
    ((4, 4), (3, 2), (1, 1), "valid", (2, 1), (8, 5)),
    ((4, 4), (2, 2), (1, 1), "same", (1, 1), (4, 4)),
])
def test_conv2d_transpose_matches_tensorflow_semantics(in_hw, kernel_hw, strides, padding, dilation, out_hw):
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal((2,) + in_hw + (3,)), rng.standard_normal(kernel_hw + (4, 3))
    y = K.conv2d_transpose(x, kernel, (2,) + out_hw + (4,), strides, padding, dilation_rate=dilation)
    assert y.shape == (2,) + out_hw + (4,)
    expected = _tf_conv2d_transpose_reference(x, kernel, out_hw, strides, padding, dilation)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    y_cf = K.conv2d_transpose(x.transpose(0, 3, 1, 2), kernel, (2, 4) + out_hw, strides, padding, "channels_first",
                              dilation)
    np.testing.assert_allclose(y_cf, expected.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)


def test_conv2d_transpose_bad_output_shape():
    x, kernel = np.zeros((1, 3, 3, 2)), np.zeros((3, 3, 4, 2))
    with pytest.raises(ValueError, match=r"^backend.conv2d_transpose: output_shape length 9 is not one a 'same'"):
        K.conv2d_transpose(x, kernel, (1, 9, 6, 4), (2, 2), "same")
    with pytest.raises(ValueError, match=r"output_shape must be \(batch, rows, cols, 4\)"):
        K.conv2d_transpose(x, kernel, (1, 6, 6, 3), (2, 2), "same")


def test_rnn_loop_over_time():
    # A running sum as the step: output_t = state_t = state_{t-1} + x_t.
    def step(x_t, states):
        total = states[0] + x_t
        return total, [total]

    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)  # (batch, time, features)
    last, outputs, states = K.rnn(step, x, [np.zeros((2, 2), np.float32)])
    np.testing.assert_array_equal(outputs, np.cumsum(x, axis=1))
    np.testing.assert_array_equal(last, x.sum(axis=1))
    np.testing.assert_array_equal(states[0], x.sum(axis=1))
    last, outputs, _ = K.rnn(step, x, [np.zeros((2, 2))], go_backwards=True)
    np.testing.assert_array_equal(outputs, np.cumsum(x[:, ::-1], axis=1))  # in iteration order
    mask = np.array([[True, False, True], [True, True, False]])
    last, outputs, states = K.rnn(step, x, [np.zeros((2, 2))], mask=mask)
    # sample 0 skips step 1 (output and state held), sample 1 skips step 2
    np.testing.assert_array_equal(outputs[0], [x[0, 0], x[0, 0], x[0, 0] + x[0, 2]])
    np.testing.assert_array_equal(outputs[1], [x[1, 0], x[1, 0] + x[1, 1], x[1, 0] + x[1, 1]])
    _, outputs, _ = K.rnn(step, x, [np.zeros((2, 2))], mask=mask, zero_output_for_mask=True)
    np.testing.assert_array_equal(outputs[0, 1], [0, 0])
    _, outputs, _ = K.rnn(step, x.swapaxes(0, 1), [np.zeros((2, 2))], time_major=True, return_all_outputs=False)
    np.testing.assert_array_equal(outputs, x.sum(axis=1)[None])
    seen = []
    K.rnn(lambda x_t, states: (seen.append(len(states)) or x_t, states[:1]), x, [np.zeros((2, 2))],
          constants=[np.ones(2)])
    assert seen == [2, 2, 2]  # states + constants
    with pytest.raises(ValueError, match="Input should be at least 3D"):
        K.rnn(step, np.zeros((2, 3)), [np.zeros(2)])
