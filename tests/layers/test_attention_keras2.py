"""Genuine Keras 2 `.h5` files (tf-keras 2.21, tests/golden/keras2_attention.py) with MultiHeadAttention,
Attention, AdditiveAttention and EinsumDense load in nnkern and predict as tf.keras did."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases

CASES = [pytest.param(case, arrays, id=case["id"]) for case, arrays in load_cases("keras2_attention")]


@pytest.mark.parametrize("case,arrays", CASES)
def test_keras2_h5_predicts_as_tf_keras(case, arrays):
    model = nnkern.models.load_model(DATA_DIR / case["h5_file"])
    xs = [arrays[f"x{i}"] for i in range(case["n_inputs"])]
    y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = y if isinstance(y, list) else [y]
    assert len(ys) == case["n_outputs"]
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=1e-4, atol=2e-5, err_msg=f"output {i}")
    assert model.count_params() == case["params"]
