"""The Layer API as Keras 3 defines it: auto-names, name= / input_shape=, custom layers (build, call,
compute_output_shape, compute_mask, add_weight, get_config), initializers, weights=, get/set_weights and
their errors, Lambda, dropout in training mode, bad-input errors."""
import numpy as np
import pytest

import nnkern as keras
import nnkern.backend as K
from nnkern import initializers, layers, ops


@pytest.fixture(autouse=True)
def fresh_names():
    K.clear_session()


# ---------------------------------------------------------------------- naming

def test_auto_names_follow_keras():
    assert [layers.Dense(2).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    assert [t._keras_history.operation.name for t in (a, b)] == ["input_layer", "input_layer_1"]
    assert layers.GlobalAveragePooling1D().name == "global_average_pooling1d"
    assert layers.UpSampling2D().name == "up_sampling2d"
    assert layers.SpatialDropout1D(0.1).name == "spatial_dropout1d"
    m = keras.Model(a, layers.Dense(1)(a))
    assert m.name == "functional" and keras.Sequential().name == "sequential"
    K.clear_session()
    assert layers.Dense(2).name == "dense"


def test_explicit_name_does_not_advance_the_counter():
    assert layers.Dense(2, name="head").name == "head"
    assert layers.Dense(2).name == "dense"
    with pytest.raises(ValueError, match="name"):
        layers.Dense(2, name="a/b")


def test_input_shape_keyword_on_first_sequential_layer():
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.count_params() == 16 + 10
    dense_input_dim = keras.Sequential([layers.Dense(4, input_dim=3)])
    assert dense_input_dim.input_shape == (None, 3)


# ---------------------------------------------------------------------- custom layers

class Scale(layers.Layer):
    """y = x * w + b per feature; masks out samples whose first feature is negative."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.b = self.add_weight(shape=(input_shape[-1],), initializer=initializers.Constant(self.offset),
                                 name="b", trainable=False)

    def call(self, inputs):
        return inputs * self.w + self.b

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return inputs[..., 0] >= 0

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


def test_custom_layer_build_call_weights_config():
    layer = Scale(offset=0.5)
    x = keras.Input(shape=(3,))
    y = layer(x)
    assert y.shape == (None, 3) and layer.built
    assert [w.path for w in layer.weights] == ["scale/w", "scale/b"]
    assert [w.name for w in layer.trainable_weights] == ["w"]
    assert [w.name for w in layer.non_trainable_weights] == ["b"]
    layer.set_weights([np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5])])
    model = keras.Model(x, y)
    out = model.predict(np.array([[1.0, 1.0, 1.0], [-1.0, 0.0, 2.0]]), verbose=0)
    np.testing.assert_allclose(out, [[1.5, 2.5, 3.5], [-0.5, 0.5, 6.5]])
    mask = layer.compute_mask(np.array([[1.0, 0, 0], [-1.0, 0, 0]]))
    np.testing.assert_array_equal(mask, [True, False])
    config = layer.get_config()
    assert config["offset"] == 0.5 and config["name"] == "scale"
    clone = Scale.from_config(config)
    assert clone.offset == 0.5 and clone.name == "scale"


def test_custom_layer_eager_call_builds_it():
    layer = Scale()
    out = layer(np.ones((2, 4), dtype=np.float64))
    assert out.dtype == np.float32 and out.shape == (2, 4)
    assert [w.shape for w in layer.get_weights()] == [(4,), (4,)]


def test_keras2_add_weight_with_name_first():
    class Old(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], 2), initializer="zeros")

        def call(self, x):
            return x @ self.kernel

    layer = Old()
    assert layer(np.ones((1, 3), np.float32)).shape == (1, 2)
    assert layer.weights[0].name == "kernel" and layer.weights[0].shape == (3, 2)


def test_layer_without_call_or_super_init_errors_clearly():
    class NoSuper(layers.Layer):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super"):
        NoSuper()(np.ones((1, 2)))
    with pytest.raises(NotImplementedError):
        layers.Layer()(np.ones((1, 2)))


# ---------------------------------------------------------------------- initializers and weights=

@pytest.mark.parametrize("name,check", [
    ("zeros", lambda w: np.all(w == 0)),
    ("ones", lambda w: np.all(w == 1)),
    ("random_normal", lambda w: abs(w.std() - 0.05) < 0.005 and abs(w.mean()) < 0.005),
    ("random_uniform", lambda w: w.min() >= -0.05 and w.max() <= 0.05 and w.std() > 0.025),
    ("glorot_uniform", lambda w: np.abs(w).max() <= np.sqrt(6 / (200 + 300)) and w.std() > 0.04),
    ("glorot_normal", lambda w: abs(w.std() - np.sqrt(2 / 500)) < 0.01),
    ("he_normal", lambda w: abs(w.std() - np.sqrt(2 / 200)) < 0.012),
    ("he_uniform", lambda w: np.abs(w).max() <= np.sqrt(6 / 200)),
    ("lecun_normal", lambda w: abs(w.std() - np.sqrt(1 / 200)) < 0.008),
    ("orthogonal", lambda w: np.allclose(w @ w.T, np.eye(200), atol=1e-4)),  # 200 orthonormal rows
    ("GlorotUniform", lambda w: np.abs(w).max() <= np.sqrt(6 / 500)),
])
def test_kernel_initializer_by_name(name, check):
    layer = layers.Dense(300, kernel_initializer=name)
    layer.build((None, 200))
    w = layer.get_weights()[0]
    assert w.dtype == np.float32 and w.shape == (200, 300)
    assert check(w), name


def test_initializer_callables_with_and_without_dtype():
    seen = {}

    def by_shape(shape):
        seen["shape"] = shape
        return np.full(shape, 2.0)

    def by_shape_dtype(shape, dtype=None):
        seen["dtype"] = dtype
        return np.arange(np.prod(shape)).reshape(shape)

    layer = layers.Dense(2, kernel_initializer=by_shape, bias_initializer=by_shape_dtype)
    layer.build((None, 3))
    assert tuple(seen["shape"]) == (3, 2) and seen["dtype"] == "float32"
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, np.full((3, 2), 2.0))
    np.testing.assert_array_equal(bias, [0, 1])


def test_initializer_returning_wrong_shape_names_the_layer():
    layer = layers.Dense(2, kernel_initializer=lambda shape: np.zeros((5, 5)), name="bad_init")
    with pytest.raises(ValueError, match="bad_init.*kernel"):
        layer.build((None, 3))


def test_unknown_initializer_name():
    with pytest.raises(ValueError, match="initializer"):
        layers.Dense(2, kernel_initializer="no_such_init")


def test_weights_argument_sets_initial_values():
    W, b = np.arange(6).reshape(3, 2), np.array([1, -1])
    layer = layers.Dense(2, weights=[W, b])
    out = layer(np.array([[1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(out, [[0 + 4 + 1, 1 + 5 - 1]])
    emb = layers.Embedding(4, 2, weights=[np.arange(8).reshape(4, 2)])
    np.testing.assert_array_equal(emb(np.array([[3, 0]])), [[[6, 7], [0, 1]]])


# ---------------------------------------------------------------------- get/set_weights

def test_set_weights_count_and_shape_mismatch_name_the_layer():
    layer = layers.Dense(2, name="fc")
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match="'fc'.*length 1.*expecting 2"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"fc.*\(3, 2\).*\(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match="fc"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    for w, b in zip(layer.get_weights(), before):  # nothing assigned on error
        np.testing.assert_array_equal(w, b)


def test_model_set_weights_mismatch_names_the_model_and_owner():
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(2, name="out")(layers.Dense(4, name="hid")(inp)), name="net")
    with pytest.raises(ValueError, match="'net'.*length 3.*expecting 4"):
        model.set_weights(model.get_weights()[:3])
    bad = model.get_weights()
    bad[2] = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"out/kernel"):
        model.set_weights(bad)


def test_get_weights_returns_copies_and_set_weights_changes_predictions():
    inp = keras.Input(shape=(2,))
    model = keras.Model(inp, layers.Dense(1, kernel_initializer="ones")(inp))
    x = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[3.0]])
    weights = model.get_weights()
    weights[0][:] = 0  # a copy: the model is unchanged
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[3.0]])
    model.set_weights([np.array([[2.0], [1.0]]), np.array([0.5])])
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[4.5]])


def test_count_params_of_unbuilt_layer_errors():
    with pytest.raises(ValueError, match="isn't built"):
        layers.Dense(2).count_params()


# ---------------------------------------------------------------------- Lambda

def test_lambda_with_numpy_and_ops_functions():
    x = keras.Input(shape=(3,))
    a = layers.Lambda(np.square)(x)
    b = layers.Lambda(lambda t: ops.sum(t, axis=-1, keepdims=True))(x)
    c = layers.Lambda(lambda t: t[:, :2], output_shape=(2,))(x)
    assert (a.shape, b.shape, c.shape) == ((None, 3), (None, 1), (None, 2))
    ya, yb, yc = keras.Model(x, [a, b, c]).predict(np.array([[1.0, -2.0, 3.0]]), verbose=0)
    np.testing.assert_array_equal(ya, [[1, 4, 9]])
    np.testing.assert_array_equal(yb, [[2]])
    np.testing.assert_array_equal(yc, [[1, -2]])
    assert ya.dtype == yb.dtype == np.float32


def test_lambda_arguments_and_callable_output_shape():
    x = keras.Input(shape=(4,))
    y = layers.Lambda(lambda t, k: t[:, :k], output_shape=lambda s: (s[0], 2), arguments={"k": 2})(x)
    assert y.shape == (None, 2)
    np.testing.assert_array_equal(keras.Model(x, y).predict(np.arange(4.0)[None], verbose=0), [[0, 1]])


# ---------------------------------------------------------------------- dropout in training mode

@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training_is_inverted_dropout(rate):
    x = np.ones((200, 500), dtype=np.float32)
    y = layers.Dropout(rate)(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)
    n = x.size
    # the dropped fraction is binomial(n, rate): within 5 standard deviations
    assert abs((~kept).mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    assert abs(y.mean() - 1) < 5 * np.sqrt(rate / (1 - rate) / n)
    np.testing.assert_array_equal(layers.Dropout(rate)(x), x)
    np.testing.assert_array_equal(layers.Dropout(rate)(x, training=False), x)


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((50, 6, 40), dtype=np.float32)
    y = layers.SpatialDropout1D(0.5)(x, training=True)
    per_channel = y.reshape(50, 6, 40).transpose(0, 2, 1)  # (batch, channel, steps)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.4 < (y == 0).mean() < 0.6
    y2 = layers.SpatialDropout2D(0.5)(np.ones((20, 3, 3, 30), np.float32), training=True)
    assert np.all((y2 == 0).all(axis=(1, 2)) | (y2 == 2).all(axis=(1, 2)))


def test_model_call_with_training_true_reaches_dropout():
    inp = keras.Input(shape=(1000,))
    model = keras.Model(inp, layers.Dropout(0.5)(layers.Dense(1000, kernel_initializer="identity")(inp)))
    x = np.ones((2, 1000), np.float32)
    np.testing.assert_array_equal(model(x), x)
    y = model(x, training=True)
    assert 0.4 < (y == 0).mean() < 0.6 and set(np.unique(y)) <= {0.0, 2.0}


# ---------------------------------------------------------------------- bad input

def test_dense_wrong_last_axis_names_layer_and_shapes():
    layer = layers.Dense(2, name="fc")
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"fc.*3.*\(1, 4\)|fc.*\(1, 4\).*3"):
        layer(np.ones((1, 4), np.float32))


def test_model_predict_wrong_shape_names_model_and_shapes():
    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(2)(inp), name="net")
    with pytest.raises(ValueError, match=r"net.*\(None, 3\).*\(2, 4\)"):
        model.predict(np.ones((2, 4)), verbose=0)
    with pytest.raises(ValueError, match="expects 1 input"):
        model.predict([np.ones((2, 3)), np.ones((2, 3))], verbose=0)


def test_merge_layer_shape_mismatch_and_non_list():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(4,))
    with pytest.raises(ValueError, match="add.*incompatible.*(3,).*(4,)|add.*\\(3,\\).*\\(4,\\)"):
        layers.Add(name="add")([a, b])
    with pytest.raises(ValueError, match="list"):
        layers.Add()(a)


def test_embedding_out_of_range_index_names_layer():
    with pytest.raises(ValueError, match="emb.*index 7.*input_dim=5"):
        layers.Embedding(5, 2, name="emb")(np.array([[1, 7]]))


def test_reshape_impossible_target_names_layer():
    x = keras.Input(shape=(6,))
    with pytest.raises(ValueError, match="reshape.*(6,).*(4, -1)|reshape.*size"):
        layers.Reshape((4, -1), name="reshape")(x)
