"""safe_mode: what a model file may make nnkern run.

A config only names things. With safe_mode on (the default of load_model and the CLI), every name is
resolved inside an allowlist: nnkern's own layer classes, model classes and op nodes (see
config.resolve_layer_class), activations and initializers by their Keras names, plus the caller's
`custom_objects`. Everything else a file could turn into code is refused with UnsafeDeserializationError
naming the layer, by checking the raw JSON before any layer is made:

- a Lambda's function (Python bytecode, or a function named by the file) unless the name is in
  custom_objects;
- a function named anywhere else (an activation, an argument) that is neither an nnkern activation nor
  in custom_objects (`{"class_name": "function", "module": "numpy", "config": "memmap"}`);
- Python bytecode anywhere.

JSON itself is plain data; only those entries revive into callables, so once they are refused a Lambda's
`arguments` and the constant arguments of inbound nodes are plain data (numbers, strings, bools, None,
and lists / dicts / tuples / numeric arrays of them). The `module` fields of a file are never imported
or looked into."""
from nnkern.saving.errors import UnsafeDeserializationError

_BYTECODE_HINT = ("Loading it executes code from the file, a potential risk of arbitrary code execution. "
                  "If you trust the source of the file, pass `safe_mode=False` to the loading function.")
_NAMED_FUNCTION_HINT = ("safe_mode resolves only nnkern's own activations and the `custom_objects` you pass; "
                        "pass the function with `custom_objects={{'{name}': {name}}}`, or `safe_mode=False` "
                        "if you trust the source of the file.")
# The keys of a Lambda's config holding callables (Keras 2 wrote `<key>_type` beside each).
_LAMBDA_CALLABLE_KEYS = ("function", "output_shape", "mask")


def check_config(config, custom_objects, what):
    """UnsafeDeserializationError if the (raw, unrevived) model config names anything outside the allowlist."""
    from nnkern.layers import Lambda
    from nnkern.saving.config import layer_configs, nested_layer_keys, resolve_layer_class
    custom_objects = custom_objects or {}
    for layer in layer_configs(config):
        inner = layer.get("config")
        if not isinstance(inner, dict):
            continue
        label = f"{what}: layer '{inner.get('name') or layer.get('name') or '?'}' ({layer.get('class_name')})"
        cls = resolve_layer_class(layer, custom_objects)
        user_class = cls is not None and cls in custom_objects.values()
        is_lambda = cls is not None and issubclass(cls, Lambda) and not user_class
        nested = nested_layer_keys(layer)  # checked as layers of their own
        for key, value in inner.items():
            if key in nested:
                continue
            if is_lambda and key in _LAMBDA_CALLABLE_KEYS:
                _check_lambda_callable(value, inner.get(f"{key}_type"), custom_objects, f"{label}, '{key}'")
            else:
                _check_value(value, custom_objects, f"{label}, argument '{key}'")
        for key, value in layer.items():  # inbound nodes (their constant arguments), build_config, ...
            if key not in ("config", "compile_config"):  # compile_config is read by name only, never revived
                _check_value(value, custom_objects, f"{label}, '{key}'")


def _check_lambda_callable(value, keras2_type, custom_objects, where):
    """A Lambda's function / output_shape / mask: plain data (a shape) or a name from custom_objects."""
    if keras2_type == "lambda" or _is_bytecode(value):
        raise UnsafeDeserializationError(f"{where}: the function is stored in the file as Python bytecode. "
                                         + _BYTECODE_HINT)
    name, module = _function_name(value, keras2_type)
    if name is not None:
        if name in custom_objects:
            return
        raise UnsafeDeserializationError(
            f"{where}: the file names the function '{name}' (module '{module}') for a Lambda layer; safe_mode "
            "loads no Lambda function from a file. " + _NAMED_FUNCTION_HINT.format(name=name))
    _check_value(value, custom_objects, where)


def _check_value(value, custom_objects, where):
    """Walk a config value (iteratively: nesting depth is bounded elsewhere, but need not be trusted)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if _is_bytecode(item):
            raise UnsafeDeserializationError(f"{where}: holds a function stored as Python bytecode. "
                                             + _BYTECODE_HINT)
        name, module = _function_name(item, None)
        if name is not None and name not in custom_objects and not _is_activation_name(name):
            raise UnsafeDeserializationError(
                f"{where}: the file names the function '{name}' (module '{module}'), which is not an nnkern "
                "activation. " + _NAMED_FUNCTION_HINT.format(name=name))
        stack.extend(item.values())


def _is_bytecode(value):
    return isinstance(value, dict) and value.get("class_name") == "__lambda__"


def _function_name(value, keras2_type):
    """(name, module) of a function reference: Keras 3's {'class_name': 'function', 'config': name, ...} or
    Keras 2's bare name with function_type 'function'; (None, None) for anything else."""
    if isinstance(value, dict) and value.get("class_name") == "function":
        return str(value.get("config")), value.get("module")
    if keras2_type == "function" and isinstance(value, str):
        return value, None
    return None, None


def _is_activation_name(name):
    from nnkern import activations
    try:
        activations.get(name)
    except ValueError:
        return False
    return True
