"""Keras 2 `.h5` model files with GRU / SimpleRNN layers (written by tf-keras: tests/golden/tfkeras_recurrent_gru.py)
load in nnkern and predict what tf-keras did: Sequential stacks, masks from Masking and Embedding(mask_zero=True),
Bidirectional, return_state feeding an RNN(GRUCell)'s initial state, an RNN over a list of cells."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases

CASES = load_cases("recurrent_gru_keras2")


@pytest.mark.parametrize("case,arrays", CASES, ids=[c["id"] for c, _ in CASES])
def test_keras2_file_predicts_as_tf_keras(case, arrays):
    model = nnkern.models.load_model(DATA_DIR / case["path"])
    assert model.count_params() == case["params"]
    feeds = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    ys = model.predict(feeds if len(feeds) > 1 else feeds[0], verbose=0)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    assert len(ys) == case["n_outputs"]
    for i, y in enumerate(ys):
        np.testing.assert_allclose(y, arrays[f"y{i}"], rtol=1e-4, atol=1e-5, err_msg=f"{case['id']} output {i}")


def test_reset_after_false_and_true_both_loaded():
    model = nnkern.models.load_model(DATA_DIR / "saving/keras2/gru_sequential.h5")
    grus = [layer for layer in model.layers if isinstance(layer, nnkern.layers.GRU)]
    assert [g.reset_after for g in grus] == [True, False]
    assert [g.weights[2].shape for g in grus] == [(2, 15), (9,)]
