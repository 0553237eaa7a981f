"""Every golden model case saved as a `.keras` file by Keras 3 (tests/golden/gen_layers.py's models and
gen_layers_conv_rnn.py's model-like cases, files under tests/golden/data/saving/models/): nnkern loads the
file, predicts the case's stored inputs as Keras did, and has the structure Keras recorded."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases
from _keras_helpers import MODEL_FILES_DIR
from _layer_zoo import MODELS, PREDICT_SIZES, det_inputs, model_predict_input

RTOL, ATOL = 1e-4, 1e-5
MODEL_FILES_BUDGET = 600 * 1024

ZOO_CASES = [(case, arrays) for case, arrays in load_cases("models") if "keras_file" in case]
# Golden models the generator could not save as a usable Keras file (the reason is in the record).
NOT_SAVED = [pytest.param(case["id"], marks=pytest.mark.skip(reason=case["keras_file_skipped"]), id=case["id"])
             for case, _ in load_cases("models") if "keras_file_skipped" in case]
CONV_RNN_CASES = [(case, arrays) for case, arrays in load_cases("layers_conv_rnn") if "keras_file" in case]


def _load(case):
    record = case["keras_file"]
    return nnkern.models.load_model(DATA_DIR / record["path"], safe_mode=record["safe_mode"])


def _check_outputs(model, x, case, arrays, n_outputs):
    y = model.predict(x, verbose=0)
    ys = y if isinstance(y, (list, tuple)) else [y]
    assert len(ys) == n_outputs
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=RTOL, atol=ATOL, err_msg=f"{case['id']} output {i}")


@pytest.mark.parametrize("case,arrays", ZOO_CASES, ids=[c["id"] for c, _ in ZOO_CASES])
def test_zoo_model_file_predicts_as_keras(case, arrays):
    model = _load(case)
    # The generator predicted det_inputs(specs, 33) and stored the first `stored_samples` outputs.
    flat = [a[:case["stored_samples"]] for a in det_inputs(MODELS[case["id"]][1], max(PREDICT_SIZES))]
    _check_outputs(model, model_predict_input(case["id"], flat), case, arrays, len(case["output_dtypes"]))


@pytest.mark.parametrize("case,arrays", ZOO_CASES, ids=[c["id"] for c, _ in ZOO_CASES])
def test_zoo_model_file_structure_matches_keras(case, arrays, monkeypatch):
    model = _load(case)
    assert model.count_params() == case["count_params"]
    assert [layer.name for layer in model.layers] == case["layer_names"]
    assert [type(layer).__name__ for layer in model.layers] == case["layer_classes"]
    assert [list(w.shape) for w in model.get_weights()] == case["weight_shapes"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    # (Not weight paths nor input tensor names: those of a model built in code, which Keras's own reload
    # of the file does not keep either, e.g. 'stack/hidden/kernel' becomes 'hidden/kernel'.)
    monkeypatch.setenv("COLUMNS", "200")  # as when the goldens were made: Keras's default widths apply
    lines = []
    model.summary(print_fn=lines.append)
    assert "".join(lines) == case["summaries"]["None"]


@pytest.mark.parametrize("case,arrays", CONV_RNN_CASES, ids=[c["id"] for c, _ in CONV_RNN_CASES])
def test_conv_rnn_model_file_predicts_as_keras(case, arrays):
    model = _load(case)
    if case["kind"] == "single":
        x = arrays["x"]
    else:
        xs = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
        x = xs if len(xs) > 1 else xs[0]
    _check_outputs(model, x, case, arrays, case["n_outputs"])
    assert model.count_params() == case["params"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    if case["kind"] == "single":  # Input -> the layer: Keras's name and weight paths for it
        layer = model.layers[-1]
        assert layer.name == case["config"]["name"]
        assert [w.path for w in layer.weights] == case["weight_paths"]
        for got, want in zip(layer.get_weights(), [arrays[f"w{i}"] for i in range(case["n_weights"])]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case_id", NOT_SAVED)
def test_golden_model_without_file(case_id):
    raise AssertionError("skipped by its mark")  # listed so the skip and its reason show in the test report


def test_every_model_file_has_a_golden_case_and_the_files_stay_small():
    referenced = {case["keras_file"]["path"] for case, _ in ZOO_CASES + CONV_RNN_CASES}
    on_disk = {f"{MODEL_FILES_DIR}/{p.name}" for p in (DATA_DIR / MODEL_FILES_DIR).glob("*")}
    assert on_disk == referenced  # no stale file from a renamed case, none missing
    assert len(referenced) == len(ZOO_CASES) + len(CONV_RNN_CASES)
    assert sum((DATA_DIR / p).stat().st_size for p in referenced) <= MODEL_FILES_BUDGET
