"""The attention goldens (tests/golden/gen_attention.py): every model file Keras saved loads in nnkern and
predicts the stored inputs as Keras did (masks, causal, fully masked rows, scores), with Keras's output
shapes, parameter counts and summary; each attention layer rebuilt from its Keras arguments in nnkern
has Keras's weight paths, shapes and config; the models re-saved by nnkern load back the same."""
import pathlib

import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from _transformer_layers import transformer_classes

from ._golden_layers import jsonable, summary_at_golden_width

CASES = load_cases("attention")
PARAMS = [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES]
LAYER_PARAMS = [p for p in PARAMS if "class_name" in p.values[0]]
FILES_BUDGET = 300 * 1024


def custom_objects(case):
    if not case.get("custom"):
        return None
    token_and_position, block = transformer_classes(nnkern)
    return {"TokenAndPositionEmbedding": token_and_position, "TransformerBlock": block}


def feeds(case, arrays):
    xs = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    return xs if len(xs) > 1 else xs[0]


def check_outputs(model, case, arrays):
    y = model.predict(feeds(case, arrays), verbose=0)
    ys = y if isinstance(y, list) else [y]
    assert len(ys) == case["n_outputs"]
    for i, got in enumerate(ys):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=1e-4, atol=2e-5, err_msg=f"output {i}")


def the_layer(model, case):
    return model.get_layer(case["config"]["name"])


@pytest.mark.parametrize("case,arrays", PARAMS)
def test_model_file_predicts_as_keras(case, arrays, monkeypatch):
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"], custom_objects=custom_objects(case))
    check_outputs(model, case, arrays)
    assert model.count_params() == case["params"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    for got, want in zip(model.get_weights(), [arrays[f"w{i}"] for i in range(case["n_weights"])]):
        np.testing.assert_array_equal(got, want)
    assert summary_at_golden_width(model, monkeypatch) == case["summary"]


@pytest.mark.parametrize("case,arrays", LAYER_PARAMS)
def test_layer_weights_and_config_match_keras(case, arrays):
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"])
    layer = the_layer(model, case)
    assert type(layer).__name__ == case["class_name"]
    assert [w.path for w in layer.weights] == case["weight_paths"]
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    assert layer.count_params() == case["layer_params"]
    ours, keras = jsonable(layer.get_config()), case["config"]
    assert ours == keras
    # The same layer made from its Keras arguments has the same config (MultiHeadAttention's
    # attention_axes become the resolved axes only when it is built).
    if "kwargs" in case:
        fresh = getattr(nnkern.layers, case["class_name"])(**case["kwargs"])
        unbuilt = {"name", "attention_axes"}
        assert {k: v for k, v in jsonable(fresh.get_config()).items() if k not in unbuilt} == \
            {k: v for k, v in keras.items() if k not in unbuilt}


@pytest.mark.parametrize("case,arrays", PARAMS)
def test_nnkern_resave_loads_back(case, arrays, tmp_path):
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"], custom_objects=custom_objects(case))
    path = tmp_path / "resaved.keras"
    model.save(path)
    check_outputs(nnkern.models.load_model(path, custom_objects=custom_objects(case)), case, arrays)


def test_every_model_file_has_a_case_and_the_files_stay_small():
    referenced = {case["keras_file"] for case, _ in CASES}
    folder = pathlib.PurePosixPath(next(iter(referenced))).parent
    on_disk = {f"{folder}/{p.name}" for p in (DATA_DIR / folder).glob("*")}
    assert on_disk == referenced
    assert sum((DATA_DIR / p).stat().st_size for p in referenced) <= FILES_BUDGET
