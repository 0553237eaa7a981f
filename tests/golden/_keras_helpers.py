"""Helpers for the gen_*.py generators (need Keras): seeded arrays, one-layer models, saving model files."""
import os
import pathlib
import sys
import tempfile
import types

import numpy as np

from _golden_io import GZIPPED, seeded, store_gzipped  # noqa: F401  (the generators take `seeded` from here)


def run_layer(layer, x, weights=None):
    """Build `layer` on x's per-sample shape, set `weights` (Keras order), return (weights, output)."""
    import keras

    inp = keras.Input(shape=x.shape[1:], batch_size=None)
    model = keras.Model(inp, layer(inp))
    if weights is not None:
        layer.set_weights(weights)
    y = model.predict(x, verbose=0) if len(x) else np.asarray(model(x))
    return [np.asarray(w) for w in layer.get_weights()], np.asarray(y)


def _model_file_content(path):
    """What a saved file holds apart from its save date (metadata.json), to compare regenerations; for a `.keras`
    archive also how each member is stored (a stored file is rewritten deflated)."""
    import re
    import zipfile

    path = pathlib.Path(path)
    if path.suffix != ".keras":
        return path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        content = {i.filename: (i.compress_type, zf.read(i)) for i in zf.infolist() if i.filename != "metadata.json"}
    # shared_object_id values are Python id()s of the saving process: not content.
    compress_type, config = content["config.json"]
    content["config.json"] = compress_type, re.sub(rb'"shared_object_id": \d+', b"", config)
    return content


def _deflate_archive(src, dst):
    """Keras's `.keras` zip with the very same members, deflated (Keras stores them: a mostly empty HDF5
    file of ~14 KB per model shrinks to ~2 KB) and dated 1980 so the bytes do not depend on the day."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), zin.read(info.filename),
                          compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def save_if_changed(model, path, deflate=False):
    """model.save(path), keeping the existing file when only the save date would change (no churn).
    deflate=True: a `.keras` file is re-zipped compressed (same members; Keras and nnkern read both). An `.h5`
    file is stored gzipped (`<path>.gz`; _golden_io.readable gives a readable copy)."""
    import shutil
    import tempfile

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = pathlib.Path(tmp) / path.name
        model.save(fresh)
        if deflate:
            stored, fresh = fresh, pathlib.Path(tmp) / f"deflated_{path.name}"
            _deflate_archive(stored, fresh)
        if path.suffix in GZIPPED:
            shutil.copyfile(fresh, path)
            store_gzipped(path)
        elif not path.exists() or _model_file_content(path) != _model_file_content(fresh):
            shutil.copyfile(fresh, path)


MODEL_FILES_DIR = "saving/models"  # under tests/golden/data: every golden model case saved by Keras


def save_model_file(model, data_dir, case_id, safe_mode=True):
    """Save a golden case's model (weights set, as it predicted) as `saving/models/<case_id>.keras`; the
    record the case stores so tests find it (safe_mode=False: the model holds Lambda bytecode)."""
    rel = f"{MODEL_FILES_DIR}/{case_id}.keras"
    save_if_changed(model, pathlib.Path(data_dir) / rel, deflate=True)
    return {"path": rel, "safe_mode": safe_mode}


def seeded_saved_model(build, seed, feeds, data_dir, path, saved, predict):
    """A model case's common part: build() -> (model, layer); the model's weights seeded (seed * 100 + index),
    its outputs predict(model, feeds), the model saved (deflated) as data_dir/path and queued in `saved` for
    check_keras_loads_model_files. Returns (model, layer, outputs, the file record)."""
    model, layer = build()
    for j, v in enumerate(model.weights):
        v.assign(seeded(v.shape, seed * 100 + j))
    ys = predict(model, feeds)
    record = {"path": path, "safe_mode": True}
    save_if_changed(model, pathlib.Path(data_dir) / path, deflate=True)
    saved.append((record, feeds if len(feeds) > 1 else feeds[0], ys))
    return model, layer, ys, record


def write_tfkeras_h5_cases(keras, family, models, data_dir, files_dir):
    """The tf-keras generators' loop: for each (id, model, inputs) of `models` (tf_keras models), seeded weights,
    tf-keras's outputs (flattened in order: nested states too), the model saved as `.h5` under files_dir and read
    back by tf-keras to the same outputs, and a case in data/<family>.json / .npz. Returns the number of cases."""
    import tensorflow as tf

    from _golden_io import GoldenWriter
    data_dir = pathlib.Path(data_dir)
    (data_dir / files_dir).mkdir(parents=True, exist_ok=True)
    w = GoldenWriter(family)
    for s, (case_id, model, feeds) in enumerate(models, start=1):
        for j, v in enumerate(model.weights):
            v.assign(seeded(tuple(v.shape), 1000 * s + j))
        x = feeds if len(feeds) > 1 else feeds[0]
        ys = [np.asarray(y) for y in tf.nest.flatten(model.predict(x, verbose=0))]
        path = f"{files_dir}/{case_id}.h5"
        model.save(data_dir / path, save_format="h5")
        reloaded = keras.models.load_model(data_dir / path)  # tf-keras reads its own file back the same
        for got, want in zip(tf.nest.flatten(reloaded.predict(x, verbose=0)), ys):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        store_gzipped(data_dir / path)
        w.add(case_id, {"path": path, "n_inputs": len(feeds), "n_outputs": len(ys),
                        "params": int(model.count_params()), "tf_keras": keras.__version__},
              **{f"x{i}": v for i, v in enumerate(feeds)}, **{f"y{i}": y for i, y in enumerate(ys)})
    return w.save(data_dir)


def summary_text(model):
    """Keras's summary text at a fixed width (as the tests print it)."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        lines = []
        model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "".join(lines)


def import_nnkern():
    """nnkern from this checkout's python/ (built in place) for the nnkern -> Keras checks, or None (said so)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "python"))
    try:
        import nnkern
        import nnkern.backend
    except ImportError as e:
        print(f"  (skipped the nnkern -> Keras check: nnkern is not importable: {e})")
        return None
    return nnkern


def check_keras_loads_nnkern_files(data_dir, saved, rtol=1e-5, atol=1e-6):
    """nnkern loads each Keras file of `saved` ([(record, x, [y])]) and saves it again; Keras loads nnkern's file
    and predicts the same."""
    import keras

    nnkern = import_nnkern()
    if nnkern is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for record, x, expected in saved:
            path = pathlib.Path(tmp) / pathlib.Path(record["path"]).name
            nnkern.models.load_model(pathlib.Path(data_dir) / record["path"]).save(path)
            y = keras.saving.load_model(path).predict(x, verbose=0)
            for got, want in zip(y if isinstance(y, (list, tuple)) else [y], expected):
                np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol,
                                           err_msg=f"{record['path']}: Keras on nnkern's file")
            print(f"  {record['path']}: Keras loads nnkern's .keras file and predicts the same")


def check_keras_loads_model_files(data_dir, saved):
    """Keras itself loads each saved file and predicts what the in-memory model did: [(record, x, [y])].
    Run after a family's cases are made (loading must not touch the auto-name counters mid-family)."""
    import keras

    for record, x, expected in saved:
        model = keras.saving.load_model(pathlib.Path(data_dir) / record["path"], safe_mode=record["safe_mode"])
        y = model.predict(x, verbose=0)
        for got, want in zip(keras.tree.flatten(y), expected):  # nested outputs (stacked cells' states) in order
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6, err_msg=record["path"])


# Lambda bytecode in the goldens names this file instead of the generator's path on the machine that ran it.
LAMBDA_CODE_FILENAME = "<nnkern-golden>"


def _code_with_fixed_filename(code):
    """`code` and the code objects nested in it (inner lambdas, comprehensions) with co_filename
    LAMBDA_CODE_FILENAME."""
    consts = tuple(_code_with_fixed_filename(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=LAMBDA_CODE_FILENAME, co_consts=consts)


def marshal_lambdas_without_paths():
    """Make Keras serialize Python functions (Lambda layers' bytecode) with co_filename LAMBDA_CODE_FILENAME, so
    the golden files do not depend on where the repository is checked out. Keras's Lambda layer and its
    serialization_lib both call `python_utils.func_dump`; this wraps it once per process."""
    from keras.src.utils import python_utils

    keras_func_dump = python_utils.func_dump
    if getattr(keras_func_dump, "fixed_filename", False):
        return

    def func_dump(func):
        code = _code_with_fixed_filename(func.__code__)
        return keras_func_dump(types.FunctionType(code, func.__globals__, func.__name__, func.__defaults__,
                                                  func.__closure__))

    func_dump.fixed_filename = True
    python_utils.func_dump = func_dump
