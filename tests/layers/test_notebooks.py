"""The layer/model results of notebooks 000-004 (/work/shared/notebooks), written the way their users write
code — `import nnkern as keras`, Keras 1/2 spellings included. Expected values are the notebooks' printed
results (or, where a notebook shows an older Keras, Keras 3's documented formula)."""
import numpy as np
import pytest

import nnkern as keras
import nnkern.backend as K
from nnkern import layers
from nnkern.layers import (Activation, Add, Average, Concatenate, Dense, Dropout, Flatten, Input, Lambda, Masking,
                           Permute, RepeatVector, Reshape, TimeDistributedDense, TimeDistributedMerge, UpSampling2D,
                           merge)
from nnkern.models import Model, Sequential


def run_layer(layer, data):
    """Notebook 002's print_out: a one-layer model on `data` (a batch), returning the output."""
    data = np.asarray(data, dtype=np.float32)
    inp = Input(shape=data.shape[1:])
    return Model(inp, layer(inp)).predict(data, verbose=0)


# ---------------------------------------------------------------------- notebook 000

def test_flatten_int32_keeps_int32():
    l0 = Input(shape=(2, 2, 3), dtype="int32")
    model = Model(l0, Flatten()(l0))
    X = np.arange(1, 25).reshape(2, 2, 2, 3)
    y = model.predict(X, verbose=0)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [list(range(1, 13)), list(range(13, 25))])


def test_concatenate_int32_inputs():
    a = Input(shape=(3,), dtype="int32", name="a")
    b = Input(shape=(5,), dtype="int32", name="b")
    model = Model([a, b], layers.concatenate([a, b], axis=-1))
    y = model.predict([np.array([[1, 1, 1], [2, 2, 2]]), np.array([[10] * 5, [20] * 5])], verbose=0)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [[1, 1, 1, 10, 10, 10, 10, 10], [2, 2, 2, 20, 20, 20, 20, 20]])


def test_add_of_three_int32_inputs():
    ins = [Input(shape=(3,), dtype="int32", name=n) for n in "abc"]
    model = Model(ins, layers.add(ins))
    y = model.predict([np.array([[1] * 3, [2] * 3]), np.array([[10] * 3, [20] * 3]),
                       np.array([[100] * 3, [200] * 3])], verbose=0)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [[111] * 3, [222] * 3])


def test_repeat_vector_int32():
    l0 = Input(shape=(3,), dtype="int32")
    y = Model(l0, RepeatVector(2)(l0)).predict(np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]]), verbose=0)
    assert y.shape == (3, 2, 3) and y.dtype == np.int32
    np.testing.assert_array_equal(y[:, 0], y[:, 1])
    np.testing.assert_array_equal(y[:, 1], [[1] * 3, [2] * 3, [3] * 3])


def test_dense_identity_kernel_from_initializer_returning_a_backend_variable():
    def my_init(shape):
        return K.variable(np.eye(shape[0]))

    x = Input(shape=(3,), dtype="float")
    model = Model(x, Dense(3, use_bias=False, kernel_initializer=my_init)(x))
    assert model.count_params() == 9
    np.testing.assert_array_equal(model.predict(np.array([[1.0, 2.0, 3.0]]), verbose=0), [[1, 2, 3]])


# ---------------------------------------------------------------------- notebook 001

def test_dense_with_weights_tuple():
    W = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    b = np.array([0, 0, 0, 0, 0])
    inputs = Input(shape=(2,))
    outputs = Dense(5, activation="linear", weights=(W, b))(inputs)
    model = Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="sgd", loss="mse")
    assert model.input.shape == (None, 2) and model.output.shape == (None, 5)
    y = model.predict(np.expand_dims(np.array([1, 2]), 0), verbose=0)
    np.testing.assert_array_equal(y, [[3, 6, 9, 12, 15]])


def test_softmax_activation():
    inputs = Input(shape=(4,), dtype="float32")
    model = Model(inputs=inputs, outputs=Activation("softmax")(inputs))
    model.compile(optimizer="sgd", loss="mse")
    probs = model.predict(np.array([[8.0, 2.0, 9.0, 3.0]]), verbose=0)
    np.testing.assert_allclose(probs, [[0.26827645, 6.649908e-4, 0.72925097, 1.8076325e-3]], rtol=1e-5)
    assert np.argmax(probs) == 2
    assert abs(probs.sum() - 1) < 1e-6


def test_embedding_spelled_the_keras2_way():
    from nnkern.layers.embeddings import Embedding  # the Keras 2 module path

    inputs = Input(shape=(5,), dtype="int32")
    with pytest.warns(UserWarning, match="input_length"):
        emb = Embedding(3, 10, input_length=5)
    model = Model([inputs], [emb(inputs)])
    model.compile(optimizer="sgd", loss="mse")
    y = model.predict(np.array([[0, 1, 1, 1, 2]]), verbose=0)
    table = emb.get_weights()[0]
    assert y.shape == (1, 5, 10)
    np.testing.assert_array_equal(y[0], table[[0, 1, 1, 1, 2]])


FOUR_ROWS = np.array([[[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4]]], dtype=np.float32)


def test_lambda_row_column_and_doubling():
    inputs = Input(shape=(4, 4), dtype="float32")
    first_row = Lambda(lambda x: x[:, 0, :])(inputs)
    first_column = Lambda(lambda x: x[:, :, 0])(inputs)
    doubled = Lambda(lambda x: x * 2.0)(inputs)
    model = Model(inputs=inputs, outputs=[first_row, first_column, doubled])
    model.compile(optimizer="sgd", loss="mse")
    x, y, z = model.predict(FOUR_ROWS, verbose=0)
    np.testing.assert_array_equal(x, [[1, 1, 1, 1]])
    np.testing.assert_array_equal(y, [[1, 2, 3, 4]])
    np.testing.assert_array_equal(z, FOUR_ROWS * 2)


def test_concatenate_average_add_of_lambda_slices():
    inputs = Input(shape=(4, 4), dtype="float32")
    rows = [Lambda(lambda x, i=i: x[:, i, :])(inputs) for i in range(4)]
    model = Model(inputs=inputs, outputs=[Concatenate()(rows), Average()(rows), Add()(rows)])
    concat_out, avg_out, sum_out = model.predict(FOUR_ROWS, verbose=0)
    np.testing.assert_array_equal(concat_out, [np.repeat([1, 2, 3, 4], 4)])
    np.testing.assert_array_equal(avg_out, [[2.5] * 4])
    np.testing.assert_array_equal(sum_out, [[10] * 4])


# ---------------------------------------------------------------------- notebook 002 (Keras 1 spellings)

def test_masking_value_one():
    np.testing.assert_array_equal(run_layer(Masking(mask_value=1), [[[1, 1, 0], [1, 1, 1]]]),
                                  [[[1, 1, 0], [0, 0, 0]]])


def test_dropout_is_identity_at_inference():
    np.testing.assert_array_equal(run_layer(Dropout(.3), [[1, 2, 3, 4, 5]]), [[1, 2, 3, 4, 5]])


@pytest.mark.parametrize("name,data,expected", [
    ("tanh", [.5, 1, 2, 3], [0.46211714, 0.76159418, 0.96402758, 0.99505478]),
    ("softplus", [.5, 1, 2, 3], [0.97407699, 1.31326163, 2.12692809, 3.04858732]),
    ("relu", [-2, -1, 0, 1, 2], [0, 0, 0, 1, 2]),
    ("sigmoid", [.5, 1, 2, 3], [0.62245935, 0.7310586, 0.88079709, 0.95257413]),
    ("linear", [.5, 1, 2, 3], [.5, 1, 2, 3]),
    # The notebook's Keras 1 printed 0.2x + 0.5; Keras 3's hard_sigmoid is relu6(x + 3) / 6.
    ("hard_sigmoid", [.5, 1, 2, 3], [3.5 / 6, 4 / 6, 5 / 6, 1.0]),
])
def test_activations_on_notebook_inputs(name, data, expected):
    np.testing.assert_allclose(run_layer(Activation(name), [data]), [expected], rtol=1e-6, atol=1e-7)


def test_reshape_dims_keyword():
    np.testing.assert_array_equal(run_layer(Reshape(dims=(2, -1)), [[1, 2, 3, 4, 5, 6]]), [[[1, 2, 3], [4, 5, 6]]])
    np.testing.assert_array_equal(run_layer(Reshape(dims=(3, -1)), [[1, 2, 3, 4, 5, 6]]),
                                  [[[1, 2], [3, 4], [5, 6]]])


def test_permute_dims_keyword():
    np.testing.assert_array_equal(run_layer(Permute(dims=(2, 1)), [[[1, 2, 3], [4, 5, 6]]]),
                                  [[[1, 4], [2, 5], [3, 6]]])


def test_flatten_and_repeat_vector():
    np.testing.assert_array_equal(run_layer(Flatten(), [[[1, 2, 3], [4, 5, 6]]]), [[1, 2, 3, 4, 5, 6]])
    np.testing.assert_array_equal(run_layer(RepeatVector(2), [[1, 2, 3]]), [[[1, 2, 3], [1, 2, 3]]])


DENSE_W = np.array([[.1, .2, .5], [.1, .2, .5], [.1, .2, .5]])


def test_dense_keras1_init_and_input_dim_then_set_weights():
    d = Dense(3, init="uniform", activation="linear", input_dim=3)
    d.set_weights([DENSE_W, np.array([0, 0, 0])])
    model = Sequential([d])
    np.testing.assert_allclose(model.predict(np.array([[10, 20, 30]]), verbose=0), [[6, 12, 30]], rtol=1e-6)


def test_time_distributed_dense():
    d = TimeDistributedDense(3, init="uniform", activation="linear", input_dim=3)
    d.set_weights([DENSE_W, np.array([0, 0, 0])])
    model = Sequential([d])
    np.testing.assert_allclose(model.predict(np.array([[[10, 20, 30]]]), verbose=0), [[[6, 12, 30]]], rtol=1e-6)


@pytest.mark.parametrize("mode,expected", [("sum", [[2, 4, 6]]), ("mul", [[1, 4, 9]]), ("ave", [[1, 2, 3]])])
def test_time_distributed_merge(mode, expected):
    np.testing.assert_allclose(run_layer(TimeDistributedMerge(mode=mode), [[[1, 2, 3], [1, 2, 3]]]), expected)


def test_lambda_square():
    np.testing.assert_array_equal(run_layer(Lambda(lambda x: x * x), [[1, 2, 3]]), [[1, 4, 9]])


# ---------------------------------------------------------------------- notebook 003

def test_upsampling2d_of_a_2x2_image():
    inp = Input(shape=(2, 2, 1))
    model = Model(inp, UpSampling2D(size=(2, 2))(inp))
    pred = model.predict(np.array([[4, 2], [3, 6]]).reshape((1, 2, 2, 1)), verbose=0)
    np.testing.assert_array_equal(pred.reshape((4, 4)), [[4, 4, 2, 2], [4, 4, 2, 2], [3, 3, 6, 6], [3, 3, 6, 6]])


@pytest.mark.parametrize("build,params,shape", [
    (lambda inp: Dense(10, activation="softmax")(Dense(200, activation="relu")(inp)), 15010, (None, 10)),
    (lambda inp: Flatten()(Dense(100)(inp)), 6500, (None, 6400)),
    (lambda inp: Reshape((-1,))(Dense(100)(inp)), 6500, (None, 6400)),
])
def test_notebook_summaries_param_counts(build, params, shape):
    inp = Input(shape=(64,) if params == 15010 else (64, 64))
    model = Model(inp, build(inp))
    assert model.count_params() == params
    assert model.output_shape == shape
    lines = []
    model.summary(print_fn=lines.append)
    assert f"Total params: {params:,} (" in "".join(lines)


def test_embedding_summary_params():
    inp = Input(shape=(10))
    model = Model(inp, layers.Embedding(input_dim=1000, output_dim=5)(inp))
    assert model.count_params() == 5000
    assert model.output_shape == (None, 10, 5)


# ---------------------------------------------------------------------- notebook 004

def test_lambda_backend_abs_with_keras1_model_keywords():
    x_in = Input(shape=(3, 3))
    model = Model(input=x_in, output=Lambda(lambda x: K.abs(x))(x_in))
    y = model.predict([np.array([[[-1, 2, 3], [4, -5, 6], [7, 8, -9]]])], verbose=0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]])


def test_merge_with_a_function_and_output_shape():
    x_in1 = Input(shape=(3,))
    x_in2 = Input(shape=(3,))
    x = merge([x_in1, x_in2], mode=lambda x: K.abs(x[0]) + K.abs(x[1]), output_shape=(3,))
    model = Model(input=[x_in1, x_in2], output=x)
    y = model.predict([np.array([[-1, -2, 3]]), np.array([[4, -5, -6]])], verbose=0)
    np.testing.assert_array_equal(y, [[5, 7, 9]])
    assert y.dtype == np.float32


def test_lambda_backend_dot_with_output_shape():
    x_in = Input(shape=(2, 2))
    x = Lambda(lambda x: K.dot(K.variable([0, 1]), x), output_shape=(2,))(x_in)
    model = Model(input=x_in, output=x)
    np.testing.assert_array_equal(model.predict([np.array([[[1, 2], [3, 4]]])], verbose=0), [[3, 4]])
