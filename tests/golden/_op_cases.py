"""Running one ops / losses / metrics golden case against a Keras-like module (``keras`` when
generating, ``nnkern`` when testing), so that the generator and the tests call exactly the same thing.

A case is a JSON dict: ``call`` is a dotted path below the module ('ops.sum', 'losses.Huber'), and
``kind`` says how it is called:
  "fn"     -- call(*args, **kwargs)
  "object" -- call(**init)(*args, **kwargs)             (loss classes)
  "metric" -- m = call(**init); m.update_state(*args, **kwargs) for each entry of ``updates``;
              the result is m.result()
In ``args`` / ``kwargs`` a string "@name" is the shared input array ``name``; a JSON list holding such
references is a Python list (of arrays), any other JSON list a tuple (axes, shapes, pad widths).
Needs numpy only.
"""
import numpy as np


def fn_case(call, args, kwargs):
    """A "fn" case: call(*args, **kwargs) (kwargs left out when empty)."""
    out = {"call": call, "args": list(args)}
    if kwargs:
        out["kwargs"] = kwargs
    return out


def case(case_id, call, *args, **kwargs):
    """One row of a case table: (case_id, the "fn" case calling `call` with these arguments)."""
    return case_id, fn_case(call, args, kwargs)


def decode(value, inputs):
    if isinstance(value, str) and value.startswith("@"):
        return inputs[value[1:]]
    if isinstance(value, list):
        items = [decode(v, inputs) for v in value]
        is_list_of_arrays = any(isinstance(v, str) and v.startswith("@") for v in value)
        return items if is_list_of_arrays else tuple(items)
    if isinstance(value, dict):
        return {k: decode(v, inputs) for k, v in value.items()}
    return value


def resolve(root, path):
    obj = root
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def run_case(case, inputs, root):
    fn = resolve(root, case["call"])
    kind = case.get("kind", "fn")
    if kind == "fn":
        return fn(*decode(case.get("args", []), inputs), **decode(case.get("kwargs", {}), inputs))
    if kind == "object":
        obj = fn(**decode(case.get("init", {}), inputs))
        return obj(*decode(case.get("args", []), inputs), **decode(case.get("kwargs", {}), inputs))
    if kind == "metric":
        metric = fn(**decode(case.get("init", {}), inputs))
        for update in case["updates"]:
            metric.update_state(*decode(update.get("args", []), inputs), **decode(update.get("kwargs", {}), inputs))
        return metric.result()
    raise ValueError(f"unknown case kind {kind!r}")


def flatten_result(result):
    """(structure, {array name: ndarray}, plain value): a tuple or list of arrays becomes out_0, out_1,
    ...; Python numbers and tuples of them (shapes) are kept as a JSON value; anything else is one
    array 'out'."""
    if isinstance(result, (bool, int, float)):
        return "scalar", {}, result
    if isinstance(result, tuple) and all(isinstance(v, int) for v in result):
        return "shape", {}, list(result)
    if isinstance(result, (tuple, list)):
        kind = "tuple" if isinstance(result, tuple) else "list"
        return kind, {f"out_{i}": np.asarray(v) for i, v in enumerate(result)}, len(result)
    return "array", {"out": np.asarray(result)}, None


def load_op_cases(prefixes):
    """(inputs, [(case, golden arrays), ...]) for the cases in ops.json.gz whose ``call`` starts with one of
    ``prefixes`` ('ops.', 'losses.', ...)."""
    from _golden_io import load_cases

    cases = load_cases("ops")
    inputs = next(arrays for case, arrays in cases if case["id"] == "inputs")
    return inputs, [(c, a) for c, a in cases if "call" in c and c["call"].startswith(tuple(prefixes))]


def _tolerance(dtype):
    return {"float16": (2e-3, 2e-3), "float64": (1e-12, 1e-12)}.get(np.dtype(dtype).name, (3e-6, 3e-6))


def check_case(case, golden, inputs, root):
    """Run ``case`` on ``root`` (nnkern) and check it against Keras's result, or that it raises the
    same error class as Keras where Keras raised."""
    if case.get("structure") == "error":
        try:
            run_case(case, inputs, root)
        except Exception as exc:  # noqa: BLE001 - compared below
            assert type(exc).__name__ == case["value"], f"{case['id']}: {exc!r}, Keras raises {case['value']}"
            return
        raise AssertionError(f"{case['id']}: no error, Keras raises {case['value']}")
    assert_matches_golden(case, golden, run_case(case, inputs, root))


def assert_matches_golden(case, golden, result):
    """``result`` has Keras's structure, dtypes and shapes, and its values to float tolerance (exact
    for ints and bools)."""
    assert case.get("structure") != "error", f"{case['id']}: Keras raises {case['value']}, nnkern returned"
    structure, arrays, value = flatten_result(result)
    assert structure == case.get("structure", "array"), f"{case['id']}: {structure} instead of {case.get('structure')}"
    if structure in ("scalar", "shape"):
        assert value == case["value"], f"{case['id']}: {value!r} != {case['value']!r}"
        return
    assert sorted(arrays) == sorted(golden), f"{case['id']}: {len(arrays)} outputs instead of {len(golden)}"
    for name, expected in golden.items():
        got = arrays[name]
        assert got.dtype == expected.dtype, f"{case['id']}/{name}: dtype {got.dtype}, Keras gives {expected.dtype}"
        assert got.shape == expected.shape, f"{case['id']}/{name}: shape {got.shape}, Keras gives {expected.shape}"
        if expected.dtype.kind in "fc":
            rtol, atol = _tolerance(expected.dtype)
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"{case['id']}/{name}")
        else:
            np.testing.assert_array_equal(got, expected, err_msg=f"{case['id']}/{name}")
