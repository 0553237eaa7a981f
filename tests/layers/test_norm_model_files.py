"""The layers_norm golden models saved by Keras 3 (tests/golden/data/saving/models_norm/): nnkern loads
each file and predicts the stored inputs as Keras did, with Keras's parameter counts (BatchNormalization's
and Normalization's statistics are non-trainable params) and, for the model cases, summary text."""
import pathlib

import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR

from ._golden_layers import summary_at_golden_width
from ._norm_helpers import CASES

FILE_CASES = [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES if "keras_file" in case]
FILES_BUDGET = 200 * 1024


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("case,arrays", FILE_CASES)
def test_model_file_predicts_as_keras(case, arrays, monkeypatch):
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"]["path"])
    if case["kind"] == "single":
        xs = [arrays["x"]]
    else:
        xs = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = y if isinstance(y, list) else [y]
    assert len(ys) == case["n_outputs"]
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=1e-4, atol=1e-5)
    assert model.count_params() == case["params"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    if case["kind"] == "model":
        assert sum(w.size for w in model.non_trainable_weights) == case["non_trainable_params"]
        assert summary_at_golden_width(model, monkeypatch) == case["summary"]


def test_every_model_file_has_a_case_and_the_files_stay_small():
    referenced = {case.values[0]["keras_file"]["path"] for case in FILE_CASES}
    folders = {str(pathlib.PurePosixPath(p).parent) for p in referenced}
    assert len(folders) == 1
    folder = folders.pop()
    on_disk = {f"{folder}/{p.name}" for p in (DATA_DIR / folder).glob("*")}
    assert on_disk == referenced
    assert sum((DATA_DIR / p).stat().st_size for p in referenced) <= FILES_BUDGET
