"""Goldens for keras.ops / operators / slicing on symbolic tensors (op nodes of functional models).

- every model of _symbolic_models.MODELS built with Keras 3 (det weights), its outputs on det inputs,
  get_config() (JSON form), summary text, and the model saved as `.keras` under data/symbolic_ops/;
- Keras's op classes: for every Operation subclass of keras.src.ops.{numpy, nn, core, math, linalg}, its
  module, constructor arguments and call arguments, which nnkern's op table must agree with.
"""
import inspect
import json
import os
import pathlib

import keras
import numpy as np

from _golden_io import GoldenWriter
from _keras_helpers import check_keras_loads_model_files, import_nnkern, save_if_changed, summary_text
from _layer_zoo import build_zoo_model, det_inputs
from _symbolic_models import MODELS

FILES_DIR = "symbolic_ops"  # under data/
N_SAMPLES = 5


def _op_classes():
    """{class name: {module, config_arguments, call_arguments}} of Keras's op classes."""
    from keras.src.ops import core, linalg, math, nn
    from keras.src.ops import numpy as knp
    from keras.src.ops.operation import Operation

    out = {}
    for module in (knp, nn, core, math, linalg):
        for name, cls in vars(module).items():
            if isinstance(cls, type) and issubclass(cls, Operation) and cls.__module__ == module.__name__:
                init = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "name")]
                call = [p.name if p.kind is not p.VAR_POSITIONAL else "*" + p.name
                        for p in inspect.signature(cls.call).parameters.values() if p.name != "self"]
                out[name] = {"module": cls.__module__, "config_arguments": init, "call_arguments": call}
    return out


def generate(data_dir):
    w = GoldenWriter("symbolic_ops")
    saved = []
    for model_id, (builder, specs) in MODELS.items():
        model = build_zoo_model(keras, builder)
        xs = det_inputs(specs, N_SAMPLES)
        x = xs[0] if len(xs) == 1 else xs
        y = model.predict(x, verbose=0)
        ys = [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]
        rel = f"{FILES_DIR}/{model_id}.keras"
        save_if_changed(model, pathlib.Path(data_dir) / rel, deflate=True)
        record = {"path": rel, "safe_mode": True}
        saved.append((record, x, ys))
        # to_json: the model as config.json holds it ("config" is get_config() in JSON form).
        w.add(model_id, {"keras_file": record, "to_json": json.loads(model.to_json()), "summary": summary_text(model),
                         "count_params": model.count_params(),
                         "operations": [[op.name, type(op).__name__, type(op).__module__] for op in model.operations],
                         "output_shapes": [list(t.shape) for t in model.outputs],
                         "output_dtypes": [str(t.dtype) for t in model.outputs]},
              **{f"y{i}": v for i, v in enumerate(ys)})
    w.add("keras_op_classes", {"classes": _op_classes()})
    check_keras_loads_model_files(data_dir, saved)
    _check_nnkern_models_load_in_keras(saved)
    return w.save(data_dir)


def _check_nnkern_models_load_in_keras(saved):
    """nnkern builds each model itself (the same builder), saves it; Keras loads that file and predicts what
    it predicted for its own model (given the same weights)."""
    import tempfile

    nnkern = import_nnkern()
    if nnkern is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for (model_id, (builder, _)), (record, x, ys) in zip(MODELS.items(), saved):
            model = build_zoo_model(nnkern, builder)
            path = os.path.join(tmp, f"{model_id}.keras")
            model.save(path)
            got = keras.saving.load_model(path).predict(x, verbose=0)
            for a, b in zip(got if isinstance(got, (list, tuple)) else [got], ys):
                np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6, err_msg=model_id)
            print(f"  {model_id}: Keras loads nnkern's .keras file and predicts the same")
