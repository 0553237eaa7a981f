"""The keras-io model corpus (tests/golden/gen_kerasio.py): keras-io example architectures saved by Keras 3
with seeded weights. nnkern loads each `.keras` file (safe_mode) and predicts Keras's outputs on the stored
input, with Keras's parameter count and layers. Models needing a layer nnkern lacks are expected failures
(strict: they fail the run once the layer lands, so the mark gets removed)."""
import numpy as np
import pytest

import nnkern
from _golden_io import DATA_DIR, load_cases

RTOL, ATOL = 1e-5, 1e-5
CASES = load_cases("kerasio")


def _params():
    out = []
    for case, arrays in CASES:
        marks = [pytest.mark.xfail(strict=True, raises=nnkern.saving.UnsupportedLayersError,
                                   reason=f"needs {case['needs']}")] if case["needs"] else []
        out.append(pytest.param(case, arrays, id=case["id"], marks=marks))
    return out


@pytest.mark.parametrize("case,arrays", _params())
def test_kerasio_model_predicts_as_keras(case, arrays):
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"]["path"])
    assert model.count_params() == case["count_params"]
    assert [type(layer).__name__ for layer in model.layers] == case["layer_classes"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    xs = [arrays[f"x{i}"] for i in range(len(case["input_specs"]))]
    y = model.predict(xs[0] if len(xs) == 1 else xs, verbose=0)
    ys = y if isinstance(y, list) else [y]
    assert len(ys) == len(case["output_shapes"])
    for i, got in enumerate(ys):
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=RTOL, atol=ATOL, err_msg=f"{case['id']} output {i}")


def test_the_ddpg_actor_scales_with_an_op_node_not_a_merge_layer():
    case = next(c for c, _ in CASES if c["id"] == "ddpg_actor")
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"]["path"])
    assert case["operations"][-1] == "Multiply" and "Multiply" not in case["layer_classes"]
    assert type(model.operations[-1]).__name__ == "Multiply"
    assert not isinstance(model.operations[-1], nnkern.layers.Multiply)


def test_corpus_files_stay_small():
    sizes = {case["id"]: (DATA_DIR / case["keras_file"]["path"]).stat().st_size for case, _ in CASES}
    assert max(sizes.values()) < 150 * 1024 and sum(sizes.values()) < 1024 * 1024, sizes
