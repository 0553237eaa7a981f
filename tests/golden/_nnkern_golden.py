"""Checks shared by the layer and model golden tests: build a _layer_zoo case with nnkern and compare it
with what Keras 3 gave (tests/golden/data/layers.* and models.*)."""
import json

import numpy as np

import nnkern
import nnkern.backend  # noqa: F401  (clear_session, used by the zoo builders)
import nnkern.ops  # noqa: F401  (the zoo's Lambdas use k.ops)
from _golden_io import load_cases
from _layer_zoo import LAYER_CASES, build_layer_case, build_zoo_model, det_inputs, det_weights

RTOL, ATOL = 1e-4, 1e-5

_LAYER_GOLDENS = {case["id"]: (case, arrays) for case, arrays in load_cases("layers")}
_ZOO = {case[0]: case for case in LAYER_CASES}


def layer_cases(*class_names):
    """pytest params (zoo case, golden params, golden arrays) for the cases of these layer classes."""
    import pytest
    out = []
    for case_id, zoo_case in _ZOO.items():
        if zoo_case[1] in class_names:
            golden, arrays = _LAYER_GOLDENS[case_id]
            out.append(pytest.param(zoo_case, golden, arrays, id=case_id))
    return out


def check_layer_case(zoo_case, golden, arrays):
    model, layer = build_layer_case(nnkern, zoo_case)
    assert [list(w.shape) for w in layer.get_weights()] == golden["weight_shapes"]
    assert [w.path for w in layer.weights] == golden["weight_paths"]
    assert layer.count_params() == golden["count_params"]
    assert [list(t.shape) for t in model.outputs] == golden["output_shapes"]
    model.set_weights(det_weights(model))
    xs = det_inputs(zoo_case[3], 3)
    y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    ys = y if isinstance(y, list) else [y]
    for i, (got, dtype) in enumerate(zip(ys, golden["output_dtypes"])):
        assert got.dtype == np.dtype(dtype), f"output {i}: dtype {got.dtype}, Keras gives {dtype}"
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=RTOL, atol=ATOL)
    if "mask" in arrays:
        mask = layer.compute_mask(xs[0] if len(xs) == 1 else xs, None)
        np.testing.assert_array_equal(np.asarray(mask), arrays["mask"])
    assert jsonable(layer.get_config()) == golden["config"]
    assert jsonable(nnkern.layers.serialize(layer).get("build_config")) == golden["build_config"]
    # Keras's config of the layer rebuilds the same layer (as loading a saved model does).
    keras_config = {"module": "keras.layers", "class_name": zoo_case[1], "config": golden["config"],
                    "build_config": golden["build_config"]}
    clone = nnkern.layers.deserialize(keras_config)
    assert jsonable(clone.get_config()) == golden["config"]
    if layer.weights:
        clone.set_weights(layer.get_weights())
        ys2 = clone(xs if len(xs) > 1 else xs[0])
        for got, want in zip(ys2 if isinstance(ys2, list) else [ys2], ys):
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    return model, layer


def jsonable(obj):
    """obj as it reads back from JSON (tuples -> lists), for comparing configs with the goldens."""
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


_MODEL_GOLDENS = {case["id"]: (case, arrays) for case, arrays in load_cases("models")}


def model_golden(model_id):
    return _MODEL_GOLDENS[model_id]


def build_model(model_id):
    """The zoo model built with nnkern, with the deterministic weights the goldens used."""
    from _layer_zoo import MODELS
    return build_zoo_model(nnkern, MODELS[model_id][0])


def summary_text(model, line_length=None):
    lines = []
    model.summary(line_length=line_length, print_fn=lines.append)
    return "".join(lines)
