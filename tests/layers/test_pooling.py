"""MaxPooling1D/2D and AveragePooling1D/2D layers: the notebook's shapes, the numpy reference, configs and
bad arguments."""
import numpy as np
import pytest

from nnkern import layers
from nnkern.models import Model
from numpy_ref.pooling import pool1d as pool1d_ref
from numpy_ref.pooling import pool2d as pool2d_ref

RNG = np.random.default_rng(3)


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding, side", [("valid", 63), ("same", 64)])
def test_notebook_maxpool_on_127(padding, side):
    inp = layers.Input(shape=(127, 127, 3))
    x = layers.Conv2D(32, (3, 3), padding="same")(inp)
    model = Model(inp, layers.MaxPool2D(pool_size=2, padding=padding)(x))
    assert model.output_shape == (None, side, side, 32)
    assert model.count_params() == 896


@pytest.mark.parametrize("cls, op", [(layers.MaxPooling2D, "max"), (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kwargs", [{}, dict(pool_size=3), dict(pool_size=(3, 2), strides=1, padding="same"),
                                    dict(pool_size=2, strides=(1, 2), padding="same"), dict(pool_size=3, strides=2)])
def test_pool2d_matches_numpy(cls, op, kwargs):
    layer = cls(**kwargs)
    x = RNG.uniform(-1, 1, (2, 7, 6, 3)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == layer.compute_output_shape(x.shape)
    close(y, pool2d_ref(x, layer.pool_size, layer.strides, layer.padding, "max" if op == "max" else "avg"))


@pytest.mark.parametrize("cls, op", [(layers.MaxPooling1D, "max"), (layers.AveragePooling1D, "avg")])
@pytest.mark.parametrize("kwargs", [{}, dict(pool_size=3, padding="same"), dict(pool_size=2, strides=1)])
def test_pool1d_matches_numpy(cls, op, kwargs):
    layer = cls(**kwargs)
    x = RNG.uniform(-1, 1, (2, 9, 3)).astype(np.float32)
    y = layer(x)
    assert y.shape == layer.compute_output_shape(x.shape)
    close(y, pool1d_ref(x, layer.pool_size[0], layer.strides[0], layer.padding, op))


def test_defaults_aliases_and_config():
    assert layers.MaxPool1D is layers.MaxPooling1D and layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D and layers.AvgPool2D is layers.AveragePooling2D
    layer = layers.MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    layer = layers.AveragePooling1D(3, strides=2, padding="same", name="avg")
    config = layer.get_config()
    assert config["pool_size"] == (3,) and config["strides"] == (2,) and config["name"] == "avg"
    assert layers.AveragePooling1D.from_config(config).get_config() == config


def test_batch_zero_and_unknown_dims():
    assert layers.MaxPooling2D()(np.zeros((0, 4, 4, 2), np.float32)).shape == (0, 2, 2, 2)
    assert layers.MaxPooling1D(2)(layers.Input(shape=(None, 4))).shape == (None, None, 4)


@pytest.mark.parametrize("kwargs, match", [(dict(pool_size=0), "pool_size"), (dict(strides=(1, 2, 3)), "strides"),
                                           (dict(padding="causal"), "padding"),
                                           (dict(data_format="channels_first"), "channels_last")])
def test_bad_arguments_name_the_layer(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        layers.MaxPooling2D(**kwargs)
    assert "MaxPooling2D" in str(info.value)


def test_bad_inputs_name_the_layer():
    layer = layers.AveragePooling2D(name="pool_a")
    with pytest.raises(ValueError, match="pool_a.*ndim"):
        layer(np.zeros((4, 4, 2), np.float32))
    for pool in (layers.MaxPooling2D(5, strides=1), layers.AveragePooling2D(5)):  # negative, zero (as Keras)
        with pytest.raises(ValueError, match="zero or negative"):
            pool(layers.Input(shape=(3, 3, 1)))


def test_each_new_input_shape_and_dtype_is_checked():
    layer = layers.MaxPooling2D(2, name="pool_b")
    x = RNG.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32)
    close(layer(x), pool2d_ref(x, 2))
    with pytest.raises(ValueError, match="pool_b.*zero or negative"):
        layer(np.zeros((1, 1, 4, 2), np.float32))
    assert layer(np.zeros((0, 4, 4, 2), np.float32)).shape == (0, 2, 2, 2)
    ints = np.arange(32, dtype=np.int32).reshape(1, 4, 4, 2)
    y = layer(ints)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, pool2d_ref(ints, 2))
    close(layer(x), pool2d_ref(x, 2))


def test_integer_input_dtypes_as_keras():
    x = np.arange(32, dtype=np.int32).reshape(1, 4, 4, 2)
    y = layers.MaxPooling2D(2)(x)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, pool2d_ref(x, 2).astype(np.int32))
    assert layers.MaxPooling2D(2)(layers.Input(shape=(4, 4, 2), dtype="int32")).dtype == "int32"
    assert layers.AveragePooling2D(2)(x).dtype == np.float32


# ---------------------------------------------------------------------- Keras goldens

from ._golden_layers import cases_of, check_single  # noqa: E402


@pytest.mark.parametrize("case, arrays", cases_of("MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
                                                  "AveragePooling2D"))
def test_keras_golden(case, arrays):
    check_single(case, arrays)
