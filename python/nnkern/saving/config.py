"""Checking and preparing a model config read from a file, before any layer is made: every
unsupported layer class is reported at once, Lambda bytecode honours safe_mode, and Keras's special
serialized values (tuples, numpy arrays, ...) become Python values."""
import numpy as np

from nnkern.engine.layer import Layer
from nnkern.engine.registry import resolve_class
from nnkern.saving import functions
from nnkern.saving.errors import MalformedFileError, UnsupportedLayersError

_MODEL_CLASSES = ("Sequential", "Functional", "Model")


def resolve_layer_class(layer_config, custom_objects):
    """The nnkern class for a serialized layer, as deserialize looks it up; None if absent."""
    found = resolve_class(layer_config, custom_objects)
    # Only layer classes: a custom object that is not a Layer class must not pass as one.
    return found if isinstance(found, type) and issubclass(found, Layer) else None


def _layer_configs(config):
    """Every serialized layer in a model config, nested models and wrapped layers included."""
    if not isinstance(config, dict):
        return
    yield config
    inner = config.get("config")
    if not isinstance(inner, dict):
        return
    if config.get("class_name") in _MODEL_CLASSES:
        for layer in inner.get("layers") or []:
            yield from _layer_configs(layer)
    for key in ("layer", "forward_layer", "backward_layer", "cell"):  # wrappers, RNNs
        if isinstance(inner.get(key), dict) and "class_name" in inner[key]:
            yield from _layer_configs(inner[key])


def check_supported(config, custom_objects, what):
    """UnsupportedLayersError listing every layer class in `config` nnkern lacks (with layer names)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise MalformedFileError(f"{what}: the model config is not a serialized Keras model "
                                 "(no 'class_name').")
    missing = []
    for layer in _layer_configs(config):
        if resolve_layer_class(layer, custom_objects) is None:
            inner = layer.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
            missing.append((str(layer.get("class_name")), str(name or layer.get("name") or "?")))
    if missing:
        classes = sorted({c for c, _ in missing})
        listing = ", ".join(f"{c} (layer '{n}')" for c, n in missing)
        raise UnsupportedLayersError(
            f"{what} uses layer classes nnkern does not support: {', '.join(classes)}. Layers: {listing}. "
            "Pass custom layer classes with `custom_objects={'Name': cls}`.")


def revive_values(value, safe_mode, what, custom_objects=None):
    """Copy of a config with Keras's special values revived: '__lambda__' (and Keras 2 Lambda bytecode)
    only when safe_mode is False, named functions (from custom_objects, or nnkern's activations and ops),
    '__tuple__', '__numpy__', '__bytes__', '__ellipsis__', '__slice__'."""
    if isinstance(value, list):
        return [revive_values(v, safe_mode, what, custom_objects) for v in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name == "__lambda__":
        if safe_mode:
            functions.refuse_unsafe(what)
        if not isinstance(inner, dict):
            raise MalformedFileError(f"{what}: a '__lambda__' entry has no config.")
        return functions.func_load(inner.get("code"), inner.get("defaults"),
                                   revive_values(inner.get("closure"), safe_mode, what), what=what)
    if class_name == "function" and isinstance(inner, str):
        return _named_function(inner, value.get("module"), custom_objects, what)
    if class_name == "__tuple__" and isinstance(inner, dict):
        return tuple(revive_values(inner.get("value", []), safe_mode, what))
    if class_name == "__numpy__" and isinstance(inner, dict):
        return np.array(inner.get("value"), dtype=inner.get("dtype"))
    if class_name == "__bytes__" and isinstance(inner, dict):
        return str(inner.get("value", "")).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__" and isinstance(inner, dict):
        return slice(*(revive_values(inner.get(k), safe_mode, what) for k in ("start", "stop", "step")))
    out = {k: revive_values(v, safe_mode, what, custom_objects) for k, v in value.items()}
    if class_name == "Lambda" and isinstance(out.get("config"), dict):
        _revive_keras2_lambda(out["config"], safe_mode, what)
    return out


def _revive_keras2_lambda(config, safe_mode, what):
    """Keras 2 stored a lambda as `function: [code, defaults, closure]` with `function_type: 'lambda'`."""
    for key, type_key in (("function", "function_type"), ("output_shape", "output_shape_type")):
        kind = config.pop(type_key, None)
        if kind == "lambda":
            if safe_mode:
                functions.refuse_unsafe(what)
            config[key] = functions.func_load(config[key], what=what)
    config.pop("module", None)
    config.pop("output_shape_module", None)


def _named_function(name, module, custom_objects, what):
    """A function stored by name (a Lambda of a `def` function): custom_objects first, then nnkern's
    activations, ops and numpy functions of that name. Nothing is imported from the file's module path."""
    found = (custom_objects or {}).get(name)
    if found is None:
        from nnkern import activations, ops
        candidates = [getattr(ops, name, None)]
        if module == "numpy":
            candidates.insert(0, getattr(np, name, None))
        try:
            candidates.insert(0, activations.get(name))
        except (ValueError, TypeError, KeyError):
            pass
        found = next((c for c in candidates if callable(c)), None)
    if found is None:
        raise MalformedFileError(f"{what} refers to a function '{name}' (module '{module}') that nnkern does not "
                                 f"know. Pass it with `custom_objects={{'{name}': {name}}}`.")
    return found
