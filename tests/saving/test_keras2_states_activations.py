"""Keras 2 `.h5` files (written by tf-keras: tests/golden/tfkeras_rnn_states_activations.py) compute as tf-keras
computed them: return_state over stacked cells (nested states), and hard_sigmoid, whose Keras 2 formula
(0.2x + 0.5) differs from Keras 3's (x / 6 + 0.5): ConvLSTM2D's Keras 2 default, LSTM / GRU, Dense, Activation.
Saved again as `.keras` the model keeps Keras 2's function under its own name."""
import json
import zipfile

import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from nnkern import activations
from nnkern.engine import tree
from nnkern.saving.legacy_h5 import modernize_keras2_config

CASES = load_cases("rnn_states_activations_keras2")


def check(model, case, arrays):
    feeds = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    ys = tree.flatten(model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0))
    assert len(ys) == case["n_outputs"]
    for i, y in enumerate(ys):
        np.testing.assert_allclose(y, arrays[f"y{i}"], rtol=1e-4, atol=1e-5, err_msg=f"{case['id']} output {i}")


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_keras2_file_predicts_as_tf_keras_and_again_from_keras_file(case, arrays, tmp_path):
    model = nnkern.models.load_model(DATA_DIR / case["path"])
    assert model.count_params() == case["params"]
    check(model, case, arrays)
    model.save(tmp_path / "again.keras")
    check(nnkern.models.load_model(tmp_path / "again.keras"), case, arrays)


def test_hard_sigmoid_means_keras2s_in_keras2_files_and_is_saved_under_its_own_name(tmp_path):
    model = nnkern.models.load_model(DATA_DIR / "saving/keras2/conv_lstm2d_default.h5")
    conv_lstm = model.layers[0]
    assert conv_lstm.recurrent_activation is activations.keras2_hard_sigmoid
    assert conv_lstm.get_config()["recurrent_activation"] == "keras2_hard_sigmoid"
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        text = zf.read("config.json").decode()
    assert '"keras2_hard_sigmoid"' in text and '"hard_sigmoid"' not in text


def test_keras2_hard_sigmoid_formula():
    x = np.array([-4.0, -2.5, -1.0, 0.0, 1.0, 2.5, 4.0], np.float32)
    np.testing.assert_allclose(activations.keras2_hard_sigmoid(x), np.clip(0.2 * x + 0.5, 0, 1), rtol=1e-6)
    assert activations.get("keras2_hard_sigmoid") is activations.keras2_hard_sigmoid
    assert not np.allclose(activations.get("hard_sigmoid")(x), activations.keras2_hard_sigmoid(x))


def test_only_keras2_configs_are_renamed():
    layer = {"class_name": "Bidirectional", "config": {"name": "b", "layer": {"class_name": "LSTM", "config": {
        "name": "l", "units": 2, "activation": "hard_sigmoid", "recurrent_activation": "hard_sigmoid"}}}}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [layer]}}
    renamed = modernize_keras2_config(config)["config"]["layers"][0]["config"]["layer"]["config"]
    assert renamed["activation"] == renamed["recurrent_activation"] == "keras2_hard_sigmoid"
    kept = modernize_keras2_config(config, keras2_activations=False)["config"]["layers"][0]["config"]["layer"]
    assert kept["config"]["activation"] == "hard_sigmoid"


def test_model_from_json_renames_for_keras2_json_only():
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "hard_sigmoid"}}
    layers = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "i"}}, dense]
    keras3 = {"class_name": "Sequential", "config": {"name": "s", "layers": layers}}
    keras2 = {**keras3, "keras_version": "2.21.0", "backend": "tensorflow"}
    assert nnkern.models.model_from_json(json.dumps(keras3)).layers[-1].activation is activations.hard_sigmoid
    assert nnkern.models.model_from_json(json.dumps(keras2)).layers[-1].activation is activations.keras2_hard_sigmoid
