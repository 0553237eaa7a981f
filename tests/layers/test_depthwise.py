"""DepthwiseConv1D / DepthwiseConv2D / SeparableConv1D / SeparableConv2D: Keras goldens (outputs, configs,
weights, shapes, parameter counts; tests/golden/gen_depthwise.py), the Keras model files, the numpy
reference, configs and bad arguments."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern import layers
from nnkern.models import Model, Sequential
from numpy_ref.conv2d import conv2d as conv2d_ref
from numpy_ref.depthwise_conv2d import depthwise_conv1d as depthwise_conv1d_ref
from numpy_ref.depthwise_conv2d import depthwise_conv2d as depthwise_conv2d_ref

from ._golden_layers import check_single, close, params_of_kind, summary_at_golden_width

CASES = load_cases("depthwise")
SINGLE = params_of_kind(CASES, "single")
MODELS = params_of_kind(CASES, "model")


@pytest.mark.parametrize("case,arrays", SINGLE)
def test_layer_matches_keras(case, arrays):
    check_single(case, arrays)


def test_goldens_cover_every_argument_that_changes_the_computation():
    grid = {(c["kwargs"]["padding"], str(c["kwargs"]["strides"]), c["kwargs"]["dilation_rate"],
             str(c["kwargs"]["kernel_size"]), c["kwargs"]["depth_multiplier"])
            for c, _ in CASES if c["id"].startswith("grid_")}
    assert len(grid) == 2 * 3 * 2 * 3 * 2
    single = [c for c, _ in CASES if c["kind"] == "single"]
    for class_name in ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"]:
        of_class = [c["kwargs"] for c in single if c["class_name"] == class_name]
        assert {k.get("padding", "valid") for k in of_class} == {"valid", "same"}, class_name
        assert any(k.get("use_bias") is False for k in of_class), class_name
        assert any(k.get("depth_multiplier", 1) > 1 for k in of_class), class_name
        assert any(k.get("dilation_rate", 1) != 1 for k in of_class), class_name
        assert any(k.get("strides", 1) != 1 for k in of_class), class_name
        assert any(k.get("activation") for k in of_class), class_name
    assert {c["kwargs"].get("activation") for c in single} >= {"relu", "softmax", "celu"}
    assert {c["input_shape"][-1] for c in single} >= {16, 19}  # whole packets of channels, and a tail
    assert any(arrays["x"].shape[0] == 0 for _, arrays in CASES if "x" in arrays)


# ---------------------------------------------------------------------- Keras's model files

@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("case,arrays", MODELS)
def test_model_file_loads_and_predicts_as_keras(case, arrays, fmt, monkeypatch):
    model = nnkern.models.load_model(DATA_DIR / case["files"][fmt])
    close(model.predict(arrays["x"], verbose=0), arrays["y"])
    assert model.count_params() == case["params"]
    assert [type(layer).__name__ for layer in model.layers] == case["layer_classes"]
    assert [list(w.shape) for w in model.weights] == case["weight_shapes"]
    assert summary_at_golden_width(model, monkeypatch) == case["summary"]


def test_model_saved_by_nnkern_loads_back(tmp_path):
    case, arrays = next((c, a) for c, a in CASES if c["id"] == "mobilenet_like")
    model = nnkern.models.load_model(DATA_DIR / case["files"]["keras"])
    model.save(tmp_path / "copy.keras")
    again = nnkern.models.load_model(tmp_path / "copy.keras")
    np.testing.assert_array_equal(again.predict(arrays["x"], verbose=0), model.predict(arrays["x"], verbose=0))


# ---------------------------------------------------------------------- numpy reference, configs

def rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def test_separable_is_depthwise_then_pointwise():
    x = rand(2, 9, 8, 3)
    layer = layers.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2, activation="relu")
    Model(inp := layers.Input((9, 8, 3)), layer(inp))
    weights = [rand(3, 3, 3, 2, seed=1), rand(1, 1, 6, 5, seed=2), rand(5, seed=3)]
    layer.set_weights(weights)
    depthwise = depthwise_conv2d_ref(x, weights[0], None, 2, "same")
    close(layer(x), conv2d_ref(depthwise, weights[1], weights[2], act="relu"))

    x1 = rand(2, 12, 4)
    layer1 = layers.SeparableConv1D(3, 3, dilation_rate=2, use_bias=False)
    layer1.build((None, 12, 4))
    weights1 = [rand(3, 4, 1, seed=4), rand(1, 4, 3, seed=5)]
    layer1.set_weights(weights1)
    depthwise1 = depthwise_conv1d_ref(x1, weights1[0], None, 1, "valid", 2)
    close(layer1(x1), np.einsum("nlc,cf->nlf", depthwise1, weights1[1][0]))

def test_depthwise_weights_follow_keras_names_and_shapes():
    layer = layers.DepthwiseConv2D((3, 2), depth_multiplier=4)
    layer.build((None, 8, 8, 5))
    assert [(w.name, w.shape) for w in layer.weights] == [("kernel", (3, 2, 5, 4)), ("bias", (20,))]
    sep = layers.SeparableConv1D(7, 3, depth_multiplier=2, use_bias=True)
    sep.build((None, 10, 5))
    assert [(w.name, w.shape) for w in sep.weights] == [("depthwise_kernel", (3, 5, 2)),
                                                         ("pointwise_kernel", (1, 10, 7)), ("bias", (7,))]
    assert sep.count_params() == 3 * 5 * 2 + 10 * 7 + 7
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


@pytest.mark.parametrize("cls,kwargs", [
    (layers.DepthwiseConv2D, dict(kernel_size=(3, 2), strides=(1, 2), padding="same", depth_multiplier=2,
                                  activation="relu6", use_bias=False, depthwise_regularizer={"class_name": "L2"})),
    (layers.DepthwiseConv1D, dict(kernel_size=5, dilation_rate=2)),
    (layers.SeparableConv2D, dict(filters=4, kernel_size=3, dilation_rate=2, pointwise_initializer="he_normal")),
    (layers.SeparableConv1D, dict(filters=4, kernel_size=3, strides=2, activation="tanh")),
])
def test_config_round_trip(cls, kwargs):
    layer = cls(**kwargs)
    config = layer.get_config()
    assert cls.from_config(config).get_config() == config
    rebuilt = nnkern.layers.deserialize({"class_name": cls.__name__, "config": config})
    assert type(rebuilt) is cls and rebuilt.get_config() == config


def test_keras_2_config_with_groups_loads():
    # tf.keras's DepthwiseConv2D subclassed Conv2D and saved `groups: 1` in its config.
    layer = layers.DepthwiseConv2D.from_config({"kernel_size": [3, 3], "groups": 1, "name": "dw"})
    assert "groups" not in layer.get_config()
    with pytest.raises(ValueError, match="Unrecognized keyword arguments.*groups"):
        layers.DepthwiseConv2D(3, groups=2)


# ---------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("cls,kwargs,match", [
    (layers.DepthwiseConv2D, dict(kernel_size=3, depth_multiplier=0), r"depth_multiplier.*Received depth_multiplier=0"),
    (layers.DepthwiseConv2D, dict(kernel_size=3, depth_multiplier=1.5), r"depth_multiplier"),
    (layers.DepthwiseConv2D, dict(kernel_size=0), r"kernel_size"),
    (layers.DepthwiseConv2D, dict(kernel_size=(3, 3, 3)), r"kernel_size.*2 integers"),
    (layers.DepthwiseConv2D, dict(kernel_size=3, strides=0), r"strides"),
    (layers.DepthwiseConv2D, dict(kernel_size=3, dilation_rate=0), r"dilation_rate"),
    (layers.DepthwiseConv1D, dict(kernel_size=3, padding="causal"), r"padding.*causal"),
    (layers.DepthwiseConv2D, dict(kernel_size=3, padding="full"), r"padding.*full"),
    (layers.DepthwiseConv2D, dict(kernel_size=3, data_format="channels_first"), r"channels_last"),
    (layers.SeparableConv2D, dict(filters=0, kernel_size=3), r"filters.*Received filters=0"),
    (layers.SeparableConv2D, dict(filters=None, kernel_size=3), r"filters"),
    (layers.SeparableConv1D, dict(filters=2, kernel_size=3, depth_multiplier=-1), r"depth_multiplier"),
    (layers.SeparableConv1D, dict(filters=2, kernel_size=(3, 3)), r"kernel_size.*1 integers"),
])
def test_bad_constructor_arguments_name_the_layer(cls, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        cls(**kwargs)
    assert cls.__name__ in str(info.value)


@pytest.mark.parametrize("cls,args", [(layers.DepthwiseConv2D, (5,)), (layers.SeparableConv2D, (2, 5))])
def test_bad_inputs_name_the_layer(cls, args):
    with pytest.raises(ValueError, match="my_layer.*zero or negative"):
        cls(*args, name="my_layer")(layers.Input((4, 8, 3)))
    layer = cls(*args, name="my_layer")
    layer(np.zeros((1, 6, 6, 3), np.float32))
    with pytest.raises(ValueError, match="my_layer"):
        layer(np.zeros((1, 6, 6, 2), np.float32))  # the channels it was built for differ
    with pytest.raises(ValueError, match="my_layer"):
        layer(np.zeros((6, 6, 3), np.float32))
    with pytest.raises(ValueError, match="my_layer.*zero or negative"):
        layer(np.zeros((1, 4, 6, 3), np.float32))
    with pytest.raises(ValueError, match="channel axis.*must be known"):
        cls(*args)(layers.Input((6, 6, None)))


def test_eager_call_int_input_and_batch_0():
    layer = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same")
    x = np.arange(2 * 7 * 3).reshape(2, 7, 3)
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == (2, 7, 6)
    close(y, depthwise_conv1d_ref(x.astype(np.float32), *[w.value for w in layer.weights], 1, "same"))
    assert layer(np.zeros((0, 7, 3), np.float32)).shape == (0, 7, 6)
    assert Sequential([layers.Input((7, 3)), layers.SeparableConv1D(4, 3)]).output_shape == (None, 5, 4)
