"""nnkern.applications builds keras.applications' architectures: the config of each equals the config
Keras 3 wrote for the same builder call (tests/golden/gen_applications.py), up to the auto-generated
layer names (layers are compared by position), and the model predicts as Keras's with the same weights."""
import inspect
import json

import numpy as np
import pytest

import nnkern
from _applications_recipe import recipe_input, set_recipe_weights
from _golden_io import DATA_DIR, load_cases, read_json
from nnkern.engine.variable import deferred_initialization

BUILT = set(nnkern.applications.__all__)  # every builder: one without a case fails test_every_builder_has_a_corpus_case
ROUND_TRIP_MAX_PARAMS = 100_000_000
CASES = [pytest.param(case, arrays, id=case["id"]) for case, arrays in load_cases("applications")
         if case["kind"] == "architecture" and case["builder"] in BUILT]


def _by_position(config):
    """The model config with every layer's name replaced by its position (auto-names count per process),
    layers of nested models too.
    Known difference left out: Keras records a call's `training` argument in the node when the layer's
    call() defaults it to False (Dropout: `"kwargs": {"training": false}`); nnkern records no default."""
    names = {}

    def number(layers, prefix):  # nested models (ConvNeXt's Sequential stem) by their path of positions
        for i, layer in enumerate(layers):
            names[layer["config"]["name"]] = f"<layer {prefix}{i}>"
            number(layer["config"].get("layers", []), f"{prefix}{i}.")

    number(config["layers"], "")

    def walk(value):
        if isinstance(value, dict):
            if "args" in value and value.get("kwargs") == {"training": False}:  # a node's call arguments
                value = {**value, "kwargs": {}}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        return names.get(value, value) if isinstance(value, str) else value

    return walk(config)


def _build(case, weights=None):
    """The case's model, its weights not initialised (the initializers of the largest architectures take
    seconds): the recipe or the weights file assigns every one before the model predicts (checked)."""
    top = case["kwargs"].get("include_top", True)
    extra = {"classes": 10, "classifier_activation": None} if top else {}
    size = case["image_size"]
    with deferred_initialization():
        return getattr(nnkern.applications, case["builder"])(weights=weights, input_shape=(size, size, 3), **extra,
                                                             **case["kwargs"])


def _predict(model, case):
    assert all(w.initialized for w in model.weights)
    return model.predict(recipe_input(case["input"]), verbose=0)


@pytest.mark.parametrize("case,arrays", CASES)
def test_builder_gives_keras_architecture(case, arrays, tmp_path):
    model = _build(case)
    keras_entry = read_json(DATA_DIR / case["config"])
    ours = json.loads(json.dumps(nnkern.layers.serialize(model)))
    assert ours["config"]["name"] == keras_entry["config"]["name"]
    assert _by_position(ours["config"]) == _by_position(keras_entry["config"])
    assert model.count_params() == case["params"]
    weights = read_json(DATA_DIR / case["weights"])
    set_recipe_weights(model, list(zip(weights["weight_names"], weights["weight_shapes"])), case["seed"])
    y = _predict(model, case)
    np.testing.assert_allclose(y, arrays["y"], rtol=0, atol=1e-4 * float(np.max(np.abs(arrays["y"]))))
    # weights= a weights file; not for the largest models: saving and reloading ConvNeXtXLarge (1.4 GB of
    # weights) peaks at 5.5 GB, over the test run's memory budget
    if case["params"] > ROUND_TRIP_MAX_PARAMS:
        return
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    del model
    loaded = _build(case, weights=str(path))
    path.unlink()  # up to 0.4 GB
    np.testing.assert_array_equal(_predict(loaded, case), y)


# Builders whose architecture the corpus lacks (strict: remove one once its case is there).
WITHOUT_CASE = set()


def test_every_builder_has_a_corpus_case():
    cases = [case for case, _ in load_cases("applications") if case["kind"] == "architecture"]
    assert BUILT - {case["builder"] for case in cases} == WITHOUT_CASE


@pytest.mark.parametrize("builder", sorted(BUILT))
def test_builder_signature_is_keras(builder):
    """Same parameters in the same order, same defaults, as Keras 3.15's builder."""
    (keras_signatures,) = [case["signatures"] for case, _ in load_cases("applications") if case["kind"] == "signatures"]
    ours = inspect.signature(getattr(nnkern.applications, builder)).parameters.values()
    assert [[p.name, p.default] for p in ours] == keras_signatures[builder]


@pytest.mark.parametrize("weights,message", [("imagenet", "nnkern downloads no weights"),
                                             ("no/such/file.h5", "the path to the weights file")])
def test_weights_must_be_none_or_a_file(weights, message):
    with pytest.raises(ValueError, match=message):
        nnkern.applications.MobileNetV2(weights=weights, input_shape=(32, 32, 3))


def test_input_size_is_checked():
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: input_shape=\(16, 16, 3\)"):
        nnkern.applications.MobileNetV2(weights=None, input_shape=(16, 16, 3))


def test_input_tensor_is_the_models_input():
    inp = nnkern.Input(shape=(32, 32, 3))
    model = nnkern.applications.ResNet50(weights=None, input_tensor=inp, include_top=False, pooling="max")
    assert model.inputs[0] is inp and list(model.outputs[0].shape) == [None, 2048]
    with pytest.raises(ValueError, match="input_tensor is not a Keras tensor"):
        nnkern.applications.ResNet50(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


# Keras 3.15's answers to the same calls (printed by keras.applications, not by nnkern).
@pytest.mark.parametrize("builder,kwargs,message", [
    ("MobileNetV3Small", {"input_shape": (16, 16, 3)},
     r"Input size must be at least 32x32; Received `input_shape=\(16, 16, 3\)`"),
    ("MobileNetV3Large", {"input_shape": (32, 32, 3), "input_tensor": (32, 40, 3)},
     r"input_shape\[1\] must equal input_tensor.shape\[2\].  Received input_shape=\(32, 32, 3\), "
     r"input_tensor.shape=\(None, 32, 40, 3\)"),
    ("MobileNet", {"input_shape": (16, 16, 3)}, r"Input size must be at least 32x32; Received: input_shape=\(16, 16, 3\)"),
    ("NASNetLarge", {"input_shape": (31, 40, 3), "include_top": False},
     r"Input size must be at least 32x32; Received: input_shape=\(31, 40, 3\)"),
    ("EfficientNetV2B0", {"input_shape": (32, 32), "include_top": False},
     "`input_shape` must be a tuple of three integers."),
    ("EfficientNetV2S", {"input_shape": (None, None, 3)},
     r"If `include_top` is True, you should specify a static `input_shape`. Received: input_shape=\(None, None, 3\)"),
])
def test_builder_refuses_what_keras_refuses(builder, kwargs, message):
    if "input_tensor" in kwargs:
        kwargs = {**kwargs, "input_tensor": nnkern.Input(shape=kwargs["input_tensor"])}
    with pytest.raises(ValueError, match=message):
        getattr(nnkern.applications, builder)(weights=None, **kwargs)


@pytest.mark.parametrize("builder,kwargs,name,input_shape,output_shape", [
    ("MobileNetV3Small", {}, "MobileNetV3Small", [None, None, None, 3], [None, 1000]),
    ("MobileNetV3Small", {"input_tensor": (40, 48, 3)}, "MobileNetV3Small", [None, 40, 48, 3], [None, 1000]),
    ("NASNetMobile", {"include_top": False}, "nasnet_mobile", [None, 224, 224, 3], [None, 7, 7, 1056]),
    ("MobileNet", {"input_shape": (160, 160, 3), "include_top": False}, "mobilenet_1.00_160", [None, 160, 160, 3],
     [None, 5, 5, 1024]),
    ("MobileNet", {"input_shape": (48, 64, 3), "include_top": False, "alpha": 0.5}, "mobilenet_0.50_48",
     [None, 48, 64, 3], [None, 1, 2, 512]),
    ("MobileNet", {"include_top": False, "alpha": 0.5}, "mobilenet_0.50_None", [None, None, None, 3],
     [None, None, None, 512]),
    ("EfficientNetV2B1", {"include_top": False, "pooling": "max"}, "efficientnetv2-b1", [None, None, None, 3],
     [None, 1280]),
])
def test_builder_input_size_and_name_default_as_keras(builder, kwargs, name, input_shape, output_shape):
    if "input_tensor" in kwargs:
        kwargs = {**kwargs, "input_tensor": nnkern.Input(shape=kwargs["input_tensor"])}
    with deferred_initialization():  # shapes and names only
        model = getattr(nnkern.applications, builder)(weights=None, **kwargs)
    assert (model.name, list(model.inputs[0].shape), list(model.outputs[0].shape)) == \
        (name, input_shape, output_shape)


def test_classifier_with_a_weights_file_ends_in_softmax_or_logits(tmp_path):
    path = tmp_path / "any.weights.h5"
    path.write_bytes(b"")  # refused before the file is read
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        nnkern.applications.MobileNetV3Small(weights=str(path), input_shape=(32, 32, 3), classifier_activation="relu")


def test_efficientnet_v2_takes_a_name_of_its_own():
    """Keras picks EfficientNetV2's stages and preprocessing by the model's name (a KeyError for another
    name); here by the builder: S's (Rescaling to [-1, 1]) under any name."""
    with deferred_initialization():
        model = nnkern.applications.EfficientNetV2S(weights=None, input_shape=(32, 32, 3), name="mine")
        reference = nnkern.applications.EfficientNetV2S(weights=None, input_shape=(32, 32, 3))
    assert model.name == "mine"
    assert [layer.get_config() | {"name": None} for layer in model.layers[1:]] == \
        [layer.get_config() | {"name": None} for layer in reference.layers[1:]]
    assert model.layers[1].get_config()["scale"] == 1.0 / 128.0


def test_headless_builder_takes_any_image_size():
    model = nnkern.applications.Xception(weights=None, include_top=False)  # Keras: (None, None, 3)
    assert list(model.inputs[0].shape) == [None, None, None, 3]
    with pytest.raises(ValueError, match=r"If `include_top` is True, you should specify a static `input_shape`"):
        nnkern.applications.VGG16(weights=None, input_shape=(None, None, 3))


def test_classifier_activation_with_a_weights_file_is_softmax_or_none(tmp_path):
    weights = tmp_path / "w.weights.h5"
    weights.touch()
    with pytest.raises(ValueError, match=r"Only `None` and `softmax` activations are allowed .* "
                                         r"Received: classifier_activation=relu"):
        nnkern.applications.DenseNet121(weights=str(weights), input_shape=(32, 32, 3), classifier_activation="relu")


def test_every_keras_builder_is_there():
    """nnkern.applications has each builder of Keras 3.15's keras.applications (the generator's record of them)."""
    (keras_signatures,) = [case["signatures"] for case, _ in load_cases("applications") if case["kind"] == "signatures"]
    assert len(keras_signatures) == 40 and BUILT == set(keras_signatures)
