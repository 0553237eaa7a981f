"""Functional models calling keras.ops, operators and slicing on symbolic tensors (tests/golden/
_symbolic_models.py), against Keras 3 (tests/golden/gen_symbolic_ops.py): Keras's `.keras` file loads in
nnkern and predicts the same; the same model built with nnkern has Keras's config, JSON, summary and
outputs; nnkern's op table agrees with Keras's op classes."""
import inspect
import json

import numpy as np
import pytest

import nnkern
import nnkern.backend
from _golden_io import DATA_DIR, load_cases
from _layer_zoo import det_inputs, det_weights
from _symbolic_models import MODELS
from nnkern.engine.symbolic_ops import OPERATIONS

RTOL, ATOL = 1e-5, 1e-5
_CASES = {case["id"]: (case, arrays) for case, arrays in load_cases("symbolic_ops")}
KERAS_OP_CLASSES = _CASES["keras_op_classes"][0]["classes"]
MODEL_IDS = list(MODELS)


def _inputs(model_id, n=5):
    xs = det_inputs(MODELS[model_id][1], n)
    return xs[0] if len(xs) == 1 else xs


def _check_outputs(model, model_id):
    case, arrays = _CASES[model_id]
    ys = model.predict(_inputs(model_id), verbose=0)
    ys = ys if isinstance(ys, list) else [ys]
    assert len(ys) == len(case["output_dtypes"])
    for i, (got, dtype) in enumerate(zip(ys, case["output_dtypes"])):
        assert got.dtype == np.dtype(dtype), f"{model_id} output {i}: {got.dtype}, Keras gives {dtype}"
        np.testing.assert_allclose(got, arrays[f"y{i}"], rtol=RTOL, atol=ATOL, err_msg=f"{model_id} output {i}")


def _build(model_id):
    nnkern.backend.clear_session()
    model = MODELS[model_id][0](nnkern)
    model.set_weights(det_weights(model))
    return model


def _summary(model, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_keras_file_loads_and_predicts_as_keras(model_id, monkeypatch):
    case, _ = _CASES[model_id]
    model = nnkern.models.load_model(DATA_DIR / case["keras_file"]["path"])  # safe_mode: ops are allowlisted
    _check_outputs(model, model_id)
    assert [[op.name, type(op).__name__] for op in model.operations] == [op[:2] for op in case["operations"]]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    assert _summary(model, monkeypatch) == case["summary"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_built_with_nnkern_matches_keras(model_id, monkeypatch):
    case, _ = _CASES[model_id]
    model = _build(model_id)
    _check_outputs(model, model_id)
    assert model.count_params() == case["count_params"]
    assert [list(t.shape) for t in model.outputs] == case["output_shapes"]
    assert [str(t.dtype) for t in model.outputs] == case["output_dtypes"]
    ops_only = [op for op in case["operations"] if op[2].startswith("keras.src.ops.")]
    assert [[op.name, type(op).__name__, op._keras_module] for op in model.operations
            if getattr(op, "_is_operation", False)] == ops_only
    assert json.loads(json.dumps(model.get_config(), default=list)) == case["to_json"]["config"]
    assert json.loads(model.to_json()) == case["to_json"]
    assert _summary(model, monkeypatch) == case["summary"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_round_trips_through_a_keras_file(model_id, tmp_path):
    model = _build(model_id)
    model.save(tmp_path / "m.keras")
    again = nnkern.models.load_model(tmp_path / "m.keras")
    assert again.to_json() == model.to_json()
    _check_outputs(again, model_id)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_model_from_keras_config(model_id):
    case, _ = _CASES[model_id]
    model = nnkern.Model.from_config(case["to_json"]["config"])
    model.set_weights(det_weights(model))
    _check_outputs(model, model_id)


@pytest.mark.parametrize("class_name", sorted(OPERATIONS))
def test_op_table_agrees_with_keras(class_name):
    cls = OPERATIONS[class_name]
    keras_cls = KERAS_OP_CLASSES.get(class_name)
    assert keras_cls is not None, f"Keras has no op class {class_name}"
    assert cls._keras_module == keras_cls["module"]
    assert list(cls.config_arguments) == keras_cls["config_arguments"]
    # The function's other arguments are the node's call arguments, in Keras's order and names.
    call = [("*" if p.kind is p.VAR_POSITIONAL else "") + name for name, p in cls.signature().parameters.items()
            if name not in cls.config_arguments + cls.not_in_keras and p.kind is not p.VAR_KEYWORD]
    keras_call = [a for a in keras_cls["call_arguments"] if a != "kwargs"]
    assert call == keras_call
