"""What keras.losses, metrics, constraints, regularizers and initializers share: `get` / `serialize` /
`deserialize` by name, `from_config`, and the classes made over a function (MeanSquaredError over
mean_squared_error). `kind` ('loss', 'constraint', ...) names the family in the error: "Could not
interpret <kind> identifier: ...", Keras's words."""
import inspect


class FromConfig:
    """A Keras object whose get_config() holds its constructor's arguments."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NamedFromConfig(FromConfig):
    """A FromConfig object with a `name` (a Loss, a Metric), shown by repr."""

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _not_understood(kind, identifier):
    return ValueError(f"Could not interpret {kind} identifier: {identifier}")


def _from_config(cls, config):
    return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)


def get_object(identifier, kind, by_name, deserialize):
    """Keras's `get`: None -> None; a dict -> deserialize(it); a name -> by_name's entry; then a class
    is instantiated with no arguments and any other callable is returned as it is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = by_name.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise _not_understood(kind, identifier)


def serialize_object(obj, base, builtins, module):
    """Keras 3's form of a `base` instance: a built-in class (in `builtins`) under `module`
    ('keras.constraints'), a user subclass under its own module with its class name registered.
    None stays None; a function gives its name."""
    if obj is None:
        return None
    if isinstance(obj, base):
        cls = type(obj)
        builtin = cls in builtins
        return {"module": module if builtin else cls.__module__, "class_name": cls.__name__,
                "config": obj.get_config(), "registered_name": None if builtin else cls.__name__}
    return getattr(obj, "__name__", obj)


def deserialize_object(config, kind, by_name, get, custom_objects=None):
    """An object from serialize_object's dict (Keras 2's {'class_name', 'config'} too) or a name (by
    `get`, unless custom_objects has it)."""
    if isinstance(config, str):
        return get(config) if not (custom_objects and config in custom_objects) else custom_objects[config]
    name = config.get("class_name") if isinstance(config, dict) else None
    cls = (custom_objects or {}).get(name) or by_name.get(name)
    if cls is None:
        raise _not_understood(kind, config)
    return _from_config(cls, config.get("config") or {})


def deserialize_function_or_object(config, kind, objects, custom_objects=None):
    """A function or object (losses, metrics) from its name or its serialized dict: Keras 3 writes a
    function as {'class_name': 'function', 'config': its name}, an object as its class and config."""
    objects = {**objects, **(custom_objects or {})}
    if isinstance(config, str):
        if config not in objects:
            raise _not_understood(kind, config)
        return objects[config]
    if isinstance(config, dict) and "class_name" in config:
        class_name, inner = config["class_name"], config.get("config")
        if class_name == "function":
            return deserialize_function_or_object(inner, kind, objects)
        if class_name not in objects or not inspect.isclass(objects[class_name]):
            raise _not_understood(kind, config)
        return _from_config(objects[class_name], inner or {})
    raise _not_understood(kind, config)


def function_wrapper_class(class_name, base, fn, parameters, fn_parameters, module, doc):
    """A class `class_name(base)` whose constructor takes `parameters` ((name, default) pairs, in
    Keras's order) positionally or by keyword, as Keras's class of that name does, and calls
    `base.__init__(self, fn, **values)`; those named in `fn_parameters` go to fn as keyword
    arguments and are also kept as attributes."""
    names = [p for p, _ in parameters]

    def __init__(self, *args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{class_name}() takes at most {len(names)} positional arguments")
        values = dict(parameters)
        for key, value in zip(names, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name}() got an unexpected keyword argument {key!r}")
            values[key] = value
        base.__init__(self, fn, **values)
        for key in fn_parameters:
            setattr(self, key, values[key])

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", kind)] + [inspect.Parameter(p, kind, default=d) for p, d in parameters])
    return type(class_name, (base,), {"__init__": __init__, "__module__": module, "__doc__": doc})
