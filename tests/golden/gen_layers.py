"""Layer and model goldens from Keras 3 (`layers` and `models` families).

layers: one case per layer and flag of tests/golden/_layer_zoo.LAYER_CASES — Keras's output (3 samples),
output shape and dtype, weight shapes in get_weights() order, count_params and get_config().
models: every _layer_zoo.MODELS model — outputs for 33 samples (checked by Keras itself to equal the
1- and 3-sample predictions and an uneven batch size), summary() text, count_params, layer names in
model.layers order, weight shapes and paths, get_config() for a few; plus compile + evaluate results.
Each model is also saved by Keras as data/saving/models/<id>.keras (record: `keras_file`), inputs being
det_inputs and outputs the stored y (tests/saving/test_golden_model_files.py).
"""
import json
import os

import numpy as np

os.environ["COLUMNS"] = "200"  # rich and shutil read it: summaries then use Keras's default widths
import keras  # noqa: E402

from _golden_io import GoldenWriter  # noqa: E402
from _keras_helpers import check_keras_loads_model_files, save_model_file  # noqa: E402
from _layer_zoo import (EVALUATE_CASES, LAYER_CASES, MODELS, PREDICT_SIZES, build_layer_case, det_inputs,  # noqa
                        build_zoo_model, det_weights, eval_targets, model_predict_input)

SUMMARY_LINE_LENGTHS = (None, 70)
SUMMARY_OPTION_MODELS = ("nested", "sequential", "multi_output")
CONFIG_MODELS = ("multi_input", "sequential", "nested", "multi_output", "masking_time_distributed",
                 "embedding_mask_chain", "multi_output_lambda")
# Models not saved as Keras files, and why (the record keeps the reason; the file test lists it as skipped).
NO_MODEL_FILE = {"siamese": "Keras 3.15 cannot load its own file: the Lambda's closure holds the `keras` module, "
                            "saved as a builtins.module object that load_model fails to restore (NameError 'k')"}
# Saved, but Keras 3.15 fails to load its own file (so the generator cannot check that Keras reloads it).
KERAS_CANNOT_LOAD = {"multi_output_lambda": "Keras 3.15 load_model: 'arg 4 (defaults) must be None or tuple' (the "
                                            "Lambda's default argument i=0 comes back from JSON as a list)"}


def _jsonable(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _summary(model, line_length, **kwargs):
    lines = []
    model.summary(line_length=line_length, print_fn=lines.append, **kwargs)
    return "".join(lines)


def _flat(y):
    return y if isinstance(y, (list, tuple)) else [y]


def _layer_cases(data_dir):
    w = GoldenWriter("layers")
    for case in LAYER_CASES:
        case_id = case[0]
        model, layer = build_layer_case(keras, case)
        model.set_weights(det_weights(model))
        xs = det_inputs(case[3], 3)
        y = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        arrays = {f"y{i}": np.asarray(v) for i, v in enumerate(_flat(y))}
        mask = model.outputs[0]._keras_mask if hasattr(model.outputs[0], "_keras_mask") else None
        if mask is not None:
            arrays["mask"] = np.asarray(layer.compute_mask(xs[0] if len(xs) == 1 else xs, None))
        w.add(case_id, {"layer": case[1], "output_shapes": [list(t.shape) for t in model.outputs],
                        "output_dtypes": [str(np.asarray(v).dtype) for v in _flat(y)],
                        "weight_shapes": [list(v.shape) for v in layer.get_weights()],
                        "weight_paths": [v.path for v in layer.weights],
                        "count_params": layer.count_params(), "config": _jsonable(layer.get_config()),
                        "build_config": _jsonable(keras.saving.serialize_keras_object(layer).get("build_config"))},
              **arrays)
    return w.save(data_dir)


def _model_cases(data_dir):
    w = GoldenWriter("models")
    saved = []
    for model_id, (builder, specs) in MODELS.items():
        model = build_zoo_model(keras, builder)
        flat = det_inputs(specs, max(PREDICT_SIZES))
        y = _flat(model.predict(model_predict_input(model_id, flat), batch_size=5, verbose=0))
        for n in PREDICT_SIZES:  # Keras itself: outputs do not depend on the number of samples / batching
            part = _flat(model.predict(model_predict_input(model_id, [a[:n] for a in flat]), verbose=0))
            for a, b in zip(part, y):
                np.testing.assert_allclose(a, b[:n], rtol=1e-5, atol=1e-6)
        params = {"summaries": {str(ll): _summary(model, ll) for ll in SUMMARY_LINE_LENGTHS},
                  "count_params": model.count_params(),
                  "layer_names": [layer.name for layer in model.layers],
                  "layer_classes": [type(layer).__name__ for layer in model.layers],
                  "weight_shapes": [list(v.shape) for v in model.get_weights()],
                  "weight_paths": [v.path for v in model.weights],
                  "output_shapes": [list(t.shape) for t in model.outputs],
                  "output_dtypes": [str(np.asarray(v).dtype) for v in y],
                  "input_names": [t.name for t in model.inputs]}
        # The same model as a Keras file (tests load it with nnkern, feed det_inputs, expect these y).
        if model_id in NO_MODEL_FILE:
            params["keras_file_skipped"] = NO_MODEL_FILE[model_id]
        else:
            params["keras_file"] = save_model_file(model, data_dir, model_id,
                                                   safe_mode="Lambda" not in params["layer_classes"])
            if model_id in KERAS_CANNOT_LOAD:
                params["keras_file"]["keras_cannot_load"] = KERAS_CANNOT_LOAD[model_id]
            else:
                saved.append((params["keras_file"], model_predict_input(model_id, flat), y))
        if model_id in SUMMARY_OPTION_MODELS:
            model.layers[-1].trainable = False  # so show_trainable has both answers to show
            params["summaries_options"] = {"expand_nested": _summary(model, None, expand_nested=True),
                                           "show_trainable": _summary(model, None, show_trainable=True)}
            model.layers[-1].trainable = True
        if model_id in CONFIG_MODELS:
            params["config"] = _jsonable(model.get_config())
        # Wide outputs (the notebook's 64x64 models): keep the first samples only, within the size budget.
        keep = max(PREDICT_SIZES) if sum(np.asarray(v)[0].size for v in y) <= 600 else 3
        params["stored_samples"] = keep
        w.add(model_id, params, **{f"y{i}": np.asarray(v)[:keep] for i, v in enumerate(y)})
    n = 13
    for case_id, model_id, compile_kwargs, target in EVALUATE_CASES:
        builder, specs = MODELS[model_id]
        model = build_zoo_model(keras, builder)
        model.compile(optimizer="sgd", **compile_kwargs)
        x = model_predict_input(model_id, det_inputs(specs, n))
        result = model.evaluate(x, eval_targets(target, n), batch_size=4, verbose=0)
        logs = model.evaluate(x, eval_targets(target, n), batch_size=4, verbose=0, return_dict=True)
        w.add(case_id, {"model": model_id, "compile": compile_kwargs, "target": target, "n": n,
                        "result": _jsonable(result), "logs": _jsonable(logs)})
    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)


def generate(data_dir):
    return _layer_cases(data_dir) + _model_cases(data_dir)
