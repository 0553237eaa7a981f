"""Keras 3 dtype rules on numpy arrays: the default float type, dtype names, type promotion and
conversion of inputs.

Keras 3 (on its JAX, numpy and torch backends) promotes types on a JAX-style lattice in which Python
scalars are *weak* (``int32_array + 1`` stays int32, ``int32_array + 1.5`` becomes float32) and
64-bit types are narrowed to 32 bits (``float64 -> float32``, ``int64 -> int32``). nnkern follows
those rules, so a float64 numpy array given to an op computes and returns float32, as Keras does.
An explicit ``dtype=`` (``cast``, ``convert_to_tensor(x, dtype)``, ``zeros(shape, dtype)``, ...) is
always honoured.
"""
import functools

import numpy as np

from nnkern.ops._settings import floatx

ALLOWED_DTYPES = ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
                  "float16", "float32", "float64", "complex64", "complex128")
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", complex: "complex64", "int": "int32",
                  "float": None}  # "float" -> floatx(), resolved in standardize_dtype

# JAX's promotion lattice as Keras 3 uses it (keras/src/backend/common/dtypes.py), without bfloat16,
# which numpy lacks. "int" and "float" are the weak types of Python scalars.
_LATTICE = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"], "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["float16"], "float16": ["float32"], "float32": ["float64", "complex64"],
    "float64": ["complex128"], "complex64": ["complex128"], "complex128": [],
}
_NARROW = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def _upper_bounds():
    bounds = {n: {n} for n in _LATTICE}
    changed = True
    while changed:
        changed = False
        for n in _LATTICE:
            new = set().union(*(_LATTICE[b] for b in bounds[n])) - bounds[n]
            if new:
                bounds[n] |= new
                changed = True
    return bounds


_UPPER = _upper_bounds()


def standardize_dtype(dtype):
    """A dtype's Keras name ('float32', 'int32', ...): from None (floatx), a string, a numpy dtype or
    scalar type, or the Python types bool / int / float. ValueError for anything else."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, (str, type)) and dtype in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[dtype] or floatx()
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {', '.join(ALLOWED_DTYPES)}")
    return name


def _narrow(name):
    if name == "float64" and floatx() == "float64":
        return name
    return _NARROW.get(name, name)


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes):
    common = set.intersection(*(_UPPER[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(f"Input dtypes {nodes} have no implicit dtype promotion path. "
                         "Cast the inputs explicitly to the desired type.")
    return least.pop()


def _weak_name(kind):
    return floatx() if kind == "float" else "int32"


def result_type(*dtypes):
    """Keras 3's ``keras.backend.result_type``: the dtype an op on arguments of these dtypes returns.
    Each argument is a dtype (strong) or the Python type ``int`` / ``float`` (a weak scalar)."""
    if not dtypes:
        return floatx()
    nodes = []
    for d in dtypes:
        if d is int or d is float:
            nodes.append("int" if d is int else "float")
        else:
            nodes.append(standardize_dtype(d))
    if len(set(nodes)) == 1:
        out = nodes[0]
    elif all(n in ("int", "float") for n in nodes):
        out = "float" if "float" in nodes else "int"
    else:
        out = _least_upper_bound(*sorted(set(nodes)))
    if out in ("int", "float"):
        out = _weak_name(out)
    return _narrow(out)


def dtype_of(x):
    """The promotion argument of an op input: Python int / float stay weak, anything else its dtype."""
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, (int, float)):
        return type(x)
    dt = getattr(x, "dtype", None)
    if dt is not None:
        return _narrow(np.dtype(dt).name) if isinstance(dt, np.dtype) else standardize_dtype(dt)
    return convert_to_tensor(x).dtype.name


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A numpy array of x as Keras would hold it: with ``dtype`` if given, else Python floats as
    floatx(), Python ints as int32, and 64-bit arrays narrowed to 32 bits. No copy when nothing changes."""
    if sparse:
        raise ValueError("convert_to_tensor: sparse=True is not supported by nnkern (dense numpy arrays only)")
    if ragged:
        raise ValueError("convert_to_tensor: ragged=True is not supported by nnkern (dense numpy arrays only)")
    if dtype is not None:
        return np.asarray(x, dtype=standardize_dtype(dtype))
    if isinstance(x, np.ndarray):
        a = x
    elif isinstance(x, bool):
        return np.asarray(x)
    elif isinstance(x, int):
        return np.asarray(x, dtype="int32")
    elif isinstance(x, float):
        return np.asarray(x, dtype=floatx())
    else:
        a = np.asarray(x)
    name = a.dtype.name
    if name not in ALLOWED_DTYPES:
        raise TypeError(f"Expected an array of numbers or booleans, got {type(x).__name__} of dtype {name}")
    narrow = _narrow(name)
    return a if narrow == name else a.astype(narrow)


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def float_result(dtype):
    """Result dtype of a float-valued op (sqrt, exp, mean, ...): floats keep their type, ints and
    bools give floatx()."""
    return np.dtype(dtype).name if np.dtype(dtype).kind in "fc" else floatx()
