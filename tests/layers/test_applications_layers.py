"""The layers keras.applications defines itself (LayerScale, StochasticDepth, CustomScaleLayer) against
Keras 3 (tests/golden/gen_applications.py): outputs, weights, configs, and the module / registered name
Keras writes for them, so files load both ways without custom_objects."""
import numpy as np
import pytest

import nnkern
from _golden_io import load_cases
from nnkern import layers
from nnkern.models import Model

from ._golden_layers import check_single

CASES = {case["id"]: (case, arrays) for case, arrays in load_cases("applications")
         if case["kind"] in ("single", "two_inputs")}
SINGLES = [pytest.param(case, arrays, id=i) for i, (case, arrays) in CASES.items() if case["kind"] == "single"]


@pytest.mark.parametrize("case,arrays", SINGLES)
def test_single_layer_matches_keras(case, arrays):
    check_single(case, arrays)


@pytest.mark.parametrize("case_id", list(CASES))
def test_serialized_as_keras_does(case_id):
    case, _ = CASES[case_id]
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    ours, keras = layers.serialize(layer), case["serialized"]
    assert (ours["module"], ours["class_name"], ours["registered_name"]) == \
        (keras["module"], keras["class_name"], keras["registered_name"])
    ours_config, keras_config = dict(ours["config"]), dict(keras["config"])
    ours_config.pop("name"), keras_config.pop("name")
    assert ours_config == keras_config
    # Keras's entry deserializes to the nnkern class, with nothing but nnkern's registry.
    assert type(layers.deserialize(keras)) is type(layer)


def test_custom_scale_layer_matches_keras():
    case, arrays = CASES["custom_scale_layer"]
    a, b = layers.Input(shape=(3, 4)), layers.Input(shape=(3, 4))
    layer = layers.CustomScaleLayer(**case["kwargs"])
    out = layer([a, b])
    assert [list(out.shape)] == case["output_shapes"]
    model = Model([a, b], out)
    np.testing.assert_allclose(model.predict([arrays["x0"], arrays["x1"]], verbose=0), arrays["y0"], rtol=1e-6)
    assert layer.count_params() == 0


def test_stochastic_depth_when_training_drops_whole_samples():
    layer = layers.StochasticDepth(0.5)
    x = np.random.default_rng(0).uniform(1, 2, size=(400, 3, 2)).astype(np.float32)
    y = layer(x, training=True)
    assert y.dtype == np.float32
    kept = np.all(y != 0, axis=(1, 2))
    np.testing.assert_allclose(y[kept], x[kept] * 2, rtol=1e-6)
    assert np.all(y[~kept] == 0)
    assert 140 < kept.sum() < 260
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layers.StochasticDepth(1.0)(x, training=True), np.zeros_like(x))


def test_layer_scale_checks_its_input():
    layer = layers.LayerScale(0.1, 4)
    with pytest.raises(ValueError, match=r"LayerScale 'layer_scale\w*'.*projection_dim=4.*\(None, 3\)"):
        layer(layers.Input(shape=(3,)))


@pytest.mark.parametrize("make,message", [
    (lambda: layers.LayerScale(0.1, 0), r"LayerScale: `projection_dim` must be a positive integer\. "
                                        r"Received: projection_dim=0"),
    (lambda: layers.LayerScale(0.1, 2.5), "projection_dim=2.5"),
    (lambda: layers.LayerScale("a", 2), r"LayerScale: `init_values` must be a finite number. Received: "
                                        r"init_values='a'"),
    (lambda: layers.StochasticDepth(1.5), r"StochasticDepth: `drop_path_rate` must be a finite number in "
                                          r"\[0, 1\]. Received: drop_path_rate=1.5"),
    (lambda: layers.CustomScaleLayer(None), "CustomScaleLayer: `scale` must be a finite number"),
    (lambda: layers.CustomScaleLayer(0.1)([layers.Input(shape=(2,))] * 3), "exactly 2 inputs"),
])
def test_bad_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_summary_rows_and_saved_file_round_trip(tmp_path):
    inp = layers.Input(shape=(4, 4, 3))
    x = layers.LayerScale(0.5, 3, name="scale")(inp)
    x = layers.StochasticDepth(0.2, name="drop")(x)
    out = layers.CustomScaleLayer(0.1, name="residual")([inp, x])
    model = Model(inp, out)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for row in ("scale (LayerScale)", "(StochasticDepth)", "(CustomScaleLayer)"):
        assert row in text
    assert "Total params: 3 " in text
    model.save(tmp_path / "m.keras")
    loaded = nnkern.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
