"""Output shapes by running: call a function on zero arrays standing in for symbolic tensors.

Unknown dimensions (None, e.g. the batch axis) are given two different sizes in two runs; an output
dimension that differs between the runs is unknown (None) in the result, as Keras's JAX backend does."""
import warnings

import numpy as np

from nnkern.engine import tree
from nnkern.engine.keras_tensor import KerasTensor

_TRIAL_SIZES = (2, 3)


def trial_sizes():
    """The sizes unknown dimensions take in the trial runs."""
    return _TRIAL_SIZES


def dummy_value(kt, size):
    # A tensor computed from shapes (tf.shape(x)[0] in a Keras 2 graph) stands in with its value for the
    # trial size, so shape arithmetic downstream (tf.reshape(x, [batch, -1])) runs as it will.
    known = getattr(kt, "trial_values", None)
    if known is not None:
        return known[size]
    shape = tuple(size if d is None else d for d in kt.shape)
    if kt.dtype == "bool":
        return np.ones(shape, dtype=bool)
    if kt.dtype == "string":
        return np.full(shape, "", dtype=object)
    return np.zeros(shape, dtype=kt.dtype)


def materialize(structure, size):
    return tree.map_structure(lambda x: dummy_value(x, size) if isinstance(x, KerasTensor) else x, structure)


def normalize_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype != np.float32:
        return "float32"
    if dtype.kind == "O":
        return "string"
    return dtype.name


def run_for_spec(fn, structure, what):
    """Structure of KerasTensors describing fn(materialized structure). `what` names the caller for errors.
    Returns None where fn returns None."""
    results = []
    for size in _TRIAL_SIZES:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = fn(materialize(structure, size))
            except Exception as e:  # any user code may fail on placeholder zeros; say what we tried
                shapes = tree.map_structure(lambda x: x.shape if isinstance(x, KerasTensor) else x, structure)
                raise ValueError(
                    f"{what}: could not infer the output shape by running it on zero arrays standing in for "
                    f"inputs of shape {shapes} ({type(e).__name__}: {e}). Implement `compute_output_shape()` "
                    "(or pass `output_shape=` to a Lambda).") from e
        results.append(out)
    first, second = results
    flat_first = tree.flatten(first)
    flat_second = tree.flatten(second)
    specs = []
    for a, b in zip(flat_first, flat_second):
        if a is None:
            specs.append(None)
            continue
        a = np.asarray(a)
        b = np.asarray(b)
        if a.ndim != b.ndim:
            shape = (None,) * a.ndim
        else:
            shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        specs.append(KerasTensor(shape, dtype=normalize_dtype(a.dtype)))
    return tree.pack_sequence_as(first, specs)
