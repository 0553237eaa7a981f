"""Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D, ZeroPadding3D, Cropping3D, UpSampling3D and
ConvLSTM2D: Keras goldens (outputs, configs, weights, shapes, parameter counts; tests/golden/gen_conv3d.py),
Keras 3 `.keras` and tf-keras `.h5` model files, numpy references, configs and bad arguments."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern import layers
from nnkern.models import Model, Sequential
from numpy_ref.conv2d import conv2d as conv2d_ref

from ._golden_layers import check_single, close, params_of_kind, summary_at_golden_width

CASES = load_cases("conv3d")
SINGLE = params_of_kind(CASES, "single")
CALLS = params_of_kind(CASES, "call")
MODELS = params_of_kind(CASES, "model")


@pytest.mark.parametrize("case,arrays", SINGLE)
def test_layer_matches_keras(case, arrays):
    check_single(case, arrays)


def test_goldens_cover_every_argument_that_changes_the_computation():
    single = [c for c, _ in CASES if c["kind"] == "single"]

    def of(class_name):
        return [c["kwargs"] for c in single if c["class_name"] == class_name]
    for class_name in ["Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D", "ConvLSTM2D"]:
        kwargs = of(class_name)
        assert {k.get("padding", "valid") for k in kwargs} == {"valid", "same"}, class_name
        assert any(k.get("strides") not in (None, 1) for k in kwargs), class_name
    for class_name in ["Conv3D", "Conv3DTranspose", "ConvLSTM2D"]:
        kwargs = of(class_name)
        assert any(k.get("dilation_rate", 1) != 1 for k in kwargs), class_name
        assert any(k.get("use_bias") is False for k in kwargs), class_name
        assert any(k.get("activation") for k in kwargs), class_name
    assert any(k.get("groups", 1) > 1 for k in of("Conv3D"))
    assert any(k.get("output_padding") for k in of("Conv3DTranspose"))
    lstm = of("ConvLSTM2D")
    for flag in ["return_sequences", "return_state", "go_backwards"]:
        assert any(k.get(flag) for k in lstm), flag
    assert {c["id"] for c, _ in CASES} >= {"convlstm2d_call_mask", "convlstm2d_call_initial_state"}


@pytest.mark.parametrize("case,arrays", CALLS)
def test_conv_lstm_call_with_mask_or_initial_state_matches_keras(case, arrays):
    layer = layers.ConvLSTM2D(**case["kwargs"])
    layer.build(arrays["x"].shape)
    layer.set_weights([arrays[f"w{i}"] for i in range(case["n_weights"])])
    if "mask" in arrays:
        out = layer(arrays["x"], mask=arrays["mask"])
    else:
        out = layer(arrays["x"], initial_state=[arrays["h0"], arrays["c0"]])
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == case["n_outputs"]
    for i, y in enumerate(outs):
        close(y, arrays[f"y{i}"])


# ---------------------------------------------------------------------- Keras's model files

@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("case,arrays", MODELS)
def test_model_file_loads_and_predicts_as_keras(case, arrays, fmt, monkeypatch):
    model = nnkern.models.load_model(DATA_DIR / case["files"][fmt])
    close(model.predict(arrays["x"], verbose=0), arrays["y"])
    assert model.count_params() == case["params"]
    assert [list(w.shape) for w in model.weights] == case["weight_shapes"]
    if fmt == "keras":
        assert [type(layer).__name__ for layer in model.layers] == case["layer_classes"]
        assert summary_at_golden_width(model, monkeypatch) == case["summary"]


@pytest.mark.parametrize("case,arrays", MODELS)
def test_model_saved_by_nnkern_loads_back(case, arrays, tmp_path):
    model = nnkern.models.load_model(DATA_DIR / case["files"]["keras"])
    model.save(tmp_path / "copy.keras")
    again = nnkern.models.load_model(tmp_path / "copy.keras")
    np.testing.assert_array_equal(again.predict(arrays["x"], verbose=0), model.predict(arrays["x"], verbose=0))


# ---------------------------------------------------------------------- ConvLSTM2D against a numpy step loop

def rand(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).uniform(-scale, scale, shape).astype(np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("kwargs", [dict(padding="same"), dict(strides=2), dict(dilation_rate=(2, 1))])
def test_conv_lstm_is_the_lstm_recurrence_over_convolutions(kwargs):
    x = rand(2, 4, 7, 6, 3)
    layer = layers.ConvLSTM2D(5, 3, return_sequences=True, **kwargs)
    layer.build(x.shape)
    kernel, recurrent, bias = rand(3, 3, 3, 20, seed=1, scale=0.5), rand(3, 3, 5, 20, seed=2, scale=0.5), rand(20, seed=3)
    layer.set_weights([kernel, recurrent, bias])
    strides, dilation = kwargs.get("strides", 1), kwargs.get("dilation_rate", 1)
    h = c = None
    expected = []
    for t in range(x.shape[1]):
        z = conv2d_ref(x[:, t], kernel, bias, strides, kwargs.get("padding", "valid"), dilation)
        if h is None:
            h = c = np.zeros(z.shape[:3] + (5,))
        z = z + conv2d_ref(h, recurrent, None, 1, "same")
        i, f, g, o = sigmoid(z[..., :5]), sigmoid(z[..., 5:10]), np.tanh(z[..., 10:15]), sigmoid(z[..., 15:])
        c = f * c + i * g
        h = o * np.tanh(c)
        expected.append(h)
    np.testing.assert_allclose(layer(x), np.stack(expected, axis=1), rtol=1e-4, atol=1e-5)


def test_conv_lstm_weights_config_and_cell_attributes():
    layer = layers.ConvLSTM2D(4, (3, 2), strides=(1, 2), padding="same", return_state=True)
    model = Sequential([layers.Input((5, 8, 8, 3)), layer])
    assert [(w.path.split("/")[-3:], w.shape) for w in layer.weights] == [
        ([layer.name, "conv_lstm_cell", "kernel"], (3, 2, 3, 16)),
        ([layer.name, "conv_lstm_cell", "recurrent_kernel"], (3, 2, 4, 16)),
        ([layer.name, "conv_lstm_cell", "bias"], (16,))]
    np.testing.assert_array_equal(layer.get_weights()[2], np.repeat([0, 1, 0, 0], 4).astype(np.float32))
    assert layer.filters == 4 and layer.strides == (1, 2) and layer.padding == "same"
    assert [list(t.shape) for t in model.outputs] == [[None, 8, 4, 4]] * 3
    config = layer.get_config()
    rebuilt = nnkern.layers.deserialize({"class_name": "ConvLSTM2D", "config": config})
    assert type(rebuilt) is layers.ConvLSTM2D and rebuilt.get_config() == config


def test_conv_lstm_masked_output_mask_and_zero_steps():
    layer = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)
    inp = layers.Input((3, 4, 4, 1))
    layer(inp)
    assert layer.compute_mask(None, np.ones((2, 3), bool)).shape == (2, 3)
    x = rand(2, 3, 4, 4, 1)
    all_masked = layer(x, mask=np.zeros((2, 3), bool))
    np.testing.assert_array_equal(all_masked, np.zeros_like(all_masked))
    with pytest.raises(ValueError, match=r"ConvLSTM2D layer .*mask must have shape"):
        layer(x, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"initial state h must have shape \(2, 4, 4, 2\)"):
        layer(x, initial_state=[np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 4, 2))])


# ---------------------------------------------------------------------- configs and bad arguments

@pytest.mark.parametrize("cls,kwargs", [
    (layers.Conv3D, dict(filters=4, kernel_size=(3, 2, 1), strides=(1, 2, 1), padding="same", groups=2,
                         activation="relu", use_bias=False)),
    (layers.Conv3DTranspose, dict(filters=2, kernel_size=3, strides=2, output_padding=1, padding="same")),
    (layers.MaxPooling3D, dict(pool_size=(2, 3, 2), strides=1, padding="same")),
    (layers.AveragePooling3D, dict()),
    (layers.ZeroPadding3D, dict(padding=(1, 2, 3))),
    (layers.Cropping3D, dict(cropping=((1, 0), 2, (0, 1)))),
    (layers.UpSampling3D, dict(size=(1, 2, 3))),
])
def test_config_round_trip(cls, kwargs):
    layer = cls(**kwargs)
    config = layer.get_config()
    rebuilt = nnkern.layers.deserialize({"class_name": cls.__name__, "config": config})
    assert type(rebuilt) is cls and rebuilt.get_config() == config


def test_aliases_and_keras_1_spelling():
    assert layers.Convolution3D is layers.Conv3D and layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.MaxPool3D is layers.MaxPooling3D and layers.AvgPool3D is layers.AveragePooling3D
    conv = layers.Convolution3D(nb_filter=3, kernel_dim1=2, kernel_dim2=3, kernel_dim3=1, border_mode="same")
    assert (conv.filters, conv.kernel_size, conv.padding) == (3, (2, 3, 1), "same")


def test_shape_layers_on_channels_first_and_integers():
    x = np.arange(2 * 3 * 4 * 5 * 6, dtype=np.int32).reshape(2, 3, 4, 5, 6)
    y = layers.ZeroPadding3D(((1, 0), (0, 2), 1), data_format="channels_first")(x)
    assert y.shape == (2, 3, 5, 7, 8) and y.dtype == np.int32
    np.testing.assert_array_equal(y[:, :, 1:, :5, 1:7], x)
    y = layers.Cropping3D(((1, 0), (0, 2), 1), data_format="channels_first")(x)
    np.testing.assert_array_equal(y, x[:, :, 1:, :3, 1:5])
    y = layers.UpSampling3D((2, 1, 3))(x)
    np.testing.assert_array_equal(y, x.repeat(2, axis=1).repeat(3, axis=3))
    np.testing.assert_array_equal(layers.MaxPooling3D(2)(x), x[:, :2, :4, :4].reshape(2, 1, 2, 2, 2, 2, 2, 6)
                                  .max(axis=(2, 4, 6)))


@pytest.mark.parametrize("cls,kwargs,match", [
    (layers.Conv3D, dict(filters=0, kernel_size=3), r"filters.*Received filters=0"),
    (layers.Conv3D, dict(filters=2, kernel_size=(3, 3)), r"kernel_size"),
    (layers.Conv3D, dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
    (layers.Conv3D, dict(filters=3, kernel_size=3, groups=2), r"divisible by the number of groups"),
    (layers.Conv3D, dict(filters=2, kernel_size=3, padding="causal"), r"padding"),
    (layers.Conv3D, dict(filters=2, kernel_size=3, data_format="channels_first"), r"channels_last"),
    (layers.Conv3DTranspose, dict(filters=2, kernel_size=3, strides=2, output_padding=2), r"output_padding"),
    (layers.Conv3DTranspose, dict(filters=2, kernel_size=3, data_format="channels_first"), r"channels_last"),
    (layers.MaxPooling3D, dict(pool_size=(2, 2)), r"pool_size"),
    (layers.AveragePooling3D, dict(padding="full"), r"padding"),
    (layers.MaxPooling3D, dict(data_format="channels_first"), r"channels_last"),
    (layers.ConvLSTM2D, dict(filters=0, kernel_size=3), r"filters"),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), r"strides > 1"),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=3, data_format="channels_first"), r"channels_last"),
    (layers.ConvLSTM2D, dict(filters=2, kernel_size=3, stateful=True), r"stateful"),
])
def test_bad_constructor_arguments_name_the_layer(cls, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        cls(**kwargs)
    assert cls.__name__ in str(info.value)


@pytest.mark.parametrize("make,shape,match", [
    (lambda: layers.Conv3D(2, 5), (4, 4, 4, 1), r"Conv3D layer .*output size would be zero"),
    (lambda: layers.MaxPooling3D(3), (2, 4, 4, 1), r"MaxPooling3D layer .*output size would be zero"),
    (lambda: layers.Cropping3D(2), (4, 5, 5, 1), r"cropping"),
    (lambda: layers.ConvLSTM2D(2, 5), (3, 4, 4, 1), r"ConvLSTM2D layer .*output size would be zero"),
    (lambda: layers.ConvLSTM2D(2, 3), (3, None, 4, 1), r"static input shapes"),
])
def test_inputs_that_do_not_fit_raise_keras_errors(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(layers.Input(shape))


def test_summary_rows_count_parameters():
    model = Model(inp := layers.Input((4, 6, 6, 2)), layers.ConvLSTM2D(3, 3, name="clstm")(inp))
    lines = []
    model.summary(print_fn=lines.append)
    assert "clstm (ConvLSTM2D)" in "".join(lines) and f"{model.count_params():,}" in "".join(lines)
    assert model.count_params() == 3 * 3 * 2 * 12 + 3 * 3 * 3 * 12 + 12
