"""Model files, reached through nnkern.saving without importing it: saving sits above models (it builds
models from files), so it registers its functions here when imported. `import nnkern` imports saving,
so they are always registered by the time user code runs."""

_SAVING = {}


def register_saving(**functions):
    """Called by nnkern.saving: save_model, load_model, save_weights, load_weights, model_from_json,
    keras_archive_bytes, custom_layer_classes, load_keras_archive, model_config_json."""
    _SAVING.update(functions)


def saving(name):
    try:
        return _SAVING[name]
    except KeyError:
        raise RuntimeError(f"nnkern.saving is not imported, so models cannot use {name}(); "
                           "`import nnkern` imports it.") from None


def load_model(filepath, custom_objects=None, compile=False, safe_mode=True):
    """A model from a Keras 3 `.keras` or Keras 2 `.h5` file (see nnkern.saving.load_model)."""
    return saving("load_model")(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write `model` as a Keras 3 `.keras` file (see nnkern.saving.save_model)."""
    saving("save_model")(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A model from a JSON model config, Keras 3's or Keras 2's (see nnkern.saving.model_from_json)."""
    return saving("model_from_json")(json_string, custom_objects=custom_objects, safe_mode=safe_mode)
