"""Checking and preparing a model config read from a file, before any layer is made: nesting is
bounded, every unsupported layer class is reported at once, functions honour safe_mode (see
safe_mode.py), and Keras's special serialized values (tuples, numpy arrays, ...) become Python values."""
import numpy as np

from nnkern.engine.layer import Layer
from nnkern.engine.registry import resolve_class
from nnkern.saving import functions
from nnkern.saving.errors import MalformedFileError, UnsafeDeserializationError, UnsupportedLayersError

_MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Real configs nest about 13 deep (a model in a model in a wrapper: ~6 levels each); deeper ones are
# refused before anything recurses over them (Python's recursion limit would be hit at ~1,000).
MAX_CONFIG_DEPTH = 100
# dtypes a '__numpy__' value may have: numbers and text, never objects (or datetimes, structs).
_NUMPY_VALUE_KINDS = "biufUS"


def check_nesting(config, what, limit=MAX_CONFIG_DEPTH):
    """MalformedFileError if lists / dicts in the config nest deeper than `limit` (walked without recursion)."""
    stack = [(config, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                raise MalformedFileError(f"{what}: the model config nests deeper than {limit} levels; refusing "
                                         "it (real Keras configs nest a few dozen levels at most).")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def resolve_layer_class(layer_config, custom_objects):
    """The nnkern class for a serialized layer, as deserialize looks it up; None if absent."""
    found = resolve_class(layer_config, custom_objects)
    # Only layer classes: a custom object that is not a Layer class must not pass as one.
    return found if isinstance(found, type) and issubclass(found, Layer) else None


def nested_layer_keys(config):
    """The keys of a serialized layer's inner config holding serialized layers: a model's 'layers' list;
    a wrapper's or RNN's 'layer', 'forward_layer', 'backward_layer', 'cell'."""
    inner = config.get("config")
    if not isinstance(inner, dict):
        return []
    keys = ["layers"] if config.get("class_name") in _MODEL_CLASSES and isinstance(inner.get("layers"), list) \
        else []
    return keys + [key for key in ("layer", "forward_layer", "backward_layer", "cell")
                   if isinstance(inner.get(key), dict) and "class_name" in inner[key]]


def layer_configs(config):
    """Every serialized layer in a model config, nested models and wrapped layers included."""
    if not isinstance(config, dict):
        return
    yield config
    for key in nested_layer_keys(config):
        value = config["config"][key]
        for layer in value if key == "layers" else [value]:
            yield from layer_configs(layer)


def check_supported(config, custom_objects, what):
    """UnsupportedLayersError listing every layer class in `config` nnkern lacks (with layer names)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise MalformedFileError(f"{what}: the model config is not a serialized Keras model "
                                 "(no 'class_name').")
    missing = []
    for layer in layer_configs(config):
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
        return [revive_values(v, safe_mode, what, custom_objects) if isinstance(v, (dict, list)) else v
                for v in value]
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
        return _named_function(inner, value.get("module"), custom_objects, safe_mode, what)
    if class_name == "__tuple__" and isinstance(inner, dict):
        return tuple(revive_values(inner.get("value", []), safe_mode, what))
    if class_name == "__numpy__" and isinstance(inner, dict):
        return _numpy_value(inner, what)
    if class_name == "__bytes__" and isinstance(inner, dict):
        return str(inner.get("value", "")).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__" and isinstance(inner, dict):
        return slice(*(revive_values(inner.get(k), safe_mode, what) for k in ("start", "stop", "step")))
    # Leaves (most values) are kept as they are without a call each.
    out = {k: revive_values(v, safe_mode, what, custom_objects) if isinstance(v, (dict, list)) else v
           for k, v in value.items()}
    if class_name == "Lambda" and isinstance(out.get("config"), dict):
        _revive_keras2_lambda(out["config"], safe_mode, what, custom_objects)
    if custom_objects and isinstance(out.get("config"), dict):
        _revive_custom_weight_arguments(out["config"], custom_objects)
    return out


def _revive_custom_weight_arguments(config, custom_objects):
    """A layer's `*_regularizer` / `*_constraint` naming a class of the caller's custom_objects becomes an
    instance of it (nnkern.regularizers / constraints know only Keras's own)."""
    for key, entry in config.items():
        if key.endswith(("_regularizer", "_constraint")) and isinstance(entry, dict):
            cls = custom_objects.get(entry.get("class_name")) or custom_objects.get(entry.get("registered_name"))
            if isinstance(cls, type):
                inner = entry.get("config") or {}
                config[key] = cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def _revive_keras2_lambda(config, safe_mode, what, custom_objects):
    """Keras 2 stored a lambda as `function: [code, defaults, closure]` with `function_type: 'lambda'`, and a
    named function as its name with `function_type: 'function'` (and the module it came from)."""
    module = config.get("module")
    for key, type_key in (("function", "function_type"), ("output_shape", "output_shape_type")):
        kind = config.pop(type_key, None)
        if kind == "lambda":
            if safe_mode:
                functions.refuse_unsafe(what)
            config[key] = functions.func_load(config[key], what=what)
        elif kind == "function" and isinstance(config.get(key), str):
            config[key] = _named_function(config[key], module, custom_objects, safe_mode, what)
    config.pop("module", None)
    config.pop("output_shape_module", None)


def _named_function(name, module, custom_objects, safe_mode, what):
    """A function stored by name (a Lambda of a `def` function): custom_objects first, then nnkern's
    activations; only with safe_mode off also nnkern.ops and numpy functions of that name. Nothing is
    imported from the file's module path."""
    from nnkern import activations
    found = (custom_objects or {}).get(name)
    if found is None:
        try:
            found = activations.get(name)
        except (ValueError, TypeError, KeyError):
            found = None
    if found is None and safe_mode:  # safe_mode.check_config refuses these first, naming the layer
        raise UnsafeDeserializationError(f"{what} names the function '{name}' (module '{module}'), outside "
                                         "what safe_mode resolves (nnkern's activations and custom_objects).")
    if found is None:
        from nnkern import ops
        candidates = [getattr(np, name, None)] if module == "numpy" else []
        found = next((c for c in candidates + [getattr(ops, name, None)] if callable(c)), None)
    if found is None:
        raise MalformedFileError(f"{what} refers to a function '{name}' (module '{module}') that nnkern does not "
                                 f"know. Pass it with `custom_objects={{'{name}': {name}}}`.")
    return found


def _numpy_value(config, what):
    """A '__numpy__' value: numbers or text only (an object array would carry arbitrary values)."""
    try:
        dtype = np.dtype(config.get("dtype"))
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _NUMPY_VALUE_KINDS:
        raise MalformedFileError(f"{what}: a '__numpy__' value has dtype {config.get('dtype')!r}; nnkern reads "
                                 "numeric and text arrays only.")
    try:
        return np.array(config.get("value"), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise MalformedFileError(f"{what}: a '__numpy__' value could not be read as {dtype}: {e}") from None
