"""Conv1D / Conv2D / Conv1DTranspose / Conv2DTranspose layers: the issue notebook's numbers, summaries,
shape inference, the numpy reference, configs and bad arguments."""
import numpy as np
import pytest

from nnkern import backend as K
from nnkern import layers
from nnkern.models import Model, Sequential
from numpy_ref.conv2d import conv1d as conv1d_ref
from numpy_ref.conv2d import conv2d as conv2d_ref
from numpy_ref.conv2d_transpose import conv2d_transpose as conv2d_transpose_ref


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def kernel_1_to_9(shape):
    """The notebook's custom initializer: a plain function of the shape returning a backend variable."""
    return K.variable(np.arange(1, 10, dtype=np.float64).reshape(shape))


# ---------------------------------------------------------------------- the notebook's numbers

def test_conv2d_notebook_numbers_and_transpose_back():
    x = layers.Input(shape=(4, 4, 1))
    conv = layers.Conv2D(1, 3, kernel_initializer=kernel_1_to_9)
    model = Model(x, conv(x))
    assert model.count_params() == 10
    y = model.predict(np.arange(1, 17, dtype=np.float64).reshape(1, 4, 4, 1))
    assert y.dtype == np.float32 and y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[348, 393], [528, 573]])

    yt = layers.Input(shape=(2, 2, 1))
    model_t = Model(yt, layers.Conv2DTranspose(1, 3, kernel_initializer=kernel_1_to_9)(yt))
    assert model_t.count_params() == 10
    back = model_t.predict(y)
    np.testing.assert_array_equal(back[0, :, :, 0], [[348, 1089, 1830, 1179], [1920, 4941, 6783, 4077],
                                                     [4548, 10467, 12309, 6975], [3696, 8235, 9336, 5157]])


def test_conv2d_transpose_notebook_stride_3_same():
    inp = layers.Input(shape=(2, 2, 1))
    model = Model(inp, layers.Conv2DTranspose(filters=1, kernel_size=(1, 1), strides=(3, 3), padding="same")(inp))
    model.set_weights([np.array([[[[1]]]]), np.array([0])])
    out = model.predict(np.array([[4, 2], [3, 6]]).reshape((1, 2, 2, 1)))[0, :, :, 0]
    expected = np.zeros((6, 6))
    expected[0, 0], expected[0, 3], expected[3, 0], expected[3, 3] = 4, 2, 3, 6
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("kwargs, side", [({}, 126), ({"padding": "same"}, 128),
                                          ({"padding": "same", "strides": (2, 2)}, 64),
                                          ({"padding": "valid", "dilation_rate": (2, 2)}, 124)])
def test_conv2d_notebook_summaries(kwargs, side):
    inp = layers.Input(shape=(128, 128, 3))
    model = Model(inp, layers.Conv2D(filters=32, kernel_size=(3, 3), **kwargs)(inp))
    assert model.output_shape == (None, side, side, 32)
    assert model.count_params() == 896
    text = []
    model.summary(print_fn=text.append)
    text = "\n".join(text)
    assert f"(None, {side}, {side}, 32)" in text and "896" in text


def test_conv2d_transpose_notebook_summary():
    inp = layers.Input(shape=(128, 128, 3))
    model = Model(inp, layers.Conv2DTranspose(filters=32, kernel_size=(3, 3), strides=(2, 2), padding="same")(inp))
    assert model.output_shape == (None, 256, 256, 32)
    assert model.count_params() == 896


def test_embedding_conv1d_notebook_summary():
    inp = layers.Input(shape=(100,))
    x = layers.Embedding(input_dim=1000, output_dim=20)(inp)
    conv = layers.Conv1D(filters=32, kernel_size=5, padding="same")
    model = Model(inp, conv(x))
    assert model.output_shape == (None, 100, 32)
    assert conv.count_params() == 3232 and model.count_params() == 20000 + 3232


# ---------------------------------------------------------------------- numpy reference

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3), dict(kernel_size=(3, 2), padding="same", strides=(2, 1)),
    dict(kernel_size=3, dilation_rate=2, padding="same"), dict(kernel_size=2, groups=2, activation="relu"),
    dict(kernel_size=1, use_bias=False, activation="tanh")])
def test_conv2d_matches_numpy(kwargs):
    layer = layers.Conv2D(4, **kwargs)
    x = rand(2, 7, 6, 4)
    y = layer(x)
    w = layer.get_weights()
    expected = conv2d_ref(x, w[0], w[1] if len(w) > 1 else None, strides=layer.strides, padding=layer.padding,
                          dilation_rate=layer.dilation_rate, groups=layer.groups,
                          act=kwargs.get("activation", "linear"))
    assert y.dtype == np.float32
    close(y, expected)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv1d_matches_numpy(padding, dilation):
    layer = layers.Conv1D(3, 3, padding=padding, dilation_rate=dilation)
    x = rand(2, 9, 2)
    y = layer(x)
    kernel, bias = layer.get_weights()
    close(y, conv1d_ref(x, kernel, bias, padding=padding, dilation_rate=dilation))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, strides=2), dict(kernel_size=3, strides=2, padding="same"),
                                    dict(kernel_size=3, strides=2, output_padding=1),
                                    dict(kernel_size=2, dilation_rate=2, padding="same")])
def test_conv2d_transpose_matches_numpy(kwargs):
    layer = layers.Conv2DTranspose(3, **kwargs)
    x = rand(2, 4, 5, 2)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == layer.kernel_size + (3, 2)
    close(y, conv2d_transpose_ref(x, kernel, bias, strides=layer.strides, padding=layer.padding,
                                  output_padding=layer.output_padding, dilation_rate=layer.dilation_rate))
    assert y.shape == layer.compute_output_shape(x.shape)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, strides=2), dict(kernel_size=4, strides=3, padding="same"),
                                    dict(kernel_size=3, strides=2, output_padding=1)])
def test_conv1d_transpose_is_the_2d_one_on_height_1(kwargs):
    layer = layers.Conv1DTranspose(3, **kwargs)
    x = rand(2, 5, 2)
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == layer.kernel_size + (3, 2)
    op = None if layer.output_padding is None else (0, layer.output_padding[0])
    expected = conv2d_transpose_ref(x[:, None], kernel[None], bias, strides=(1, layer.strides[0]),
                                    padding=layer.padding, output_padding=op)[:, 0]
    close(y, expected)


def test_user_activation_applied_after_the_kernel():
    layer = layers.Conv2D(2, 3, activation=lambda z: z * 2.0)
    x = rand(1, 5, 5, 1)
    y = layer(x)
    kernel, bias = layer.get_weights()
    close(y, 2.0 * conv2d_ref(x, kernel, bias))


def test_batch_zero_and_float64_input():
    layer = layers.Conv2D(2, 3)
    assert layer(np.zeros((0, 5, 5, 1))).shape == (0, 3, 3, 2)
    y = layer(np.ones((1, 5, 5, 1), np.float64))
    assert y.dtype == np.float32


# ---------------------------------------------------------------------- weights, config

def test_weights_names_shapes_and_set_weights():
    layer = layers.Conv2D(6, (3, 2), groups=2)
    layer.build((None, 8, 8, 4))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 2, 2, 6), (6,)]
    with pytest.raises(ValueError, match="conv2d"):
        layer.set_weights([np.zeros((3, 2, 4, 6)), np.zeros(6)])


@pytest.mark.parametrize("cls, kwargs", [
    (layers.Conv1D, dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2)),
    (layers.Conv2D, dict(filters=4, kernel_size=(3, 1), strides=2, groups=2, activation="relu")),
    (layers.Conv2DTranspose, dict(filters=2, kernel_size=3, strides=2, output_padding=1)),
    (layers.Conv1DTranspose, dict(filters=2, kernel_size=3, use_bias=False))])
def test_config_round_trip(cls, kwargs):
    layer = cls(**kwargs)
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert config["data_format"] == "channels_last"
    assert ("groups" in config) == (cls in (layers.Conv1D, layers.Conv2D))


def test_regularizers_and_constraints_are_kept_in_the_config():
    config = layers.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer="l1", activity_regularizer="l2",
                           kernel_constraint="max_norm", bias_constraint="non_neg").get_config()
    # Keras serializes the objects the names stand for (nnkern.regularizers / nnkern.constraints).
    names = [config[k]["class_name"] for k in ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                               "kernel_constraint", "bias_constraint")]
    assert names == ["L2", "L1", "L2", "MaxNorm", "NonNeg"]
    config = layers.LSTM(2, recurrent_regularizer="l2", recurrent_constraint="unit_norm").get_config()
    assert (config["recurrent_regularizer"]["class_name"], config["recurrent_constraint"]["class_name"]) == \
        ("L2", "UnitNorm")


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution1D is layers.Conv1D
    assert layers.Deconvolution2D is layers.Conv2DTranspose is layers.Convolution2DTranspose


def test_sequential_with_input_shape():
    model = Sequential([layers.Conv2D(8, 3, activation="relu", input_shape=(10, 10, 3)), layers.Flatten()])
    assert model.output_shape == (None, 8 * 8 * 8)


# ---------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("kwargs, match", [
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=4, kernel_size=0), "kernel_size"),
    (dict(filters=4, kernel_size=3, strides=0), "strides"),
    (dict(filters=4, kernel_size=3, padding="full"), "padding"),
    (dict(filters=4, kernel_size=3, padding="causal"), "padding"),
    (dict(filters=3, kernel_size=3, groups=2), "groups"),
    (dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate"),
    (dict(filters=4, kernel_size=3, data_format="channels_first"), "channels_last"),
    (dict(filters=4, kernel_size=(3, 3, 3)), "kernel_size")])
def test_bad_constructor_arguments_name_the_layer(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        layers.Conv2D(**kwargs)
    assert "Conv2D" in str(info.value)


def test_transpose_output_padding_must_be_below_strides():
    with pytest.raises(ValueError, match="Conv2DTranspose.*output_padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="Conv2DTranspose.*dilation_rate"):  # as Keras
        layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2)


def test_bad_inputs_name_the_layer():
    layer = layers.Conv2D(4, 3, groups=2, name="my_conv")
    with pytest.raises(ValueError, match="my_conv.*groups"):
        layer(np.zeros((1, 5, 5, 3), np.float32))
    layer = layers.Conv2D(4, 3, name="conv_b")
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="conv_b"):
        layer(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match="conv_b.*ndim"):
        layer(np.zeros((5, 5, 3), np.float32))
    for shape in ((3, 3, 1), (4, 5, 1)):  # negative, zero (Keras refuses both)
        with pytest.raises(ValueError, match="zero or negative"):
            layers.Conv2D(1, 5)(layers.Input(shape=shape))
    assert layers.Conv2D(1, 5)(layers.Input(shape=(5, 5, 1))).shape == (None, 1, 1, 1)
    assert layers.Conv2DTranspose(1, 1, padding="same")(layers.Input(shape=(0, 3, 1))).shape == (None, 0, 3, 1)


def test_each_new_input_shape_is_checked_and_weights_stay_live():
    # The output-shape check is skipped only for the input shape checked last.
    layer = layers.Conv2D(2, 3, name="conv_c")
    x = rand(1, 5, 5, 1)
    layer(x)
    with pytest.raises(ValueError, match="conv_c.*zero or negative"):
        layer(np.zeros((1, 2, 5, 1), np.float32))
    assert layer(np.zeros((0, 5, 5, 1), np.float32)).shape == (0, 3, 3, 2)
    weights = [rand(3, 3, 1, 2), rand(2)]
    layer.set_weights(weights)
    close(layer(x), conv2d_ref(x, *weights))
    close(layer(x[:, :4]), conv2d_ref(x[:, :4], *weights))


def test_keras_1_2_module_paths():
    from nnkern.layers.convolutional import Conv2D, MaxPooling2D, ZeroPadding2D  # Keras 1 held all three
    from nnkern.layers.core import Dense, Dropout, Flatten  # Keras 1/2's keras.layers.core

    assert Dense is layers.Dense and Dropout is layers.Dropout and Flatten is layers.Flatten
    from nnkern.layers.pooling import GlobalAveragePooling2D, MaxPool2D
    from nnkern.layers.recurrent import LSTM, Embedding

    assert Conv2D is layers.Conv2D and MaxPooling2D is layers.MaxPooling2D and ZeroPadding2D is layers.ZeroPadding2D
    assert MaxPool2D is layers.MaxPooling2D and GlobalAveragePooling2D is layers.GlobalAveragePooling2D
    assert LSTM is layers.LSTM and Embedding is layers.Embedding
    with pytest.raises(ImportError):
        from nnkern.layers.convolutional import NoSuchLayer  # noqa: F401


# ---------------------------------------------------------------------- Keras goldens

from ._golden_layers import cases_of, check_single  # noqa: E402


@pytest.mark.parametrize("case, arrays", cases_of("Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose"))
def test_keras_golden(case, arrays):
    check_single(case, arrays)


def test_trained_keras_digits_cnn_from_its_config_and_weights():
    """The packaged Keras-trained CNN (Conv2D, MaxPooling2D, ...): layers rebuilt from the Keras config,
    weights read from the .keras archive, predictions equal to Keras's."""
    h5py = pytest.importorskip("h5py")
    import io
    import json
    import pathlib
    import zipfile

    data = pathlib.Path(layers.__file__).resolve().parent.parent / "data"
    meta = json.loads((data / "digits_meta.json").read_text())
    with zipfile.ZipFile(data / "digits_cnn.keras") as archive:
        config = json.loads(archive.read("config.json"))
        weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    specs = config["config"]["layers"]
    model = Sequential([layers.Input(shape=tuple(specs[0]["config"]["batch_shape"][1:]))]
                       + [layers.deserialize(spec) for spec in specs[1:]])
    for layer in model.layers:
        group = weights_file["layers"][layer.name]["vars"]
        layer.set_weights([group[str(i)][()] for i in range(len(group))])
    with np.load(data / "digits_test.npz") as test:
        x = test["x"]
    probabilities = model.predict(x)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), meta["keras_predictions"])
    close(probabilities[:5], np.asarray(meta["keras_probabilities_first5"]))


# ---------------------------------------------------------------------- random configurations

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def conv2d_configs(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if max(strides) > 1 else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    groups = draw(st.sampled_from([1, 2]))
    reach = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    height = draw(st.integers(reach[0] if padding == "valid" else 1, reach[0] + 5))
    width = draw(st.integers(reach[1] if padding == "valid" else 1, reach[1] + 5))
    return dict(kernel_size=kernel, strides=strides, dilation_rate=dilation, padding=padding, groups=groups), \
        (height, width)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conv2d_configs())
def test_conv2d_random_configs_shape_rule_and_values(config):
    kwargs, (height, width) = config
    layer = layers.Conv2D(4, **kwargs)
    x = rand(2, height, width, 2)
    symbolic = layer(layers.Input(shape=(height, width, 2)))
    y = layer(x)
    assert y.shape[1:] == symbolic.shape[1:]
    kernel, bias = layer.get_weights()
    close(y, conv2d_ref(x, kernel, bias, **{k: v for k, v in kwargs.items() if k != "kernel_size"}))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.sampled_from(["valid", "same"]),
       st.sampled_from([None, 0, 1, 2]), st.integers(1, 6))
def test_conv2d_transpose_random_configs(kernel, stride, dilation, padding, output_padding, size):
    if stride > 1:
        dilation = 1
    if output_padding is not None and output_padding >= stride:
        output_padding = None
    layer = layers.Conv2DTranspose(3, kernel, strides=stride, padding=padding, output_padding=output_padding,
                                   dilation_rate=dilation)
    x = rand(1, size, size + 1, 2)
    y = layer(x)
    assert y.shape[1:] == layer(layers.Input(shape=(size, size + 1, 2))).shape[1:]
    w, b = layer.get_weights()
    close(y, conv2d_transpose_ref(x, w, b, strides=stride, padding=padding, output_padding=output_padding,
                                  dilation_rate=dilation))
