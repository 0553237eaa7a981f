"""The golden models (tests/golden/_layer_zoo.MODELS, Keras 3): structure, summary text, predictions at
1, 3 and 33 samples with even and uneven batch sizes, get_config(), compile + evaluate."""
import numpy as np
import pytest

from _layer_zoo import EVALUATE_CASES, MODELS, PREDICT_SIZES, det_inputs, eval_targets, model_predict_input
from _nnkern_golden import ATOL, RTOL, build_model, jsonable, model_golden, summary_text

MODEL_IDS = list(MODELS)


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_structure_matches_keras(model_id):
    golden, _ = model_golden(model_id)
    model = build_model(model_id)
    assert model.count_params() == golden["count_params"]
    assert [layer.name for layer in model.layers] == golden["layer_names"]
    assert [type(layer).__name__ for layer in model.layers] == golden["layer_classes"]
    assert [list(w.shape) for w in model.get_weights()] == golden["weight_shapes"]
    assert [w.path for w in model.weights] == golden["weight_paths"]
    assert [list(t.shape) for t in model.outputs] == golden["output_shapes"]
    assert [t.name for t in model.inputs] == golden["input_names"]
    for index, name in enumerate(golden["layer_names"]):
        assert model.get_layer(name).name == name
        assert model.get_layer(index=index).name == name


@pytest.mark.parametrize("line_length", ["None", "70"])
@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_summary_text_matches_keras(model_id, line_length, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # as when the goldens were made: Keras's default widths apply
    golden, _ = model_golden(model_id)
    model = build_model(model_id)
    text = summary_text(model, None if line_length == "None" else int(line_length))
    assert text == golden["summaries"][line_length]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_predict_matches_keras(model_id):
    golden, arrays = model_golden(model_id)
    model = build_model(model_id)
    flat = det_inputs(MODELS[model_id][1], max(PREDICT_SIZES))
    for n in PREDICT_SIZES:
        for batch_size in (None, 5, 2):
            y = model.predict(model_predict_input(model_id, [a[:n] for a in flat]), batch_size=batch_size,
                              verbose=0)
            ys = y if isinstance(y, list) else [y]
            assert len(ys) == len(golden["output_dtypes"])
            keep = min(n, golden["stored_samples"])
            for i, got in enumerate(ys):
                assert got.shape[0] == n
                assert got.dtype == np.dtype(golden["output_dtypes"][i])
                np.testing.assert_allclose(got[:keep], arrays[f"y{i}"][:keep], rtol=RTOL, atol=ATOL)


def _without_bytecode(config):
    """The config with each Lambda's marshalled bytecode left out: it holds the source file's path."""
    if isinstance(config, dict):
        if config.get("class_name") == "__lambda__":
            return {**config, "config": {k: v for k, v in config["config"].items() if k != "code"}}
        return {k: _without_bytecode(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_without_bytecode(v) for v in config]
    return config


@pytest.mark.parametrize("model_id", [m for m in MODEL_IDS if "config" in model_golden(m)[0]])
def test_get_config_matches_keras(model_id):
    golden, _ = model_golden(model_id)
    got = jsonable(build_model(model_id).get_config())
    assert _without_bytecode(got) == _without_bytecode(golden["config"])


@pytest.mark.parametrize("case_id,model_id,compile_kwargs,target", EVALUATE_CASES,
                         ids=[c[0] for c in EVALUATE_CASES])
def test_evaluate_matches_keras(case_id, model_id, compile_kwargs, target):
    golden, _ = model_golden(case_id)
    model = build_model(model_id)
    model.compile(optimizer="sgd", **compile_kwargs)
    n = golden["n"]
    x = model_predict_input(model_id, det_inputs(MODELS[model_id][1], n))
    result = model.evaluate(x, eval_targets(target, n), batch_size=4, verbose=0)
    np.testing.assert_allclose(result, golden["result"], rtol=RTOL)
    logs = model.evaluate(x, eval_targets(target, n), batch_size=4, verbose=0, return_dict=True)
    assert set(logs) == set(golden["logs"])
    for key, value in golden["logs"].items():
        np.testing.assert_allclose(logs[key], value, rtol=RTOL)


@pytest.mark.parametrize("model_id", [m for m in MODEL_IDS if "config" in model_golden(m)[0]
                                      and "Lambda" not in model_golden(m)[0]["layer_classes"]])
def test_model_from_keras_config_predicts_the_same(model_id):
    import nnkern
    from _layer_zoo import det_weights
    golden, arrays = model_golden(model_id)
    cls = nnkern.Sequential if "build_input_shape" in golden["config"] else nnkern.Model
    model = cls.from_config(golden["config"])
    assert jsonable(model.get_config()) == golden["config"]
    assert [layer.name for layer in model.layers] == golden["layer_names"]
    model.set_weights(det_weights(model))
    x = model_predict_input(model_id, det_inputs(MODELS[model_id][1], 3))
    y = model.predict(x, verbose=0)
    for i, got in enumerate(y if isinstance(y, list) else [y]):
        np.testing.assert_allclose(got, arrays[f"y{i}"][:3], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("option", ["expand_nested", "show_trainable"])
@pytest.mark.parametrize("model_id", [m for m in MODEL_IDS if "summaries_options" in model_golden(m)[0]])
def test_summary_options_match_keras(model_id, option, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    golden, _ = model_golden(model_id)
    model = build_model(model_id)
    model.layers[-1].trainable = False
    lines = []
    model.summary(print_fn=lines.append, **{option: True})
    assert "".join(lines) == golden["summaries_options"][option]
