"""Nested-structure helpers with Keras's conventions: lists, tuples and dicts are structures (dicts in
sorted-key order), everything else (arrays, tensors, None) is a leaf."""


def is_nested(x):
    return isinstance(x, (list, tuple, dict))


def flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(flatten(v)) if is_nested(v) else out.append(v)
        return out
    if isinstance(x, dict):
        out = []
        for k in sorted(x):
            v = x[k]
            out.extend(flatten(v)) if is_nested(v) else out.append(v)
        return out
    return [x]


def map_structure(fn, x):
    if isinstance(x, list):
        return [map_structure(fn, v) for v in x]
    if isinstance(x, tuple):
        if hasattr(x, "_fields"):  # namedtuple
            return type(x)(*[map_structure(fn, v) for v in x])
        return tuple(map_structure(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    return fn(x)


def pack_sequence_as(structure, flat):
    """Inverse of flatten: rebuild `structure` with the leaves taken in order from `flat`."""
    if not is_nested(structure):
        return flat[0]
    # A module-level recursive helper, not a nested closure: a closure that calls itself is a reference
    # cycle, left for the garbage collector on every call (every predict).
    return _pack(structure, iter(flat))


def _pack(s, leaves):
    if isinstance(s, list):
        return [_pack(v, leaves) for v in s]
    if isinstance(s, tuple):
        vals = [_pack(v, leaves) for v in s]
        return type(s)(*vals) if hasattr(s, "_fields") else tuple(vals)
    if isinstance(s, dict):
        filled = {k: _pack(s[k], leaves) for k in sorted(s)}
        return {k: filled[k] for k in s}
    return next(leaves)


def is_shape_tuple(s):
    return isinstance(s, (list, tuple)) and all(d is None or isinstance(d, int) for d in s)


def map_shape_structure(fn, shapes):
    """Map over a structure whose leaves are shape tuples."""
    if is_shape_tuple(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(map_shape_structure(fn, s) for s in shapes)
    if isinstance(shapes, dict):
        return {k: map_shape_structure(fn, v) for k, v in shapes.items()}
    if shapes is None:
        return None
    raise ValueError(f"Not a shape structure: {shapes!r}")
