"""Where Keras 3 keeps each layer's variables in `model.weights.h5`: the attribute path.

Keras (saving_lib._save_state) walks the model object: a Sequential or Functional model's `layers` list
first, then each object's own attributes in sorted order (private ones last); list members are named
by their snake_case class name, `_1`, `_2`, ... for repeats, and an object seen before (a shared layer)
is skipped. Each object's own variables sit at `<path>/vars/<i>`, e.g. `layers/dense_1/vars/0`,
`layers/lstm/cell/vars/2`, `layers/time_distributed/layer/vars/0`. Layer names play no part."""
from nnkern.engine.layer import Layer
from nnkern.engine.naming import to_snake_case


def _name_key(attr):
    return f"~{attr}" if attr.startswith("_") else attr


_BASE_ATTRIBUTES = None


def _base_attributes():
    """Attributes every Layer has (Keras skips those of a bare Layer, keeping only a subclass's own)."""
    global _BASE_ATTRIBUTES
    if _BASE_ATTRIBUTES is None:
        _BASE_ATTRIBUTES = frozenset(vars(Layer(name="reference_layer"))) | {"_functional", "_graph", "_operations"}
    return _BASE_ATTRIBUTES


def _holds_layers(value):
    if isinstance(value, Layer):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and any(_holds_layers(v) for v in value)


def _children(obj):
    """(attribute, child layer or container of layers) in Keras's walking order."""
    from nnkern.models.functional import Functional
    from nnkern.models.sequential import Sequential
    if isinstance(obj, (Functional, Sequential)):
        yield "layers", obj.layers
    skip = _base_attributes()
    for attr in sorted(vars(obj), key=_name_key):
        if attr in skip or attr.startswith("__"):
            continue
        value = obj.__dict__[attr]
        if _holds_layers(value):
            yield attr, value


def own_variables(layer):
    """The variables a layer stores itself (not its sublayers'), in Keras's order."""
    return list(layer._trainable_variables) + list(layer._non_trainable_variables)


def variable_groups(model):
    """[(path, object)] for the model and every layer inside it, in the order Keras visits them; the
    object's variables are stored under `<path>/vars` ('vars' for the model itself)."""
    out = []
    visited = set()

    def join(path, name):
        return f"{path}/{name}" if path else name

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _children(obj):
            if isinstance(child, Layer):
                visit(child, join(path, attr))
            else:
                visit_container(child, join(path, attr), set())

    def visit_container(container, path, seen):
        if id(container) in seen:
            return
        seen.add(id(container))
        used = {}
        items = list(container.values()) if isinstance(container, dict) else list(container)
        for item in items:
            if isinstance(item, Layer):
                visit(item, join(path, _unique(to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                visit_container(item, join(path, _unique("container", used)), seen)

    visit(model, "")
    return out


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def vars_path(path):
    return f"{path}/vars" if path else "vars"
