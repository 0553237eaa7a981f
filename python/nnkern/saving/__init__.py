"""Loading and saving models: Keras 3 `.keras` files, Keras 2 / tf.keras `.h5` files, weights files.

    model = nnkern.models.load_model("model.keras")     # or "model.h5" (Keras 2)
    model.save("copy.keras")                             # real Keras 3 loads it
    model.load_weights("model.weights.h5")
"""
import os

from nnkern.saving.errors import (MalformedFileError, SavingError, UnsafeDeserializationError,
                                  UnsupportedLayersError, file_errors)
from nnkern.models import persistence

# The file code (saving/keras_file.py, legacy_h5.py and json, zipfile, h5py under them) is imported by the
# functions below on their first call: `import nnkern` imports this package, and most programs that import
# nnkern never read or write a file.

__all__ = ["load_model", "save_model", "load_weights", "save_weights", "model_from_json", "SavingError", "MalformedFileError",
           "UnsupportedLayersError", "UnsafeDeserializationError"]


def load_model(filepath, custom_objects=None, compile=False, safe_mode=True):
    """The model in a Keras 3 `.keras` file or a Keras 2 / tf.keras whole-model `.h5` file.

    `filepath`: a path, bytes or a binary file object. `custom_objects`: {name: class or function} for
    layers and functions nnkern does not define. With `safe_mode=True` (the default) the file can name
    only nnkern's own layers, activations and initializers and your custom_objects, and Lambda functions
    come only from custom_objects (see saving/safe_mode.py); `safe_mode=False` also loads Lambda bytecode
    and numpy functions named by the file (running code from the file: only for files you trust).
    `compile=True` restores a loss/metrics given by name. A file's contents raise only
    MalformedFileError, UnsupportedLayersError or UnsafeDeserializationError."""
    from nnkern.saving import keras_file
    what = keras_file.describe(filepath)
    data = keras_file.read_source(filepath)
    with file_errors(what):
        return _load_model_bytes(data, what, custom_objects, compile, safe_mode)


def _load_model_bytes(data, what, custom_objects, compile, safe_mode):
    from nnkern.saving import keras_file, legacy_h5
    kind = keras_file.file_kind(data)
    if kind == "keras":
        return keras_file.load_keras_archive(data, what, custom_objects, safe_mode, compile)
    if kind == "h5":
        return legacy_h5.load_h5_model(data, what, custom_objects, safe_mode, compile)
    if not data:
        raise MalformedFileError(f"{what} is empty: not a .keras or .h5 model file.")
    raise MalformedFileError(f"{what} is neither a Keras 3 `.keras` zip archive nor an HDF5 `.h5` model file.")


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model (weights newly initialized) from a JSON model config: Keras 3's `model.to_json()` or Keras 2's
    (TF-op nodes, keyword tensors in inbound nodes, Keras 1/2 names), with load_model's safe_mode rules."""
    from nnkern.saving import keras_file, legacy_h5
    what = "the JSON model config"
    if isinstance(json_string, str):
        json_string = json_string.encode("utf-8")
    if not isinstance(json_string, (bytes, bytearray)):
        raise TypeError(f"model_from_json() expects a JSON string. Received: {type(json_string).__name__}")
    with file_errors(what):
        config = keras_file.parse_json(bytes(json_string), what, "model config")
        config = legacy_h5.modernize_keras2_config(config, legacy_h5.is_keras2_json(config))
        return keras_file.model_from_config(config, what, custom_objects, safe_mode)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Write `model` as a Keras 3 `.keras` file (config.json, metadata.json, model.weights.h5)."""
    from nnkern.saving import keras_file
    if isinstance(filepath, (str, os.PathLike)):
        path = os.fspath(filepath)
        if not path.endswith(".keras"):
            raise ValueError("Invalid filepath extension for saving. Please add the `.keras` extension: nnkern "
                             f"writes the Keras 3 format. Received: filepath={path}")
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"'{path}' exists and overwrite=False.")
        data = keras_file.keras_archive_bytes(model)
        with open(path, "wb") as f:
            f.write(data)
        return
    if hasattr(filepath, "write"):
        filepath.write(keras_file.keras_archive_bytes(model))
        return
    raise TypeError(f"save_model() needs a path ending in '.keras' or a binary file object. Received: "
                    f"{filepath!r}")


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights into a model built in code: a Keras 3 `.weights.h5` or `.keras` file, or a Keras 2
    `.h5` weights / whole-model file (matched layer by layer in order, as Keras 2 did)."""
    from nnkern.saving import keras_file
    what = keras_file.describe(filepath)
    data = keras_file.read_source(filepath)
    with file_errors(what):
        _load_weights_bytes(model, data, what)


def _load_weights_bytes(model, data, what):
    from nnkern.saving import keras_file, legacy_h5
    kind = keras_file.file_kind(data)
    if kind == "keras":
        from nnkern.saving import archive
        with archive.open_archive(data, what) as zf:
            data = archive.read_member(zf, archive.WEIGHTS_FILENAME, what)
    elif kind != "h5":
        raise MalformedFileError(f"{what} is not a weights file: expected HDF5 (`.weights.h5`, `.h5`) or "
                                 "a `.keras` archive.")
    h5, entries = keras_file.open_h5(data, what)
    with h5:
        if legacy_h5.is_legacy_weights(h5):
            legacy_h5.load_legacy_weights(model, h5, what)
        else:
            keras_file.load_weights_from_h5(model, h5, what, entries)


def save_weights(model, filepath, overwrite=True):
    """Write the model's weights as a Keras 3 `.weights.h5` file."""
    from nnkern.saving import keras_file
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError("The filename must end in `.weights.h5`. Received: filepath=" + path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists and overwrite=False.")
    data = keras_file.weights_h5_bytes(model)
    with open(path, "wb") as f:
        f.write(data)


# Model.save / to_json / load_weights / pickling and nnkern.models.load_model reach these (and the functions
# above) through models.persistence.
def model_config_json(model, **kwargs):
    from nnkern.saving import keras_file
    return keras_file.model_config_json(model, **kwargs)


def keras_archive_bytes(model):
    from nnkern.saving import keras_file
    return keras_file.keras_archive_bytes(model)


def custom_layer_classes(model):
    from nnkern.saving import keras_file
    return keras_file.custom_layer_classes(model)


def load_keras_archive(data, what, custom_objects=None, safe_mode=True, compile=False):
    from nnkern.saving import keras_file
    return keras_file.load_keras_archive(data, what, custom_objects, safe_mode, compile)


persistence.register_saving(load_model=load_model, save_model=save_model, load_weights=load_weights,
                            model_from_json=model_from_json, model_config_json=model_config_json,
                            save_weights=save_weights, keras_archive_bytes=keras_archive_bytes,
                            custom_layer_classes=custom_layer_classes, load_keras_archive=load_keras_archive)
