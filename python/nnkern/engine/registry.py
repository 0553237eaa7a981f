"""The class registry: which class a serialized layer names, and a layer as Keras serializes it.

Layers, models and saving all import this module (downward). It imports no layer or model module:
packages register themselves instead (``nnkern.layers`` and ``nnkern.models`` call
``register_namespace(<the package module>)`` once), so a Layer subclass exported from one of them is found
by name (an attribute lookup, which imports ``nnkern.layers``' family module on first use) with no
per-class registration, including classes added to the package later.
"""
from nnkern.engine.layer import Layer

# Package modules searched in registration order: nnkern.layers, then nnkern.models.
_NAMESPACES = []
# (base class, fn(obj, entry) -> entry): how objects of a base class complete their serialized entry
# (models register theirs: Keras writes a model nested as a layer differently).
_ENTRY_COMPLETERS = []


def register_namespace(namespace):
    """Make every Layer subclass exported by `namespace` (a package module, its attributes read live) known by
    its name there."""
    if not any(ns is namespace for ns in _NAMESPACES):
        _NAMESPACES.append(namespace)


def register_entry_completer(base, complete):
    """`complete(obj, entry)` finishes serialize_layer's entry for instances of `base`."""
    _ENTRY_COMPLETERS.append((base, complete))


def get_registered_class(name):
    """nnkern's own Layer subclass exported as `name`, or None (private names and non-layers never match)."""
    if not isinstance(name, str) or name.startswith("_"):
        return None
    for namespace in _NAMESPACES:
        found = getattr(namespace, name, None)
        if isinstance(found, type) and issubclass(found, Layer):
            return found
    return None


def is_registered(cls):
    return get_registered_class(cls.__name__) is cls


def is_operation_module(module):
    """Whether a config's `module` names one of Keras's op modules (keras.src.ops.numpy, ...)."""
    return str(module or "").startswith("keras.src.ops")


def resolve_class(config, custom_objects=None):
    """The class (or custom object) a serialized layer {'class_name', 'module'?, 'registered_name'?} names:
    custom_objects first, then an op node by module and name if the module is one of Keras's op modules
    (never a layer of the same name), else nnkern's registered layers and models. None if nothing matches."""
    class_name = config.get("class_name")
    if not isinstance(class_name, str):
        return None
    custom_objects = custom_objects or {}
    found = custom_objects.get(class_name) or custom_objects.get(config.get("registered_name") or "")
    if found is not None:
        return found
    if is_operation_module(config.get("module")):
        from nnkern.engine.symbolic_ops import OPERATIONS  # here: only graphs with op nodes need the op classes
        found = OPERATIONS.get(class_name)
        # Module and name together: keras.src.ops.nn's Softmax op is not keras.src.ops.numpy's.
        return found if found is not None and found._keras_module == config.get("module") else None
    if ">" in class_name:
        # Keras 2 names a class registered with register_keras_serializable "Package>Class"; only those
        # Keras registered itself (keras2_registered_names, e.g. "Custom>CustomScaleLayer") are nnkern's.
        found = get_registered_class(class_name.rsplit(">", 1)[1])
        return found if found is not None and class_name in getattr(found, "keras2_registered_names", ()) else None
    return get_registered_class(class_name)


def serialize_layer(layer):
    """{'module', 'class_name', 'config', 'registered_name', 'build_config'?} as Keras serializes a layer."""
    entry = {"module": "keras.layers", "class_name": layer.__class__.__name__, "config": layer.get_config(),
             "registered_name": None}
    for base, complete in _ENTRY_COMPLETERS:
        if isinstance(layer, base):
            return complete(layer, entry)
    if getattr(layer, "_is_operation", False):  # an op node (NotEqual, Any, Add, ...), as Keras names it
        entry["module"] = layer._keras_module
        entry["registered_name"] = layer.__class__.__name__
    elif getattr(layer.__class__, "keras_module", None):
        # A class Keras defines outside keras.layers (keras.applications' own layers): Keras writes its
        # module and registered name, and reads the class back from that module.
        entry["module"] = layer.__class__.keras_module
        entry["registered_name"] = layer.__class__.__name__
    elif not is_registered(layer.__class__):
        entry["module"] = layer.__class__.__module__
        entry["registered_name"] = layer.__class__.__name__  # Keras's name for an unregistered class
    build_config = layer.get_build_config()
    if build_config is not None and layer.__class__.__name__ != "InputLayer":
        entry["build_config"] = build_config
    return entry


def deserialize(config, custom_objects=None):
    """A layer (or model) from its Keras config dict {'class_name': ..., 'config': {...}}."""
    cls = resolve_class(config, custom_objects)
    if cls is None:
        raise ValueError(f"Unknown layer: '{config['class_name']}'. Please ensure you are using a `keras.utils."
                         "custom_object_scope` and that this object is included in the scope.")
    inner = dict(config.get("config", {}))
    if hasattr(cls, "from_config"):
        try:
            layer = cls.from_config(inner, custom_objects=custom_objects or {})
        except TypeError:
            layer = cls.from_config(inner)
    else:
        layer = cls(**inner)
    build_config = config.get("build_config")
    if build_config and not layer.built and "input_shape" in build_config:
        layer.build(build_config["input_shape"])
    return layer
