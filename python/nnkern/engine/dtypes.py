"""dtype names as Keras spells them ('float32', 'int32', ...)."""
import numpy as np

_ALIASES = {"float": "float32", "int": "int32", "double": "float64", "half": "float16", "uint": "uint32"}
_PY = {float: "float32", int: "int32", bool: "bool", str: "string"}
FLOATX = "float32"


# Names already standardized, by the string or numpy dtype given: numpy's dtype.name is slow, and every layer
# and weight a model file builds asks again (a third of MobileNetV2's layer construction time).
_STANDARDIZED = {}


def standardize_dtype(dtype):
    """None -> 'float32'; 'float' -> 'float32'; numpy dtypes/types -> their name; ValueError otherwise."""
    if dtype is None:
        return FLOATX
    if isinstance(dtype, (str, np.dtype)):
        name = _STANDARDIZED.get(dtype)
        if name is None:
            name = _standardize(dtype)
            if len(_STANDARDIZED) < 1024:  # a file may spell many ('S1', 'S2', ...): kept bounded
                _STANDARDIZED[dtype] = name
        return name
    return _standardize(dtype)


def _standardize(dtype):
    if isinstance(dtype, dict) and "config" in dtype:  # a serialized DTypePolicy
        return standardize_dtype(dtype["config"].get("name"))
    if dtype in _PY:
        return _PY[dtype]
    if isinstance(dtype, str):
        dtype = _ALIASES.get(dtype, dtype)
        if dtype in ("string", "bool"):
            return dtype
    name = getattr(dtype, "name", None)
    if isinstance(name, str) and not isinstance(dtype, str) and not hasattr(dtype, "itemsize"):
        dtype = name  # e.g. a DTypePolicy
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


# Arrays no layer computes on: complex, datetime / timedelta, structured and object arrays would be cast
# unsafely (dropping imaginary parts, reinterpreting dates) or fail deep inside a kernel.
_NEVER_DATA_KINDS = "cMmVO"


def check_data_dtype(array, what, numeric_only=False):
    """TypeError naming `what` (a string, or a function making it: hot paths build no message unless it is
    needed) and the dtype if `array` is complex, datetime, structured or object (or, with numeric_only,
    text): refused instead of cast."""
    kind = array.dtype.kind
    if kind in _NEVER_DATA_KINDS or numeric_only and kind in "US":
        what = what() if callable(what) else what
        raise TypeError(f"{what}: expected a numeric (bool, integer or float) array, but received an array of "
                        f"dtype {array.dtype}; it is refused rather than cast.")


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def numpy_dtype(dtype):
    name = standardize_dtype(dtype)
    return np.dtype(object) if name == "string" else np.dtype(name)


class DTypePolicy:
    """The part of keras.DTypePolicy a float32 inference engine needs: a name and the two dtypes."""

    def __init__(self, name="float32"):
        self.name = standardize_dtype(name)

    @property
    def compute_dtype(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.name

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


def serialize_policy(policy):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": policy.name},
            "registered_name": None}
